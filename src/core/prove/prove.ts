/**
 * Proves a set restorable: restores it, exactly as a person would with
 * psql, into scratch databases of its own — the complete file into one, the
 * schema file then the data file into another, both at once — reads every
 * table back and dumps the schema, and compares what it reads with the
 * digests the backup recorded. Then it drops the scratch databases, always:
 * on success, on failure, on cancel, and (through their reserved names, see
 * scratchDatabase.ts) after a kill, on the next run. The backed-up database
 * is never written: a Supabase set's platform is read from it, nothing else.
 *
 * The result is a ProofRecord, appended to the set's history.
 */
import { hint, option } from '../hint';
import type pg from 'pg';
import { openSession } from '../connection/session';
import { basename, join } from 'node:path';
import { describeTarget, isLocalTarget, type ConnectionTarget } from '../connection/target';
import { PulseError, toPulseError } from '../errors';
import { recentVerification, recordProof } from '../sets/history';
import { assertStillThere, findSet, unlessRemoved, type ListedSet } from '../sets/listing';
import { largeObjectsInSet, schemaSelection, type BackupFileType, type Manifest, type ManifestDigests } from '../sets/manifest';
import { formatCount, qualifiedName } from '../format';
import { clientToolsFor, type ClientTools } from '../pg/run';
import { parseServerVersionNum } from '../pg/tools';
import { compareMaterializedViews, compareSchemaEntries, compareSequences, compareTables, readableTables } from './compare';
import { planProof, rowFilesOf, schemaFilesOf, type ProofPathPlan } from './plan';
import { PROOF_FORMAT_VERSION, type ProofDifference, type ProofPathName, type ProofPathResult, type ProofRecord } from './record';
import { proofSummary, rowsDifference, schemaDifference } from './words';
import { loadSetFile, throwIfCancelled } from './psqlLoad';
import { openReadSession, readFacts, readLargeObjectDigest } from './readSession';
import { readLargeObjectGrants } from '../backup/largeObjectDigest';
import { readSchema, readTables, type ReadbackSession } from './readback';
import { readPlannedFiles, type DataFileContent, type FileReading } from './fileReading';
import { sameSchemaStatements } from './schemaStatements';
import { planReadBack, readBackNote, type ReadBackPlan } from './dataOnlyLoad';
import { rowChangers, tablesWithRows } from './dataOnlyCatalog';
import { changedRows, digestsFromCompleteFile, schemaEntriesOf } from './setContent';
import { ScratchControl, type SetNeeds } from './scratchDatabase';
import { supabaseEntryFilter, type ProfileName } from '../backup/profile';
import { loadPlatform, platformSql } from '../supabase/platformCopy';
import type { ContainerTools } from '../supabase/docker';
import type { SchemaEntryDigest } from '../backup/dumpDigests';
import type { SetKeys } from '../codecs/codecs';
import { unlockSetFiles } from '../codecs/setFileReader';
import { scanDumpFile } from '../verify/dumpScan';
import { collationsOf, extensionsOf, NO_OWNERS, ownersOf, rolesOf, superuserCandidates, tablespacesOf } from '../verify/checks';

export interface ProveOptions {
  folder: string;
  setId: string;
  /**
   * The database the set is a backup of: a Supabase set's platform is read
   * from it, and without `scratchTarget` its server gets the scratch
   * databases. It is never written.
   */
  target: ConnectionTarget;
  /** The server (and role, and a database to connect to) for the scratch databases. */
  scratchTarget?: ConnectionTarget;
  env: NodeJS.ProcessEnv;
  pgBinDir?: string;
  /** Run pg_dump and psql inside this Supabase database container. */
  container?: ContainerTools;
  /** Allow a scratch server that is not on this machine. */
  allowRemote?: boolean;
  /** The ways to prove (default both). */
  paths?: readonly ProofPathName[];
  /** Append the result to the set's history (default true). */
  record?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: ProveProgress) => void;
  /** What decrypts an encrypted set (proved on its files' headers before any scratch database is made). */
  keys?: SetKeys;
}

export type ProveProgress =
  | { kind: 'swept'; dropped: string[]; kept: { name: string; why: string }[] }
  | { kind: 'path-start'; path: ProofPathName; database: string }
  | { kind: 'platform-loaded'; path: ProofPathName; refused: number }
  | { kind: 'loading'; path: ProofPathName; file: string }
  /** `schema`: its schema is dumped too (schema then data may take the complete file's way's). */
  | { kind: 'reading'; path: ProofPathName; tables: number; schema: boolean }
  | { kind: 'path-done'; path: ProofPathName; equal: boolean }
  | { kind: 'not-recorded'; reason: string };

/** What one way of restoring gave. */
interface PathOutcome {
  result: ProofPathResult;
  differences: ProofDifference[];
  notes: string[];
}

/** What every path needs. */
interface ProofContext {
  options: ProveOptions;
  set: ListedSet;
  digests: ManifestDigests;
  profile: ProfileName;
  control: ScratchControl;
  tools: ClientTools;
  platform: Buffer | undefined;
  /** Each file the plan loads, read once (fileReading.ts) from the start of the proof. */
  readings: ReadonlyMap<BackupFileType, Promise<FileReading>>;
  /** With both ways: whether the complete way's schema read back equal, once it has (false when it could not). */
  completeSchemaEqual: Settleable<boolean> | undefined;
}

/** A promise its holder settles once; later calls do nothing. */
interface Settleable<T> {
  promise: Promise<T>;
  settle(value: T): void;
}

function settleable<T>(): Settleable<T> {
  let settle!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (settle = resolve));
  return { promise, settle };
}

/** Differences of one kind kept per path: the first few say enough, the count says the rest. */
const MAX_DIFFERENCES_PER_KIND = 5;

/**
 * What the set's files need of a server (the extensions they create, the
 * roles they name), from its schema file (small: no rows). Nothing known
 * when the set has no schema file, or it cannot be read through: the proof
 * then finds what it finds.
 */
async function setNeeds(set: ListedSet, options: ProveOptions): Promise<SetNeeds> {
  const schema = set.files.find((file) => file.type === 'schema');
  const none = { extensions: [], roles: [], tablespaces: [], collations: [], owners: NO_OWNERS, superuserOnly: [] };
  if (!schema) return none;
  try {
    const scan = await scanDumpFile(join(options.folder, schema.name), { signal: options.signal, keys: options.keys ?? {} });
    return scan.notDecoded === undefined && scan.hasFooter
      ? {
          extensions: extensionsOf(scan.entries),
          roles: rolesOf(scan.entries),
          tablespaces: tablespacesOf(scan.entries),
          collations: collationsOf(scan.entries),
          owners: ownersOf(scan.entries),
          superuserOnly: superuserCandidates(scan.entries),
        }
      : none;
  } catch {
    throwIfCancelled(options.signal);
    return none;
  }
}

export async function proveSet(options: ProveOptions): Promise<ProofRecord> {
  const startedAt = new Date();
  const started = performance.now();
  throwIfCancelled(options.signal);
  const set = await findSet(options.folder, options.setId);
  if (set.status === 'running') throw new PulseError('backup-locked', `${set.id} is still being written`, { hint: 'wait for the backup to finish, then prove it' });
  if (set.status === 'incomplete') {
    throw new PulseError('restore-refused', `${set.id} is incomplete (${set.problems.join('; ')}), so it cannot be proved`, { hint: 'prove another set' });
  }
  const scratchTarget = options.scratchTarget ?? options.target;
  if (!options.allowRemote && !isLocalTarget(scratchTarget)) {
    throw new PulseError('remote-target', `${describeTarget(scratchTarget)} is not on this machine, and a proof restores the whole set there`, {
      hint: hint`prove on a local server (loopback or a local socket; ${option('scratchDatabase', 'URL')} names one), or pass ${option('allowRemote')} if you really mean that server`,
    });
  }
  // A wrong passphrase is one line before any scratch database is made; a damaged file is the proof's finding.
  // The set is read without the folder's lock (a proof takes long; backups must not wait for it): a
  // backup's retention or a prune may remove it meanwhile, which is said as such, and nothing is recorded.
  await unlockSetFiles(
    set.files.map((file) => join(options.folder, file.name)),
    options.keys ?? {},
    { damagedIsAFinding: true, recorded: set.manifest?.files },
  ).catch(async (error: unknown) => {
    throw await unlessRemoved(options.folder, set, 'prove', error);
  });
  const profile = set.manifest?.profile?.name ?? 'plain';
  const digestsFrom: ProofRecord['digestsFrom'] = set.manifest?.digests ? 'manifest' : 'complete file';
  const control = await ScratchControl.open(scratchTarget, options.signal);
  const notes: string[] = [];
  let left: string[];
  let outcomes: PathOutcome[];
  let digests: ManifestDigests;
  try {
    digests = set.manifest?.digests ?? (await digestsFromCompleteFile(set, options.folder, await control.outputSettings(), options.signal, options.keys));
    if (digestsFrom === 'complete file') notes.push('the set recorded no digests (it was made before they were): the read-back was compared with its complete file');
    await control.assertMayCreate(await setNeeds(set, options));
    const swept = await control.sweep();
    options.onProgress?.({ kind: 'swept', ...swept });
    for (const kept of swept.kept) notes.push(`a scratch database a killed proof left, ${kept.name}, could not be dropped (${kept.why}): drop it as its owner`);
    const server = parseServerVersionNum(await control.serverVersionNum());
    // Tools inside a container read the files from stdin (clientToolsFor gives them that container).
    const existingPublic = await createsPublic(set, options);
    if (existingPublic) {
      notes.push("the set creates schema public itself (it was made with --schema): it went into the scratch databases' own, as a restore does (CREATE SCHEMA IF NOT EXISTS)");
    }
    const plan = planProof(set, options.folder, digests, { viaStdin: options.container !== undefined, paths: options.paths, existingPublic });
    // Copying template0 is the slow part of a scratch database: it goes on while the tools are found and the platform is read.
    const databases = new Map(plan.paths.map((path) => [path.path, control.create(path.path, digests.settings.clientEncoding)] as const));
    for (const pending of databases.values()) pending.catch(() => undefined);
    const preferMajor = pgDumpMajor(set.manifest);
    const tools = await clientToolsFor(server, { env: options.env, pgBinDir: options.pgBinDir, container: options.container, preferMajor, signal: options.signal });
    if (preferMajor !== undefined && tools.pgDump.version.major !== preferMajor) {
      notes.push(
        `the set was dumped with pg_dump ${preferMajor}, the proof's schema with pg_dump ${tools.pgDump.version.major}: where their text differs, the schema reads as different`,
      );
    }
    const platform = profile === 'supabase' ? await platformSql({ target: options.target, tools, env: options.env, signal: options.signal }) : undefined;
    // A verification newer than every file of the set vouches for their sha256; otherwise they are hashed while they load.
    const verified = await recentVerification(options.folder, set);
    const checkedAlready = verified?.groups.find((group) => group.name === 'post-backup')?.checks.find((check) => check.id === 'checksums')?.status === 'pass';
    const readings = readPlannedFiles(plan, { sha256: !checkedAlready, clientEncoding: digests.settings.clientEncoding, signal: options.signal, keys: options.keys });
    const bothWays = plan.paths.length > 1;
    const context: ProofContext = { options, set, digests, profile, control, tools, platform, readings, completeSchemaEqual: bothWays ? settleable() : undefined };
    outcomes = await Promise.all(plan.paths.map((path) => provePath(context, path, databases.get(path.path)!)));
  } catch (error) {
    if (options.signal?.aborted) throw new PulseError('cancelled', 'proof cancelled', { hint: 'its scratch databases were dropped; the set and the database are as they were' });
    throw toPulseError(await unlessRemoved(options.folder, set, 'prove', error));
  } finally {
    left = await control.close();
    if (left.length > 0) notes.push(`could not drop ${left.join(', ')}: the next proof on this server drops ${left.length === 1 ? 'it' : 'them'}`);
  }
  throwIfCancelled(options.signal);
  // A file that vanished while it loaded is no failed proof of the set: it was removed.
  await assertStillThere(options.folder, set, 'prove');
  const differences = outcomes.flatMap((outcome) => outcome.differences);
  const paths = outcomes.map((outcome) => outcome.result);
  const record: ProofRecord = {
    formatVersion: PROOF_FORMAT_VERSION,
    setId: set.id,
    provedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    outcome: differences.length === 0 && paths.every((path) => path.equal) ? 'proved' : 'failed',
    summary: '',
    server: { host: scratchTarget.host, port: scratchTarget.port, user: scratchTarget.user },
    profile,
    digestsFrom,
    tables: digests.tables.length,
    rows: digests.tables.reduce((sum, table) => sum + table.rows, 0),
    schemaEqual: paths.every((path) => path.schemaEqual),
    paths,
    differences,
    notes: [...notes, ...new Set(outcomes.flatMap((outcome) => outcome.notes))],
    ...(left.length > 0 ? { scratchLeft: left } : {}),
  };
  record.summary = proofSummary(record);
  if (options.record ?? true) {
    try {
      await recordProof(options.folder, record);
    } catch (error) {
      options.onProgress?.({ kind: 'not-recorded', reason: toPulseError(error).message });
    }
  }
  return record;
}

function pgDumpMajor(manifest: Manifest | undefined): number | undefined {
  const major = /^(\d+)/.exec(manifest?.tools.pgDump.version ?? '')?.[1];
  return major === undefined ? undefined : Number(major);
}

/** One way of restoring, into the scratch database of its own (`created`: being made), read back and compared. */
async function provePath(context: ProofContext, path: ProofPathPlan, created: Promise<string>): Promise<PathOutcome> {
  const { options, digests, control, tools } = context;
  const started = performance.now();
  const database = await created;
  options.onProgress?.({ kind: 'path-start', path: path.path, database });
  const target = control.targetFor(database);
  // Connected while the files load: the read-back (and, before the data file, the question of which tables hold rows) starts at once.
  const connected = openSession(target, options.signal ? { signal: options.signal } : {});
  connected.catch(() => undefined);
  let connectionHandedOver = false;
  const notes: string[] = [];
  const differences: ProofDifference[] = [];
  const result: ProofPathResult = {
    path: path.path,
    files: path.loads.map((load) => basename(load.file)),
    restored: false,
    equal: false,
    tables: 0,
    rows: 0,
    schemaEqual: false,
    durationMs: 0,
  };
  const finish = (): PathOutcome => {
    result.durationMs = Math.round(performance.now() - started);
    result.equal = result.restored && differences.length === 0;
    options.onProgress?.({ kind: 'path-done', path: path.path, equal: result.equal });
    return { result, differences, notes };
  };
  try {
    if (context.platform) {
      const loaded = await loadPlatform(tools, target, options.env, context.platform, options.signal);
      options.onProgress?.({ kind: 'platform-loaded', path: path.path, refused: loaded.refused });
      if (loaded.refused > 0) {
        notes.push(
          `the Supabase platform was copied from the live database as far as ${target.user} may: ${loaded.refused} of its statements failed (${loaded.reasons.join('; ')}), none of them part of the set, which then loaded as a person's restore does`,
        );
      }
    }
    let rowsBeforeData: DataLoadRows['rowsBeforeData'] | undefined;
    for (const load of path.loads) {
      // A data-only load into tables that already hold rows adds to them: which do is asked first.
      if (load.type === 'data') rowsBeforeData = await tablesWithRows(await connected, digests.tables);
      options.onProgress?.({ kind: 'loading', path: path.path, file: load.file });
      const failure = await loadSetFile(tools, target, options, load);
      if (failure) {
        differences.push({ path: path.path, kind: 'restore', object: `${load.type} file`, detail: failure });
        return finish();
      }
    }
    result.restored = true;
    let dataFile: DataFileContent | undefined;
    for (const load of path.loads) {
      const reading = (await context.readings.get(load.type)) ?? {};
      dataFile ??= reading.data;
      const sha256 = reading.sha256;
      if (sha256 !== undefined && load.sha256 && sha256 !== load.sha256.toLowerCase()) {
        differences.push({
          path: path.path,
          kind: 'checksum',
          object: `${load.type} file`,
          detail: `${basename(load.file)} no longer matches the sha256 its manifest recorded: it changed after the backup`,
        });
      }
    }
    const dataLoad = dataFile && rowsBeforeData ? { file: dataFile, rowsBeforeData, sameSchemaStatements: await schemaFileRunsComplete(context) } : undefined;
    connectionHandedOver = true;
    const note = await compareReadBack(context, path, { target, connected }, result, differences, dataLoad);
    if (note) notes.push(note);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw toPulseError(error);
  } finally {
    if (path.path === 'complete') context.completeSchemaEqual?.settle(false);
    if (!connectionHandedOver) await connected.then((client) => client.end()).catch(() => undefined);
    await control.drop(database).catch(() => undefined);
  }
  return finish();
}

/** Whether the schema file runs the complete file's schema statements, one for one (schemaStatements.ts). */
async function schemaFileRunsComplete(context: ProofContext): Promise<boolean> {
  // A file that cannot be read through (damaged) runs nothing: its own way reports it as a failed restore.
  const [schemaFile, completeFile] = await Promise.all(
    [context.readings.get('schema'), context.readings.get('complete')].map((reading) => (reading ?? Promise.resolve(undefined)).catch(() => undefined)),
  );
  return schemaFile?.schema !== undefined && completeFile?.schema !== undefined && sameSchemaStatements(schemaFile.schema, completeFile.schema);
}

/** A scratch database, and the session to it opened while its files loaded (the read-back's from then on, closed with it). */
interface ScratchSession {
  target: ConnectionTarget;
  connected: Promise<pg.Client>;
}

/**
 * What a schema-then-data proof knows of its data-only load besides the
 * database: the data file's content, which tables held rows before it, and
 * whether the schema file runs the complete file's schema statements.
 */
interface DataLoadRows {
  file: DataFileContent;
  rowsBeforeData: ReadonlySet<string> | { unknown: string };
  sameSchemaStatements: boolean;
}

/**
 * Reads the scratch database back in one snapshot and compares it with the
 * set's digests; after a data-only load, only the tables whose rows could
 * differ from the data file's (dataOnlyLoad.ts), and the note that says so.
 */
async function compareReadBack(
  context: ProofContext,
  path: ProofPathPlan,
  scratch: ScratchSession,
  result: ProofPathResult,
  differences: ProofDifference[],
  dataLoad: DataLoadRows | undefined,
): Promise<string | undefined> {
  const { options, digests, set } = context;
  const add = (kind: ProofDifference['kind'], object: string, detail: string) => {
    if (differences.filter((difference) => difference.kind === kind).length < MAX_DIFFERENCES_PER_KIND) differences.push({ path: path.path, kind, object, detail });
  };
  const { target } = scratch;
  const { facts, read, schema, tables, byFile, plan, schemaFromComplete, largeObjects, largeObjectGrants } = await readScratch(context, path, scratch, dataLoad);
  const readBack = tables.map((table) => ({ schema: table.schema, name: table.name, rows: table.digest.count, bytes: table.digest.bytes, digest: table.digest.digest }));
  const comparisons = compareTables(digests, [...readBack, ...byFile], read.unreadable);
  result.tables = comparisons.filter((comparison) => comparison.state === 'same').length;
  result.tablesReadBack = readBack.length;
  result.rows = comparisons.reduce((sum, comparison) => sum + (comparison.state === 'same' ? comparison.now.rows : 0), 0);
  const different = comparisons.filter((comparison) => comparison.state === 'different');
  for (const comparison of comparisons) {
    const name = qualifiedName(comparison.table.schema, comparison.table.name);
    if (comparison.state === 'missing') add('missing-table', name, 'not there after the restore');
    if (comparison.state === 'columns-differ') add('missing-table', name, `has no column ${comparison.missingColumns.join(', ')} after the restore`);
  }
  if (different.length > 0) {
    const reader: ReadbackSession = { target, tools: context.tools, env: options.env, signal: options.signal };
    const explained = different.slice(0, MAX_DIFFERENCES_PER_KIND).map((comparison) => comparison.table);
    const details = await changedRows(rowFilesOf(path, set, options.folder), reader, digests.settings, explained, facts, options.keys);
    for (const comparison of different) {
      if (comparison.state !== 'different') continue;
      const name = qualifiedName(comparison.table.schema, comparison.table.name);
      const detail = details.get(name);
      add('rows', name, `${rowsDifference(comparison.table.rows, comparison.now.rows, detail?.changes, 'proof')}${detail?.note ? ` (${detail.note})` : ''}`);
    }
  }
  result.schemaEqual = schema.digest === digests.schema.digest;
  if (!result.schemaEqual) add('schema', 'schema', await explainSchema(path, set, options.folder, digests, schema.entries, options.keys));
  for (const sequence of compareSequences(digests, facts)) add('sequence', sequence.name, `expected ${sequence.expected}, found ${sequence.found}`);
  for (const view of compareMaterializedViews(set.manifest?.materializedViews ?? [], facts)) add('materialized-view', view.name, `expected ${view.expected}, found ${view.found}`);
  if (set.manifest && facts.largeObjects !== largeObjectsInSet(set.manifest)) {
    add('large-objects', 'large objects', `expected ${largeObjectsInSet(set.manifest)}, found ${facts.largeObjects}`);
  } else if (largeObjects && largeObjects.digest !== digests.largeObjects?.digest) {
    add('large-objects', 'large objects', `${formatCount(largeObjects.count)} as the set holds, but not all with the OIDs and contents its data recorded`);
  }
  const grants = digests.largeObjects?.grants;
  if (grants && largeObjectGrants && (largeObjectGrants.count !== grants.count || largeObjectGrants.digest !== grants.digest)) {
    add(
      'large-objects',
      'large objects',
      `their grants or comments are not the ones the backup recorded: ${formatCount(grants.count)} with any in the set, ${formatCount(largeObjectGrants.count)} restored`,
    );
  }
  return plan ? readBackNote(plan, digests.tables.length, schemaFromComplete) : undefined;
}

/**
 * Everything of a scratch database the comparison needs, in one snapshot:
 * facts, schema, rows — after a data-only load, the rows of the tables the
 * plan reads (and the plan, from the catalog and the data file).
 */
async function readScratch(context: ProofContext, path: ProofPathPlan, { target, connected }: ScratchSession, dataLoad: DataLoadRows | undefined) {
  const { options, digests, tools } = context;
  const session = await openReadSession(target, { connected, ...(options.signal ? { signal: options.signal } : {}) });
  try {
    const facts = await readFacts(session.client, { tables: digests.tables, sequences: digests.sequences, platform: context.profile === 'supabase' });
    const read = readableTables(digests, facts);
    let plan: ReadBackPlan | undefined;
    if (dataLoad) {
      const { statements } = dataLoad.file;
      const changers = await rowChangers(session.client, { tables: digests.tables, replica: statements.replicaBeforeRows, refreshes: statements.refreshes > 0 });
      plan = planReadBack(digests.tables, { ...dataLoad, changers });
    }
    // The data file's rows stand for a table's only where it is there with the set's columns.
    const known = new Map((plan && !plan.every ? plan.byFile : []).map((table) => [qualifiedName(table.schema, table.name), table]));
    const byFile = read.read.flatMap((table) => known.get(qualifiedName(table.schema, table.name)) ?? []);
    const toRead = read.read.filter((table) => !known.has(qualifiedName(table.schema, table.name)));
    const keep = facts.platform ? supabaseEntryFilter(facts.platform).keep : undefined;
    const reader: ReadbackSession = {
      target,
      tools,
      env: options.env,
      snapshotId: session.snapshotId,
      schemaSelection: schemaSelection(context.set.manifest),
      signal: options.signal,
    };
    const fromComplete = schemaOfComplete(context, dataLoad, plan);
    void fromComplete.then((same) => options.onProgress?.({ kind: 'reading', path: path.path, tables: toRead.length, schema: !same }));
    const schema = fromComplete.then(async (same) => {
      if (same) return { digest: digests.schema.digest, entries: [] };
      const dumped = await readSchema(reader, keep);
      if (path.path === 'complete') context.completeSchemaEqual?.settle(dumped.digest === digests.schema.digest);
      return dumped;
    });
    // The large objects' contents, where there are as many as the set holds (else the count already differs).
    const recorded = digests.largeObjects;
    const largeObjects = recorded && recorded.count > 0 && facts.largeObjects === recorded.count ? readLargeObjectDigest(session.client) : undefined;
    // Their grants and comments, where the backup recorded them.
    const grants = recorded?.grants ? readLargeObjectGrants(session.client) : undefined;
    const [schemaRead, tables, schemaFromComplete, largeObjectsRead, grantsRead] = await Promise.all([
      schema,
      readTables(reader, toRead, digests.settings),
      fromComplete,
      largeObjects,
      grants,
    ]);
    return { facts, read, schema: schemaRead, tables, byFile, plan, schemaFromComplete, largeObjects: largeObjectsRead, largeObjectGrants: grantsRead };
  } finally {
    await session.close();
  }
}

/**
 * Whether a data-only load's schema is the complete way's, which read back
 * equal, so that it need not be dumped again: the schema file runs the
 * complete file's schema statements one for one, the data file changes no
 * schema object, and nothing ran during its load that could (the read-back
 * plan found no trigger or function that fires, and no statement of another
 * kind). Waits for the complete way's comparison.
 */
async function schemaOfComplete(context: ProofContext, dataLoad: DataLoadRows | undefined, plan: ReadBackPlan | undefined): Promise<boolean> {
  if (!dataLoad || !plan || plan.every || !dataLoad.sameSchemaStatements || dataLoad.file.statements.changesSchema || !context.completeSchemaEqual) return false;
  return context.completeSchemaEqual.promise;
}

/**
 * The schema entries that differ: against the set's file this path
 * restored from, or — when that file no longer holds what the backup
 * recorded — against the set's other file that still does.
 */
async function explainSchema(
  path: ProofPathPlan,
  set: ListedSet,
  folder: string,
  digests: ManifestDigests,
  observed: readonly SchemaEntryDigest[],
  keys: SetKeys | undefined,
): Promise<string> {
  const files = schemaFilesOf(path, set, folder);
  let reference: SchemaEntryDigest[] | undefined;
  let note = '';
  for (const [index, file] of files.entries()) {
    const { entries, digest } = await schemaEntriesOf(file, undefined, keys);
    if (digest === digests.schema.digest) {
      reference = entries;
      if (index > 0) note = ` (${basename(files[0])} no longer holds the schema the backup recorded; compared with ${basename(file)}, which does)`;
      break;
    }
    if (index === 0) reference = entries;
  }
  if (reference === undefined) return 'its digest differs from the one the backup recorded';
  return `${schemaDifference(compareSchemaEntries(reference, observed))}${note}`;
}

/** Whether the set's schema creates schema public, as a set of some schemas (--schema) does where public is among them; a whole database's dump never does. */
async function createsPublic(set: ListedSet, options: ProveOptions): Promise<boolean> {
  if (!schemaSelection(set.manifest).some((arg) => arg.startsWith('--schema='))) return false;
  const file = set.files.find((candidate) => candidate.type === 'schema') ?? set.files.find((candidate) => candidate.type === 'complete');
  if (!file) return false;
  const { entries } = await scanDumpFile(join(options.folder, file.name), { signal: options.signal, keys: options.keys ?? {} });
  return entries.some((entry) => entry.type === 'SCHEMA' && entry.name === 'public');
}
