/**
 * The manifest: what a backup set holds, written last so that its presence
 * means the three dump files were complete when it was written. The format
 * is versioned; docs/backups-folder.md documents every field.
 */
import { readRegularFile } from '../files/regularFile';
import type { LargeObjectGrants } from '../backup/largeObjectDigest';
import { PulseError } from '../errors';
import { parseBackupFileName, parseSetId } from './naming';
import type { ProfileRecord } from '../backup/profile';
import type { EncryptionRecord } from '../crypto/keySources';

export const MANIFEST_FORMAT = 'pulse-backup-manifest';
export const MANIFEST_VERSION = 1;

export type BackupFileType = 'schema' | 'data' | 'complete';
export const BACKUP_FILE_TYPES: readonly BackupFileType[] = ['schema', 'data', 'complete'];

export interface ManifestFile {
  type: BackupFileType;
  name: string;
  bytes: number;
  sha256: string;
}

export interface ManifestTable {
  schema: string;
  name: string;
  /** A partitioned table's rows live in its partitions; pg_dump dumps no rows of a foreign table. */
  kind: 'table' | 'partitioned table' | 'foreign table';
  /** Exact rows at the snapshot, counted from the dump; null where pg_dump dumps no rows (foreign tables, parents). */
  rows: number | null;
  /** Bytes on disk at the snapshot, indexes and TOAST included. */
  bytes: number;
  /** false: the set holds the table's rows but not its definition (a platform table the platform creates). */
  definition?: false;
  /** true: the set holds the definition but leaves the rows out (--exclude-table-data). */
  dataLeftOut?: true;
}

export interface ForeignKeyCycle {
  /** Qualified table names ("public.users") in the cycle; one name for a table that references itself. */
  tables: string[];
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  id: string;
  prefix: string;
  /** The set's timestamp as it appears in its file names (YYYYMMDD_HHMMSS, local time). */
  timestamp: string;
  /** ISO 8601 start time of the backup. */
  startedAt: string;
  durationMs: number;
  /** 'backup' for a normal set, 'safety' for one taken automatically before a restore, or by `guard` before a command. */
  purpose: 'backup' | 'safety';
  /**
   * A safety set taken by `guard`: the command it was taken before, as its
   * program and first plain words (`supabase db reset`, never an option or a
   * URL). Absent for a restore's safety set.
   */
  takenBefore?: string;
  database: {
    host: string;
    port: number;
    name: string;
    user: string;
    /** Size of the database (pg_database_size) at the snapshot. */
    sizeBytes: number;
  };
  /**
   * 'estimated': the sizes on disk (the database's, each table's) are the
   * catalog's estimates (pages as of the last VACUUM or ANALYZE), not the
   * files' sizes; a backup of more than 1,000 tables records them so.
   * Absent: exact (pg_database_size, pg_total_relation_size).
   */
  sizes?: 'estimated';
  server: { version: string; versionNum: number };
  tools: {
    pulseBackup: string;
    pgDump: { path: string; version: string };
  };
  options: {
    /** How the three files were made: one pg_dump run, split by entry type. */
    method: 'single-snapshot-split';
    /** The main pg_dump's arguments (a parallel set's leave out the rows the other sessions dumped). */
    pgDumpArgs: string[];
    /** A parallel set (`--jobs`): how many sessions shared the dump, and how many tables had one of their own. */
    jobs?: number;
    parallelTables?: number;
  };
  files: ManifestFile[];
  tables: ManifestTable[];
  materializedViews: { schema: string; name: string; populated: boolean }[];
  /** Large objects the set holds (none when pg_dump's --schema left them out; sets made before that was counted so have the database's count: read it with largeObjectsInSet). */
  largeObjects: number;
  sequences: number;
  foreignKeyCycles: ForeignKeyCycle[];
  /** What pg_dump printed on stderr, verbatim (password redacted). */
  pgDumpWarnings: string[];
  /**
   * What the set holds and why (profile.ts): `plain` (everything pg_dump
   * dumps) or `supabase` (the application, without the platform's own
   * objects). Absent in manifests written before profiles: plain.
   */
  profile?: ProfileRecord;
  /**
   * What the files hold, as digests a proof or a diff compares with
   * (dumpDigests.ts); absent in manifests written before digests.
   */
  digests?: ManifestDigests;
  /**
   * The files are encrypted (`….sql.age`), and how: with a passphrase, or to
   * these age recipients (public keys). Never a secret. Absent: plain SQL.
   * The files' sizes and sha256 are of the encrypted files; the digests are
   * of the SQL inside.
   */
  encryption?: EncryptionRecord;
}

/** The content digests of a set, taken from pg_dump's stream as it was written (no second read of the database). */
export interface ManifestDigests {
  /** How rows and entries are hashed and combined (digest.ts: ROW_HASH_ALGORITHM). */
  algorithm: string;
  /** How the rows were written as text: a reader must read them back the same way to get the same bytes. */
  settings: DigestSettings;
  /** Every archive entry of the schema part the set keeps (\restrict lines, comments and pg_dump's session settings left out). */
  schema: { digest: string; entries: number };
  /** One per COPY block: every table whose rows the set holds. */
  tables: ManifestTableDigest[];
  /** The values the set gives its sequences (its setval calls). */
  sequences: ManifestSequenceValue[];
  /**
   * Every large object the set writes: how many, and the multiset digest of
   * each one's OID, owner and content (dumpDigests.ts); absent in sets made
   * before it was recorded. `grants`: the grants and comments of those that
   * have any, read from the catalog in the backup's snapshot
   * (largeObjectDigest.ts: readLargeObjectGrants); absent in sets made
   * before they were recorded. `owners`: the roles that own them, absent
   * in sets made before they were recorded.
   */
  largeObjects?: { count: number; digest: string; owners?: string[]; grants?: LargeObjectGrants };
}

export interface DigestSettings {
  /** pg_dump's client_encoding: the encoding of the files. */
  clientEncoding: string;
  timeZone: string;
  byteaOutput: string;
  lcMonetary: string;
}

export interface ManifestTableDigest {
  schema: string;
  name: string;
  /** The columns pg_dump's COPY names, in its order (generated columns are not among them). */
  columns: string[];
  rows: number;
  /** Bytes of the rows as COPY text, newlines left out. */
  bytes: number;
  /** The sum of the rows' hashes, 16 hex digits. */
  digest: string;
}

export interface ManifestSequenceValue {
  schema: string;
  name: string;
  /** As setval writes it (a bigint, so text). */
  value: string;
  called: boolean;
}

/** Why a safety set was taken, for every view: "before supabase db reset", "before a restore". */
/**
 * Whether pg_dump left the database's large objects out of the set: it does
 * when the dump is limited to some schemas (--schema), unless told otherwise
 * (--large-objects, --blobs, -b).
 */
export function largeObjectsLeftOut(pgDumpArgs: readonly string[]): boolean {
  return pgDumpArgs.some((arg) => arg.startsWith('--schema=')) && !pgDumpArgs.some((arg) => arg === '--large-objects' || arg === '--blobs' || arg === '-b');
}

/** The set's pg_dump arguments that chose which schemas it holds (--schema, --exclude-schema): a schema read to compare with it is chosen the same way. */
export function schemaSelection(manifest: DumpedWith | undefined): string[] {
  return (manifest?.options?.pgDumpArgs ?? []).filter((arg) => arg.startsWith('--schema=') || arg.startsWith('--exclude-schema='));
}

/** How many large objects a set holds, whenever it was made (before, a --schema set's manifest counted the database's). */
export function largeObjectsInSet(manifest: DumpedWith & Pick<Manifest, 'largeObjects'>): number {
  return setLeavesOutLargeObjects(manifest) ? 0 : manifest.largeObjects;
}

/** Whether pg_dump left large objects out of this set (largeObjectsLeftOut). */
export function setLeavesOutLargeObjects(manifest: DumpedWith): boolean {
  return largeObjectsLeftOut(manifest.options?.pgDumpArgs ?? []);
}

/** A manifest's record of pg_dump's arguments, which a hand-made or damaged manifest may lack. */
interface DumpedWith {
  options?: { pgDumpArgs?: readonly string[] };
}

export function safetySetOccasion(manifest: Pick<Manifest, 'takenBefore'> | undefined): string {
  return manifest?.takenBefore === undefined ? 'before a restore' : `before ${manifest.takenBefore}`;
}

/** Reads and checks a manifest; a damaged one is an error, not a crash. */
export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readRegularFile(path);
  } catch (error) {
    throw new PulseError('invalid-manifest', `cannot read manifest ${path}`, {
      hint: 'check that the file exists and is readable',
      cause: error,
    });
  }
  return parseManifest(text, path);
}

export function parseManifest(text: string, path: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PulseError('invalid-manifest', `manifest ${path} is not valid JSON`, {
      hint: 'the file is damaged; the dump files of the set may still be usable',
    });
  }
  const problem = manifestProblem(value);
  if (problem) {
    throw new PulseError('invalid-manifest', `manifest ${path} is not a Pulse Backup manifest (${problem})`, {
      hint: 'the file is damaged or from another tool',
    });
  }
  const misnamed = namesProblem(value as Record<string, unknown>);
  if (misnamed) {
    throw new PulseError('invalid-manifest', `manifest ${path} does not describe its set: ${misnamed}`, {
      hint: 'it was changed or damaged; the dump files of the set may still be usable',
    });
  }
  return withDefaults(value as Record<string, unknown>);
}

/**
 * What a manifest names is read as paths in the folder: its own name (id,
 * prefix, timestamp) and each file's must be one set's own, each type once
 * — never another set's file, never a path elsewhere (a remote manifest
 * is written by whoever may write to the bucket).
 */
function namesProblem(record: Record<string, unknown>): string | undefined {
  const set = parseSetId(String(record.id));
  if (!set || set.timestamp !== record.timestamp || (record.prefix !== undefined && record.prefix !== set.prefix)) {
    return `its id ${JSON.stringify(record.id)}, prefix ${JSON.stringify(record.prefix)} and timestamp ${JSON.stringify(record.timestamp)} are not one set's`;
  }
  const types = new Set<unknown>();
  for (const entry of record.files as Record<string, unknown>[]) {
    const parsed = parseBackupFileName(String(entry.name));
    if (!parsed || parsed.setId !== record.id || parsed.kind !== entry.type || types.has(entry.type)) {
      return `the ${typeof entry.type === 'string' ? `${entry.type} ` : ''}file it names, ${JSON.stringify(entry.name)}, is not one of ${String(record.id)}'s`;
    }
    types.add(entry.type);
  }
  return undefined;
}

function manifestProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const record = value as Record<string, unknown>;
  if (record.format !== MANIFEST_FORMAT) return 'wrong format marker';
  if (typeof record.formatVersion !== 'number') return 'no format version';
  if (record.formatVersion > MANIFEST_VERSION) return `format version ${record.formatVersion} is newer than this tool understands`;
  if (typeof record.id !== 'string' || typeof record.timestamp !== 'string') return 'no set id';
  if (!Array.isArray(record.files)) return 'no file list';
  for (const file of record.files as unknown[]) {
    if (typeof file !== 'object' || file === null) return 'bad file entry';
    const entry = file as Record<string, unknown>;
    if (typeof entry.name !== 'string' || typeof entry.bytes !== 'number' || typeof entry.sha256 !== 'string') {
      return 'bad file entry';
    }
  }
  if (!Array.isArray(record.tables)) return 'no table list';
  return shapeProblem(record);
}

/**
 * What every reader of a manifest (show, summary, verify, the report) takes
 * for granted, checked once here: a manifest that is valid JSON but was
 * edited or damaged is then one line saying so, not a crash deep in a
 * reader ("cannot read properties of undefined"). What the first manifests
 * already held must be there, of its type; what came later (the profile,
 * the digests, encryption, takenBefore, the parallel dump's counts, each
 * later part of them) may be missing, but not of another type.
 */
function shapeProblem(record: Record<string, unknown>): string | undefined {
  if (typeof record.startedAt !== 'string' || Number.isNaN(Date.parse(record.startedAt))) return 'no start time';
  if (typeof record.durationMs !== 'number') return 'bad duration';
  if (!optional(record.purpose, isString) || !optional(record.takenBefore, isString)) return 'bad purpose';
  const database = record.database;
  if (!isObject(database) || !strings(database, ['host', 'name', 'user']) || !numbers(database, ['port', 'sizeBytes'])) return 'bad database';
  if (!strings(record.server, ['version'])) return 'bad server';
  if (!isObject(record.tools) || typeof record.tools.pulseBackup !== 'string' || !strings(record.tools.pgDump, ['path', 'version'])) return 'bad tools';
  const options = record.options;
  if (!isObject(options) || !arrayOf(options.pgDumpArgs, isString) || !optional(options.jobs, isNumber) || !optional(options.parallelTables, isNumber)) return 'bad options';
  if (!arrayOf(record.tables, isTable)) return 'bad table entry';
  if (!optional(record.sizes, isString)) return 'bad sizes';
  if (!optional(record.materializedViews, (list) => arrayOf(list, (view) => strings(view, ['schema', 'name']) && typeof view.populated === 'boolean'))) {
    return 'bad materialized view entry';
  }
  if (!optional(record.foreignKeyCycles, (list) => arrayOf(list, (cycle) => isObject(cycle) && arrayOf(cycle.tables, isString)))) return 'bad foreign-key cycle';
  if (!optional(record.pgDumpWarnings, (list) => arrayOf(list, isString))) return 'bad pg_dump warnings';
  if (!optional(record.largeObjects, isNumber) || !optional(record.sequences, isNumber)) return 'bad counts';
  if (!optional(record.profile, isProfile)) return 'bad profile';
  if (!optional(record.digests, isDigests)) return 'bad digests';
  const encryption = record.encryption;
  if (!optional(encryption, (value) => strings(value, ['format', 'method']) && (value.method !== 'recipients' || arrayOf(value.recipients, isString)))) {
    return 'bad encryption';
  }
  return undefined;
}

/**
 * The lists every reader walks, which a hand-made manifest may leave out:
 * empty then, so no reader meets one missing.
 */
function withDefaults(record: Record<string, unknown>): Manifest {
  const manifest = record as unknown as Manifest;
  return { ...manifest, materializedViews: manifest.materializedViews ?? [], foreignKeyCycles: manifest.foreignKeyCycles ?? [], pgDumpWarnings: manifest.pgDumpWarnings ?? [] };
}

type Shape = Record<string, unknown>;
const isObject = (value: unknown): value is Shape => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
/** An object whose `keys` are all strings. */
const strings = (value: unknown, keys: readonly string[]): value is Shape => isObject(value) && keys.every((key) => isString(value[key]));
const numbers = (value: Shape, keys: readonly string[]) => keys.every((key) => isNumber(value[key]));
const arrayOf = (value: unknown, item: (entry: unknown) => boolean): value is unknown[] => Array.isArray(value) && value.every(item);
/** A field later versions added (or a hand-made manifest may leave out): absent, or as `check` says. */
const optional = (value: unknown, check: (value: unknown) => boolean) => value === undefined || check(value);

const TABLE_KINDS: readonly unknown[] = ['table', 'partitioned table', 'foreign table'] satisfies ManifestTable['kind'][];

function isTable(value: unknown): boolean {
  return (
    strings(value, ['schema', 'name']) &&
    TABLE_KINDS.includes(value.kind) &&
    (value.rows === null || isNumber(value.rows)) &&
    isNumber(value.bytes) &&
    optional(value.definition, isBoolean) &&
    optional(value.dataLeftOut, isBoolean)
  );
}

function isProfile(value: unknown): boolean {
  if (!strings(value, ['name', 'chosen', 'reason']) || !arrayOf(value.platformData, isString) || !arrayOf(value.attachedObjects, isString)) return false;
  const leftOut = value.leftOut;
  return (
    isObject(leftOut) &&
    arrayOf(leftOut.schemas, (entry) => strings(entry, ['name', 'why'])) &&
    arrayOf(leftOut.tableData, (entry) => strings(entry, ['schema', 'name', 'why'])) &&
    // Manifests made before single entries were recorded have none.
    optional(leftOut.entries, (list) => arrayOf(list, (entry) => strings(entry, ['type', 'schema', 'name', 'owner', 'why'])))
  );
}

function isDigests(value: unknown): boolean {
  if (!isObject(value) || !isString(value.algorithm) || !strings(value.settings, ['clientEncoding', 'timeZone', 'byteaOutput', 'lcMonetary'])) return false;
  if (!strings(value.schema, ['digest']) || !isNumber(value.schema.entries)) return false;
  const table = (entry: unknown) => strings(entry, ['schema', 'name', 'digest']) && arrayOf(entry.columns, isString) && numbers(entry, ['rows', 'bytes']);
  const sequence = (entry: unknown) => strings(entry, ['schema', 'name', 'value']) && isBoolean(entry.called);
  if (!arrayOf(value.tables, table) || !arrayOf(value.sequences, sequence)) return false;
  // Sets made before large objects, their owners and their grants were digested have none of them.
  return optional(
    value.largeObjects,
    (objects) =>
      strings(objects, ['digest']) &&
      isNumber(objects.count) &&
      optional(objects.owners, (owners) => arrayOf(owners, isString)) &&
      optional(objects.grants, (grants) => strings(grants, ['digest']) && isNumber(grants.count) && optional(grants.roles, (roles) => arrayOf(roles, isString))),
  );
}
