/**
 * Verifies a backup set: are its files intact and whole, do they hold what
 * the backup saw (post-backup), and can they be restored into a given
 * database from this machine (pre-restore). Each file is read once, its hash
 * and its structure from the same bytes; the judgments themselves are in
 * verifyChecks.ts. The result is a VerificationReport, appended to the set's
 * history unless the caller says otherwise.
 */
import { hint, option } from '../hint';
import { stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { describeServer, type ConnectionTarget } from '../connection/target';
import { describeConnectionError } from '../connection/failures';
import { connectClient } from '../connection/session';
import { readDumpPreamble, scanDumpFile, type DumpEntry, type DumpScan, type Preamble } from './dumpScan';
import type { SetKeys } from '../codecs/codecs';
import { unlockSetFiles } from '../codecs/setFileReader';
import { PulseError, toPulseError } from '../errors';
import { recentVerification, recordVerification } from '../sets/history';
import { assertStillThere, findSet, INTERRUPTED_PROBLEM, unlessRemoved, type ListedSet } from '../sets/listing';
import { BACKUP_FILE_TYPES, readManifest, type BackupFileType, type Manifest } from '../sets/manifest';
import { fileNameFor, manifestNameFor } from '../sets/naming';
import type pg from 'pg';
import { chooseClientTools, findClientTools, parsePgVersion, parseServerVersionNum, type PgVersion, type ToolSet } from '../pg/tools';
import { containerToolSet } from '../supabase/docker';
import type { ContainerTools } from '../supabase/docker';
import type { RestoreMode } from '../restore/types';
import type { RowsToLoad } from '../restore/decide';
import { findTargetColumns } from '../restore/target';
import { findLoadTriggers } from '../restore/loadTriggers';
import type { CheckGroup, CheckResult, VerificationReport } from './results';
import { outcomeOf } from './results';
import {
  checksumsCheck,
  contentCheckAgainstManifest,
  contentCheckFromFiles,
  damagedManifestCheck,
  diskSpaceCheck,
  diskSpaceUnknownCheck,
  dumpFormatCheck,
  interruptedCheck,
  manifestCheck,
  manifestMismatches,
  noSafetyBackupSpaceCheck,
  noChecksumsCheck,
  notDecryptedCheck,
  permissionsCheck,
  presenceCheck,
  psqlCheck,
  psqlSearchFailedCheck,
  reachableCheck,
  serverVersionCheck,
  targetNeedsChecks,
  largeObjectChecks,
  largeObjectNeeds,
  CATALOG_COLLATIONS_SQL,
  INHERITS_SQL,
  MAY_BECOME_SQL,
  SUPERUSER_FACTS_SQL,
  SCHEMA_PUBLIC_SQL,
  OWN_TABLES_SQL,
  superuserSettingsSql,
  encodingCheck,
  dataColumnsCheck,
  loadTriggersCheck,
  sourceDatabaseCheck,
  sizesCheck,
  unreachableCheck,
  writableCheck,
  type FileFinding,
  type PsqlCandidate,
  type SetContents,
  type TargetFacts,
} from './checks';

export type VerifyProgress =
  /** Reading starts: the files to read and their total size. */
  | { kind: 'reading'; files: { name: string; bytes: number }[]; totalBytes: number }
  | { kind: 'read-progress'; name: string; fileBytesRead: number; fileBytes: number; bytesRead: number; totalBytes: number }
  | { kind: 'file-read'; name: string; bytes: number }
  | { kind: 'checking-target'; target: string }
  /** The report could not be appended to the set's history; the verification itself stands. */
  | { kind: 'not-recorded'; reason: string };

export interface VerifySetOptions {
  folder: string;
  setId: string;
  /** The set as the caller listed it a moment ago (retention, walking many sets): the folder is not listed again for each. */
  listed?: ListedSet;
  /** When given, the pre-restore checks run against this database too. */
  target?: ConnectionTarget;
  env: NodeJS.ProcessEnv;
  pgBinDir?: string;
  /** The pre-restore checks judge the psql of this Supabase database container, the one a restore there runs. */
  container?: ContainerTools;
  signal?: AbortSignal;
  onProgress?: (event: VerifyProgress) => void;
  /** Append the report to the set's history (default true). */
  record?: boolean;
  /** The target's facts, read by the caller's own session: no second connection for the pre-restore checks. */
  targetFacts?: Promise<TargetFacts>;
  /**
   * Reuse the set's last recorded post-backup verification instead of
   * reading every file again, when it did not fail and every file is older
   * than it (see recentVerification); permissions are checked afresh. For a
   * restore's pre-flight, which checks the file it loads while loading it.
   */
  reuseRecorded?: boolean;
  /** Replaceable so tests can check what Windows would say. */
  platform?: NodeJS.Platform;
  /** Whether a restore would take a safety backup into the folder first (default true): what the disk-space check is about. */
  safetyBackup?: boolean;
  /** The restore the pre-restore checks are for, when known: a data restore creates no extension. */
  restoreMode?: RestoreMode;
  /** That restore creates everything in the database's default tablespace (--no-tablespaces): no tablespace of the set is needed. */
  defaultTablespace?: boolean;
  /**
   * What decrypts an encrypted set (its keys are proved on the files'
   * headers first: a wrong one is an error before anything is read).
   * Without it an encrypted set's files are checked by size and sha256
   * only, and the checks of the SQL inside warn that they could not run.
   */
  keys?: SetKeys;
}

export interface PostBackupOptions {
  signal?: AbortSignal;
  onProgress?: (event: VerifyProgress) => void;
  platform?: NodeJS.Platform;
  keys?: SetKeys;
}

/** One dump file of the set, as it was found and read. */
export interface VerifiedFile extends FileFinding {
  path: string;
  /** When only the file's top was read (a reused verification): what pg_dump says there. */
  preamble?: Preamble;
}

export interface PostBackupResult {
  group: CheckGroup;
  files: VerifiedFile[];
  /** The set's manifest, when it has a readable one. */
  manifest?: Manifest;
}

export const POST_BACKUP_TITLE = 'Post-backup checks';
export const PRE_RESTORE_TITLE = 'Pre-restore checks';

/** How long the target may take to answer once connected; connecting has its own 10 s limit (pgClientConfig). */
const TARGET_TIMEOUT_MS = 10_000;

export async function verifySet(options: VerifySetOptions): Promise<VerificationReport> {
  const startedAt = new Date();
  const startedClock = performance.now();
  throwIfCancelled(options.signal);
  const set = options.listed?.id === options.setId ? options.listed : await findSet(options.folder, options.setId);
  if (set.status === 'running') {
    throw new PulseError('backup-locked', `backup set ${set.id} is still being written`, {
      hint: 'wait for the running backup to finish, then verify it',
    });
  }

  // The target's facts and the client tools do not depend on the files: find
  // them while the files are read.
  const target = options.target;
  // Without a restore mode (verify --db), whether a data restore's rows would fit the target's tables is one of the questions.
  const rowsToLoad = options.restoreMode === undefined ? set.manifest?.digests?.tables : undefined;
  const tablesToLoad = options.restoreMode === undefined ? set.manifest?.tables.filter((table) => table.rows !== null) : undefined;
  const targetFacts = target ? settle(options.targetFacts ?? probeTarget(target, options.signal, rowsToLoad, tablesToLoad)) : undefined;
  const tools = target
    ? settle(
        options.container
          ? Promise.resolve([containerToolSet(options.container)])
          : findClientTools({ pgBinDir: options.pgBinDir, env: options.env, ...(options.signal ? { signal: options.signal } : {}) }),
      )
    : undefined;
  if (target) options.onProgress?.({ kind: 'checking-target', target: describeServer(target) });

  let post: PostBackupResult;
  try {
    const recorded = options.reuseRecorded ? await recentVerification(options.folder, set) : undefined;
    const reusable = recorded && set.manifest && outcomeOf(recorded.groups.find((group) => group.name === 'post-backup')?.checks ?? []) !== 'fail';
    post =
      reusable && recorded && set.manifest ? await reusePostBackup(options.folder, set, set.manifest, recorded, options) : await verifyPostBackup(options.folder, set, options);
  } catch (error) {
    // Let the connection attempt finish before leaving, so no socket outlives the call.
    await targetFacts;
    // A file that vanished mid-read: the set was removed (see below).
    throw await unlessRemoved(options.folder, set, 'verify', error);
  }
  const groups: CheckGroup[] = [post.group];
  if (target && targetFacts && tools) {
    groups.push(
      await preRestoreGroup(options.folder, set, post, target, await targetFacts, await tools, {
        safetyBackup: options.safetyBackup ?? true,
        restoreMode: options.restoreMode,
        defaultTablespace: options.defaultTablespace === true,
      }),
    );
  }
  throwIfCancelled(options.signal);

  const report: VerificationReport = {
    setId: set.id,
    checkedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - startedClock),
    ...(target ? { target: { host: target.host, port: target.port, database: target.database, user: target.user } } : {}),
    groups,
    outcome: outcomeOf(groups.flatMap((group) => group.checks)),
  };
  // The set is read without the folder's lock (a long read must not hold
  // every backup back): a backup's retention or a prune may have removed it
  // meanwhile. Files it found missing then say nothing of the set, and
  // nothing is recorded for a set that is no longer there.
  await assertStillThere(options.folder, set, 'verify');
  if (options.record ?? true) {
    try {
      await recordVerification(options.folder, report);
    } catch (error) {
      options.onProgress?.({ kind: 'not-recorded', reason: toPulseError(error).message });
    }
  }
  return report;
}

/**
 * The checks that need only the set: presence, sizes and checksums against
 * the manifest, permissions, whole dumps, and content. Reads every file once.
 */
export async function verifyPostBackup(folder: string, set: ListedSet, options: PostBackupOptions = {}): Promise<PostBackupResult> {
  const manifestState = await loadManifest(folder, set);
  const files = await readSetFiles(folder, set, options, manifestState.manifest);
  const manifest = manifestState.manifest;
  const checks: CheckResult[] = [presenceCheck(files)];
  if (manifest) {
    checks.push(manifestCheck(manifest, manifestMismatches(manifest, set.id, files)), sizesCheck(manifest, files), checksumsCheck(manifest, files));
  } else if (set.interrupted) {
    checks.push(interruptedCheck(INTERRUPTED_PROBLEM), noChecksumsCheck('interrupted'));
  } else if (manifestState.problem !== undefined) {
    checks.push(damagedManifestCheck(manifestState.problem), noChecksumsCheck('damaged-manifest'));
  } else {
    checks.push(noChecksumsCheck('legacy'));
  }
  checks.push(permissionsCheck(files, options.platform ?? process.platform), dumpFormatCheck(files));
  const contents: SetContents = {};
  for (const file of files) if (file.scan && file.scan.notDecoded === undefined) contents[file.type] = file.scan;
  const locked = files.filter((file) => file.scan?.notDecoded === 'no-key').map((file) => file.name);
  if (locked.length > 0) checks.push(notDecryptedCheck('content', locked));
  else checks.push(manifest ? contentCheckAgainstManifest(manifest, contents) : contentCheckFromFiles(contents));
  return {
    group: { name: 'post-backup', title: POST_BACKUP_TITLE, checks },
    files,
    ...(manifest ? { manifest } : {}),
  };
}

/**
 * The post-backup group of a recorded verification whose files have not
 * changed since: its checks stand, each saying when it ran; permissions
 * (which change without touching a file's modification time) are checked
 * again, and each file's preamble is read for the pre-restore checks.
 */
async function reusePostBackup(folder: string, set: ListedSet, manifest: Manifest, recorded: VerificationReport, options: PostBackupOptions): Promise<PostBackupResult> {
  const files: VerifiedFile[] = await Promise.all(
    BACKUP_FILE_TYPES.map(async (type): Promise<VerifiedFile> => {
      const name = set.files.find((file) => file.type === type)?.name ?? missingFileName(set, type, manifest);
      const path = join(folder, name);
      const file: VerifiedFile = { type, name, path };
      try {
        file.mode = (await stat(path)).mode & 0o777;
        const preamble = await readDumpPreamble(path, options.keys);
        if (preamble) file.preamble = preamble;
      } catch (error) {
        file.unreadable = describeReadError(error);
      }
      return file;
    }),
  );
  const when = recorded.checkedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  const recordedChecks = recorded.groups.find((group) => group.name === 'post-backup')?.checks ?? [];
  const checks = recordedChecks.map((check) =>
    check.id === 'permissions'
      ? permissionsCheck(files, options.platform ?? process.platform)
      : REUSED_NOTE.test(check.detail)
        ? check
        : { ...check, detail: `${check.detail} (checked ${when}; no file has changed since)` },
  );
  return { group: { name: 'post-backup', title: POST_BACKUP_TITLE, checks }, files, manifest };
}

/** The note a reused check carries; a check reused again keeps the time it really ran. */
const REUSED_NOTE = /\(checked [^()]*; no file has changed since\)$/;

async function loadManifest(folder: string, set: ListedSet): Promise<{ manifest?: Manifest; problem?: string }> {
  if (set.manifest) return { manifest: set.manifest };
  const path = join(folder, manifestNameFor(set.prefix, set.timestamp));
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (!exists) return {};
  try {
    // Listing could not read it a moment ago; ask again for the reason.
    return { manifest: await readManifest(path) };
  } catch (error) {
    return { problem: toPulseError(error).message };
  }
}

/** Reads the three dump files, each in one pass. */
/**
 * The name of a file the set lacks: as its manifest records it, else as its
 * other files are stored (….sql.age, ….sql.gz beside them). A plain ….sql
 * name for a missing file of an encrypted set would be named wrongly, and
 * taken for a manifest that does not describe the set.
 */
function missingFileName(set: ListedSet, type: BackupFileType, manifest: Manifest | undefined): string {
  const recorded = manifest?.files.find((file) => file.type === type)?.name;
  if (recorded !== undefined) return recorded;
  const plain = fileNameFor(set.prefix, type, set.timestamp);
  const sibling = set.files.find((file) => file.name.startsWith(fileNameFor(set.prefix, file.type, set.timestamp)));
  return sibling ? plain + sibling.name.slice(fileNameFor(set.prefix, sibling.type, set.timestamp).length) : plain;
}

async function readSetFiles(folder: string, set: ListedSet, options: PostBackupOptions, manifest: Manifest | undefined): Promise<VerifiedFile[]> {
  const files: VerifiedFile[] = BACKUP_FILE_TYPES.map((type) => {
    const name = set.files.find((file) => file.type === type)?.name ?? missingFileName(set, type, manifest);
    return { type, name, path: join(folder, name) };
  });
  const sizes = new Map<VerifiedFile, number>();
  await Promise.all(
    files.map(async (file) => {
      try {
        const info = await stat(file.path);
        file.mode = info.mode & 0o777;
        // A FIFO or a device would block the read for ever (and a worker thread with it, so that not even Ctrl-C ends the process).
        if (info.isDirectory()) file.unreadable = describeReadError(Object.assign(new Error('directory'), { code: 'EISDIR' }));
        else if (!info.isFile()) file.unreadable = 'it is not a regular file (a pipe or a device)';
        else sizes.set(file, info.size);
      } catch (error) {
        file.unreadable = describeReadError(error);
      }
    }),
  );
  const readable = files.filter((file) => sizes.has(file));
  // A wrong key is one line before any file is read through; a damaged header is the scan's finding.
  if (options.keys)
    await unlockSetFiles(
      readable.map((file) => file.path),
      options.keys,
      { damagedIsAFinding: true, recorded: set.manifest?.files },
    );
  const totalBytes = readable.reduce((sum, file) => sum + (sizes.get(file) ?? 0), 0);
  options.onProgress?.({ kind: 'reading', files: readable.map((file) => ({ name: file.name, bytes: sizes.get(file) ?? 0 })), totalBytes });
  // One file after another: each read already runs ahead of the hashing
  // (see readChunks), and reading the files side by side measured no faster
  // on two cores while it would make a spinning disk seek between them.
  let bytesBefore = 0;
  for (const file of readable) {
    if (options.signal?.aborted) break;
    const fileBytes = sizes.get(file) ?? 0;
    try {
      file.scan = await scanDumpFile(file.path, {
        signal: options.signal,
        ...(options.keys ? { keys: options.keys } : {}),
        onBytes: (fileBytesRead) => options.onProgress?.({ kind: 'read-progress', name: file.name, fileBytesRead, fileBytes, bytesRead: bytesBefore + fileBytesRead, totalBytes }),
      });
      options.onProgress?.({ kind: 'file-read', name: file.name, bytes: file.scan.bytes });
      bytesBefore += file.scan.bytes;
    } catch (error) {
      if (options.signal?.aborted) break;
      file.unreadable = describeReadError(error);
    }
  }
  throwIfCancelled(options.signal);
  return files;
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'missing';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EIO':
      return 'input/output error (a failing disk?)';
  }
  return error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
}

// ---------------------------------------------------------------------------
// Pre-restore

type Settled<T> = { ok: true; value: T } | { ok: false; error: PulseError };

/** Never rejects, so a promise started early cannot become an unhandled rejection. */
function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error: toPulseError(error) }),
  );
}

/** What the pre-restore checks read of the target, in one query (a restore's pre-flight asks it on its own session). */
export const TARGET_FACTS_SQL = `SELECT pg_catalog.current_setting('server_version_num') AS version_num, pg_catalog.pg_database_size(pg_catalog.current_database())::pg_catalog.text AS size,
  pg_catalog.pg_is_in_recovery() AS in_recovery, pg_catalog.current_setting('default_transaction_read_only') AS read_only,
  ARRAY(SELECT name::pg_catalog.text FROM pg_catalog.pg_available_extensions UNION SELECT extname::pg_catalog.text FROM pg_catalog.pg_extension) AS extensions,
  ARRAY(SELECT rolname::pg_catalog.text FROM pg_catalog.pg_roles) AS roles, ARRAY(SELECT spcname::pg_catalog.text FROM pg_catalog.pg_tablespace) AS tablespaces,
  ${CATALOG_COLLATIONS_SQL} AS collations,
  current_user::pg_catalog.text AS current_user, (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser,
  ${MAY_BECOME_SQL} AS may_become,
  (SELECT pg_catalog.json_object_agg(n.nspname, ARRAY(SELECT r.rolname::pg_catalog.text FROM pg_catalog.pg_roles r WHERE pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE')))
     FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema') AS schema_creators,
  ARRAY(SELECT rolname::pg_catalog.text FROM pg_catalog.pg_roles WHERE pg_catalog.has_database_privilege(oid, pg_catalog.current_database(), 'CREATE')) AS database_creators,
  ${INHERITS_SQL} AS inherits,
  ${SUPERUSER_FACTS_SQL},
  ${SCHEMA_PUBLIC_SQL} AS schema_public,
  pg_catalog.current_database()::pg_catalog.text AS database,
  pg_catalog.getdatabaseencoding() AS encoding,
  ${OWN_TABLES_SQL} AS tables`;

export interface TargetFactsRow {
  version_num: string;
  size: string;
  in_recovery: boolean;
  read_only: string;
  extensions: string[];
  roles: string[];
  tablespaces: string[];
  collations: string[];
  current_user: string;
  superuser: boolean;
  may_become: string[];
  schema_creators: Record<string, string[]> | null;
  database_creators: string[];
  inherits: Record<string, string[]> | null;
  superusers: string[];
  untrusted_languages: string[];
  installed_extensions: Record<string, string> | null;
  superuser_extensions: string[];
  privileged_extensions: string[] | null;
  may_subscribe: boolean;
  extension_schemas: Record<string, string> | null;
  schema_public: { owner: string; owned: boolean; grantable: boolean } | null;
  database: string;
  encoding: string;
  tables: string[];
}

export function targetFactsOf(row: TargetFactsRow): TargetFacts {
  const readOnly = row.in_recovery ? 'standby' : row.read_only === 'on' ? 'read-only-default' : undefined;
  return {
    version: parseServerVersionNum(row.version_num),
    databaseBytes: Number(row.size),
    ...(readOnly ? { readOnly } : {}),
    extensions: row.extensions,
    roles: row.roles,
    tablespaces: row.tablespaces,
    collations: row.collations,
    currentUser: row.current_user,
    superuser: row.superuser,
    mayBecome: row.may_become,
    schemaCreators: row.schema_creators ?? {},
    databaseCreators: row.database_creators,
    inherits: row.inherits ?? {},
    superusers: row.superusers,
    untrustedLanguages: row.untrusted_languages,
    installedExtensions: row.installed_extensions ?? {},
    superuserExtensions: row.superuser_extensions,
    privilegedExtensions: row.privileged_extensions ?? [],
    maySubscribe: row.may_subscribe,
    extensionSchemas: row.extension_schemas ?? {},
    ...(row.schema_public ? { schemaPublic: row.schema_public } : {}),
    database: row.database,
    encoding: row.encoding,
    tables: row.tables,
  };
}

/** What the pre-restore checks read of the target (TARGET_FACTS_SQL, and the settings a function of the set may set). */
export async function readTargetFacts(client: Pick<pg.Client, 'query'>): Promise<TargetFacts> {
  const facts = targetFactsOf((await client.query<TargetFactsRow>(TARGET_FACTS_SQL)).rows[0]);
  facts.superuserSettings = (await client.query<{ names: string[] }>(superuserSettingsSql(facts.version.major))).rows[0].names;
  return facts;
}

async function probeTarget(
  target: ConnectionTarget,
  signal: AbortSignal | undefined,
  rowsToLoad?: readonly RowsToLoad[],
  tablesToLoad?: readonly { schema: string; name: string }[],
): Promise<TargetFacts> {
  let client: pg.Client | undefined;
  const onAbort = () => void client?.end().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    client = await connectClient(target, { configure: (config) => ({ ...config, query_timeout: TARGET_TIMEOUT_MS }), ...(signal ? { signal } : {}) });
    const facts = await readTargetFacts(client);
    if (rowsToLoad) facts.rowsToLoad = { tables: rowsToLoad, columns: await findTargetColumns(client, rowsToLoad) };
    if (tablesToLoad) facts.loadTriggers = await findLoadTriggers(client, tablesToLoad);
    return facts;
  } catch (error) {
    throw describeConnectionError(error, target);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await client?.end().catch(() => undefined);
  }
}

async function preRestoreGroup(
  folder: string,
  set: ListedSet,
  post: PostBackupResult,
  target: ConnectionTarget,
  facts: Settled<TargetFacts>,
  tools: Settled<ToolSet[]>,
  restore: { safetyBackup: boolean; restoreMode: RestoreMode | undefined; defaultTablespace: boolean },
): Promise<CheckGroup> {
  const { safetyBackup, restoreMode } = restore;
  const checks: CheckResult[] = [];
  const serverVersion = facts.ok ? facts.value.version : undefined;
  checks.push(facts.ok ? reachableCheck(describeServer(target), target.database, target.user, facts.value) : unreachableCheck(facts.error.message, facts.error.hint));
  if (facts.ok) checks.push(writableCheck(target.database, target.user, facts.value));

  const filesWithRestrict = post.files.filter((file) => (file.scan ?? file.preamble)?.restrictKey !== undefined).map((file) => file.name);
  checks.push(
    tools.ok
      ? psqlCheck({ ...psqlCandidates(tools.value, serverVersion), filesWithRestrict, serverVersion, binDirHint: BIN_DIR_HINT })
      : psqlSearchFailedCheck(tools.error.message, tools.error.hint),
  );

  if (serverVersion) checks.push(serverVersionCheck(dumpedFrom(post), serverVersion));
  // From the files' scans; a reused verification has none (a restore's pre-flight then checks the schema file it reads).
  const entries = scannedEntries(post);
  if (facts.ok && entries && restoreMode !== 'data') checks.push(...targetNeedsChecks(entries, facts.value, { defaultTablespace: restore.defaultTablespace }));
  if (facts.ok && restoreMode === 'data' && post.manifest) checks.push(...largeObjectChecks(largeObjectNeeds(post.manifest), facts.value));
  const encoding = facts.ok ? encodingCheck(setEncoding(post), facts.value.encoding) : undefined;
  if (encoding) checks.push(encoding);
  if (facts.ok && post.manifest && facts.value.tables) checks.push(sourceDatabaseCheck(post.manifest, { database: facts.value.database, tables: facts.value.tables }));
  if (facts.ok && facts.value.rowsToLoad) checks.push(dataColumnsCheck(facts.value.rowsToLoad.tables, facts.value.rowsToLoad.columns));
  if (facts.ok && facts.value.loadTriggers) checks.push(loadTriggersCheck(facts.value.loadTriggers));

  if (!safetyBackup) {
    checks.push(noSafetyBackupSpaceCheck(folder));
    return { name: 'pre-restore', title: PRE_RESTORE_TITLE, checks };
  }
  const space = await settle(statfs(folder));
  checks.push(
    space.ok
      ? diskSpaceCheck({
          folder,
          freeBytes: Number(space.value.bavail) * Number(space.value.bsize),
          databaseBytes: facts.ok ? facts.value.databaseBytes : undefined,
          setBytes: set.totalBytes,
        })
      : diskSpaceUnknownCheck(folder, space.error.message),
  );
  return { name: 'pre-restore', title: PRE_RESTORE_TITLE, checks };
}

const BIN_DIR_HINT = hint`point ${option('clientToolsFolder')} at the folder that holds psql`;

/** Every psql found, and the one a restore would use: the one beside the pg_dump chosen for this server. */
function psqlCandidates(sets: readonly ToolSet[], serverVersion: PgVersion | undefined): { candidates: PsqlCandidate[]; preferred?: PsqlCandidate } {
  const candidates = sets.flatMap((set) => (set.psql ? [{ path: set.psql.path, version: set.psql.version }] : []));
  if (!serverVersion) return { candidates };
  try {
    const chosen = chooseClientTools(sets, serverVersion).psql;
    return chosen ? { candidates, preferred: { path: chosen.path, version: chosen.version } } : { candidates };
  } catch {
    // No pg_dump fits this server; any psql may still load the files.
    return { candidates };
  }
}

/** The entries of the set's schema file as its scan found them (else the complete file's); undefined when neither was read through. */
function scannedEntries(post: PostBackupResult): readonly DumpEntry[] | undefined {
  for (const type of ['schema', 'complete'] as const) {
    const scan = post.files.find((candidate) => candidate.type === type)?.scan;
    if (scan && scan.notDecoded === undefined && scan.hasFooter) return scan.entries;
  }
  return undefined;
}

/** The encoding of the set's text, from the preamble of whichever file was read (they share it). */
function setEncoding(post: PostBackupResult): string | undefined {
  for (const file of post.files) {
    const encoding = (file.scan ?? file.preamble)?.clientEncoding;
    if (encoding !== undefined) return encoding;
  }
  return undefined;
}

/** The server version the set was dumped from: the manifest's, else the complete file's own note. */
function dumpedFrom(post: PostBackupResult): PgVersion | undefined {
  if (post.manifest) {
    try {
      return parseServerVersionNum(post.manifest.server.versionNum);
    } catch {
      // fall through to the files' own note
    }
  }
  for (const type of ['complete', 'schema', 'data'] as const) {
    const file = post.files.find((candidate) => candidate.type === type);
    const said: DumpScan | Preamble | undefined = file?.scan ?? file?.preamble;
    const version = said?.dumpedFromVersion === undefined ? undefined : parsePgVersion(said.dumpedFromVersion);
    if (version) return version;
  }
  return undefined;
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new PulseError('cancelled', 'verification cancelled', { hint: 'nothing was changed; run it again to verify the set' });
  }
}
