/**
 * Brings a backup set back, all or nothing. First a pre-flight that changes
 * nothing: the set must verify, the target must be on this machine (unless
 * allowed otherwise), and what the restore would replace is listed. Then a
 * safety backup of the target, so the restore itself can be undone. Then one
 * psql session, one transaction, stopping at the first error: if anything
 * fails — a missing role, a constraint, a killed process — the server rolls
 * the whole transaction back and the target is exactly as it was.
 */
import { commandLineOnly, hint, joinHints, option, run, setOption } from '../hint';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { guardNewerSettings, runBackup, type BackupProgress, type BackupResult } from '../backup/backup';
import {
  childProcessEnv,
  connectClient,
  describeConnectionError,
  describeTarget,
  isLocalTarget,
  pgClientConfig,
  redactText,
  type ConnectionTarget,
} from '../connection/connection';
import { scanDumpFile, type DumpEntry } from '../verify/dumpScan';
import { DumpReader, type EntryHeader, type TableDataEvent } from '../pg/dumpReader';
import { startTool, toolStartError, type ToolExit } from '../process/toolProcess';
import { psqlEndedEarlyError } from '../pg/psqlEnd';
import { PulseError, toPulseError } from '../errors';
import { findSet, type ListedSet } from '../sets/listing';
import { acquireFolderLock } from '../files/folderLock';
import { qualifiedName, type BackupFileType, type Manifest } from '../sets/manifest';
import { chooseClientTools, findClientTools, parseServerVersionNum } from '../pg/tools';
import { containerToolSet, dockerEnv, dockerExecArgs } from '../supabase/docker';
import type { ContainerTools, SupabaseProject } from '../supabase/project';
import { runSupabaseReset } from '../supabase/reset';
import {
  findAttachedObjects,
  findExistingObjects,
  findPlatformTables,
  objectsOfDump,
  splitOnTableName,
  type AttachedObject,
  type ExistingObject,
} from './target';
import { checkClean, findReferencesFromOutside, recreatedParts } from './cleanPlan';
import { checkLockBudget, estimateLocks, type LockBudget } from './lockBudget';
import { findLockHolders } from '../pg/lockHolders';
import { LockWatchdog } from '../pg/lockWatchdog';
import { lockHeldError, listNames, outsideDependentsError, psqlError, type ErrorLocation } from './failures';
import { lockTargets, replacedByClean, restoreProlog } from './prolog';
import { resetDefaultPrivilegesStatement } from './defaultPrivileges';
import type { VerificationReport } from '../verify/results';
import { verifySet } from '../verify/verify';
import { onLines } from '../process/lines';

export type RestoreMode = 'complete' | 'schema' | 'data';

export interface RestoreOptions {
  folder: string;
  setId: string;
  mode: RestoreMode;
  target: ConnectionTarget;
  env: NodeJS.ProcessEnv;
  pgBinDir?: string;
  /** complete/schema: drop what the backup recreates; data: empty the backup's tables first. */
  clean: boolean;
  /** Allow a target that is not on this machine. */
  allowRemote: boolean;
  /** Run psql (and the safety backup's pg_dump) inside this Supabase database container. */
  container?: ContainerTools;
  /** Whether a safety backup will be taken (default true): without one, a full or read-only folder will do. */
  safetyBackup?: boolean;
  /** How long the restore waits for a lock another session holds before it gives up, changing nothing (default 10 s). */
  lockTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A restore waits this long for another session's lock, then gives up: its queued lock would block the application meanwhile. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** What the pre-flight found; nothing has changed yet. */
export interface RestorePlan {
  setId: string;
  mode: RestoreMode;
  clean: boolean;
  /** user@host:port/database, never a password. */
  target: string;
  serverVersion: string;
  /** The file that will be loaded. */
  file: string;
  verification: VerificationReport;
  /** The backup's objects that already exist in the target and will be replaced (or emptied). */
  replaced: ExistingObject[];
  /** Notes for the person confirming (e.g. no manifest, so row counts cannot be checked). */
  notes: string[];
  psql: { path: string; version: string };
}

export interface RestoredTable {
  schema: string;
  name: string;
  /** Rows the manifest recorded; null when the set has no manifest. */
  expected: number | null;
  restored: number;
  matches: boolean;
}

export interface RestoreResult {
  plan: RestorePlan;
  /** The set taken of the target before it changed, when one was. */
  safetyBackup?: string;
  durationMs: number;
  tables: RestoredTable[];
  /** True when every restored table holds the rows the manifest recorded. */
  rowCountsMatch: boolean;
}

export type RestoreProgress =
  | { kind: 'verifying' }
  | { kind: 'resetting'; line?: string }
  | { kind: 'safety-backup'; event: BackupProgress }
  | { kind: 'safety-backup-done'; setId: string }
  | { kind: 'loading'; bytes: number; totalBytes: number }
  | { kind: 'table-start'; table: TableDataEvent }
  | { kind: 'table-done'; table: TableDataEvent }
  | { kind: 'checking-rows' };

const FILE_FOR_MODE: Record<RestoreMode, BackupFileType> = { complete: 'complete', schema: 'schema', data: 'data' };

/** Everything the execution needs that the person confirming does not see. */
interface PreparedRestore {
  plan: RestorePlan;
  options: RestoreOptions;
  set: ListedSet;
  prolog: string;
  /** Schemas the file creates that already exist: their CREATE SCHEMA becomes IF NOT EXISTS. */
  existingSchemas: Set<string>;
  fileBytes: number;
  psqlPath: string;
  /** psql may read the file itself: nothing in it needs rewriting on the way (see runPsql). */
  directLoad: boolean;
  /** The set's pg_dump (17 or later) is newer than the target server (before 17): its preamble may need guarding. */
  olderServer: boolean;
  /** The locks the restore is estimated to need, against the server's room for them. */
  lockBudget: LockBudget;
  /** The existing tables the restore locks (regclass text): whose holders a lock wait names. */
  lockedRelations: string[];
}

const prepared = new WeakMap<RestorePlan, PreparedRestore>();

export async function planRestore(options: RestoreOptions): Promise<RestorePlan> {
  const set = await findSet(options.folder, options.setId);
  if (!options.allowRemote && !isLocalTarget(options.target)) {
    throw new PulseError('remote-target', `${describeTarget(options.target)} is not on this machine`, {
      hint: hint`restores go to a local database (loopback or a local socket)${commandLineOnly(hint`; pass ${option('allowRemote')} if you really mean that server`, hint`; for another server use the command line (pulse-backup restore)`)}`,
    });
  }
  if (set.status === 'running') {
    throw new PulseError('restore-refused', `${set.id} is still being written`, { hint: 'wait for the backup to finish' });
  }
  // One session for the whole pre-flight: the verification's target checks
  // read their facts through it, and the plan goes on with it.
  // A target no session can reach as it is given (verify-full without a CA file) is a usage error, before anything.
  pgClientConfig(options.target);
  const connecting = connectClient(options.target).catch((error: unknown) => {
    throw describeConnectionError(error, options.target);
  });
  connecting.catch(() => undefined);
  const endSession = () => connecting.then((session) => session.end()).catch(() => undefined);
  const targetFacts = connecting.then(async (session) => {
    const facts = await session.query<{ version_num: string; size: string }>(
      `SELECT current_setting('server_version_num') AS version_num, pg_database_size(current_database())::text AS size`,
    );
    return { version: parseServerVersionNum(facts.rows[0].version_num), databaseBytes: Number(facts.rows[0].size) };
  });
  targetFacts.catch(() => undefined);
  let client: pg.Client;
  let verification: VerificationReport;
  try {
    // A recorded verification of unchanged files is not repeated: the file
    // that loads is checked against its sha256 while it loads (see feedPsql).
    verification = await verifySet({
      folder: options.folder,
      setId: set.id,
      reuseRecorded: true,
      target: options.target,
      targetFacts,
      env: options.env,
      pgBinDir: options.pgBinDir,
      safetyBackup: options.safetyBackup ?? true,
      ...(options.container ? { container: options.container } : {}),
      signal: options.signal,
    });
    if (verification.outcome === 'fail') {
      const failed = verification.groups.flatMap((group) => group.checks).filter((check) => check.status === 'fail');
      // What the failed checks advise comes first (a connection's fix), still as data for each front door to word.
      const advice = joinHints(failed.flatMap((check) => (check.hint ? [check.hint] : [])), '; ');
      throw new PulseError('verification-failed', `${set.id} failed verification (${failed.map((check) => `${check.title}: ${check.detail}`).join('; ')})`, {
        hint: hint`${advice.length > 0 ? hint`${advice}; ` : ''}nothing was changed; ${run('verify', set.id)} for details, or restore another set`,
      });
    }
    client = await connecting;
  } catch (error) {
    await endSession();
    throw error;
  }

  const fileType = FILE_FOR_MODE[options.mode];
  const file = set.files.find((candidate) => candidate.type === fileType);
  if (!file) {
    await client.end().catch(() => undefined);
    throw new PulseError('restore-refused', `${set.id} has no ${fileType} file`, { hint: hint`pick another set or another ${option('restoreMode')}` });
  }

  try {
    // has_parameter_privilege exists from PostgreSQL 15 on; naming it on 13 or 14, even in a branch never taken, fails.
    const grantable = (await targetFacts).version.major >= 15 ? `has_parameter_privilege('session_replication_role', 'SET')` : 'false';
    const server = await client.query<{ version: string; version_num: string; may_silence_triggers: boolean; lock_slots: string; lock_sessions: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS version_num,
              (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR ${grantable} AS may_silence_triggers,
              current_setting('max_locks_per_transaction') AS lock_slots,
              (current_setting('max_connections')::int + current_setting('autovacuum_max_workers')::int + 1
               + current_setting('max_worker_processes')::int + current_setting('max_wal_senders')::int
               + current_setting('max_prepared_transactions')::int)::text AS lock_sessions`,
    );
    const serverRow = server.rows[0];
    const found = options.container ? [containerToolSet(options.container)] : await findClientTools({ pgBinDir: options.pgBinDir, env: options.env });
    const tools = chooseClientTools(found, parseServerVersionNum(serverRow.version_num));
    const psql = tools.psql;
    if (!psql) {
      throw new PulseError('tools-not-found', `there is no psql beside ${tools.pgDump.path}`, {
        hint: hint`install the PostgreSQL client tools (psql) or ${setOption('clientToolsFolder')}`,
      });
    }
    if (options.mode === 'data' && !serverRow.may_silence_triggers) {
      throw new PulseError('restore-refused', `${options.target.user} may not set session_replication_role, which a data restore needs`, {
        hint: 'connect as a superuser (or GRANT SET ON PARAMETER session_replication_role TO the user), or restore complete into an empty database',
      });
    }

    // The objects the backup creates, read from its (small) schema file; the
    // data file is read for large objects only when the set has any.
    const schemaFile = set.files.find((candidate) => candidate.type === 'schema');
    const entries: DumpEntry[] = [];
    if (schemaFile) entries.push(...(await scanDumpFile(join(options.folder, schemaFile.name), { signal: options.signal })).entries);
    // Which large objects the set brings matters only if the target has some
    // already (they would collide); otherwise the data file need not be read.
    const setHasLargeObjects = set.manifest ? set.manifest.largeObjects > 0 : true;
    const targetHasLargeObjects = setHasLargeObjects
      ? (await client.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata) AS any')).rows[0].any
      : false;
    const dataFile = set.files.find((candidate) => candidate.type === 'data');
    if (options.mode !== 'schema' && targetHasLargeObjects && dataFile) {
      const dataEntries = (await scanDumpFile(join(options.folder, dataFile.name), { signal: options.signal })).entries;
      entries.push(...dataEntries.filter((entry) => entry.type === 'BLOB' || entry.type === 'LARGE OBJECT' || entry.type === 'BLOB METADATA'));
    }
    const objects = objectsOfDump(entries);
    const parts = recreatedParts(entries);
    const existing = await findExistingObjects(client, objects);
    // Supabase profile: the platform's tables the set brings rows for, and the
    // application's triggers and policies on them.
    const platform = await platformPieces(client, set.manifest, entries, options.mode);
    const existingSchemas = new Set(existing.filter((object) => object.kind === 'schema').map((object) => object.name));
    const notes: string[] = [];
    if (!set.manifest) notes.push('this set has no manifest (made by the old script): restored row counts cannot be checked against it');
    let replaced: ExistingObject[];
    let relationsDropped = 0;
    const silenceTriggers = options.mode === 'data' || (options.mode === 'complete' && platform.tables.length > 0);

    if (options.mode === 'data') {
      const backupTables = objects.filter((object) => object.type === 'TABLE');
      const presentTables = existing.filter((object) => object.kind === 'table');
      const missing = backupTables.filter((table) => !presentTables.some((present) => present.schema === table.schema && present.name === table.name));
      if (missing.length > 0) {
        throw new PulseError('restore-refused', `the target lacks ${missing.length} of the backup's tables (${listNames(missing)})`, {
          hint: hint`a data restore needs the schema in place: restore with ${option('restoreMode', 'schema')} first, or with ${option('restoreMode', 'complete')}; nothing was changed`,
        });
      }
      const withRows = [...presentTables, ...platform.tables].filter((table) => (table.rows ?? 0) > 0);
      const largeObjects = existing.filter((object) => object.kind === 'large object');
      if (!options.clean && (withRows.length > 0 || largeObjects.length > 0)) {
        const what = withRows.length > 0 ? `${withRows.length} of the backup's tables already hold rows (${listNames(withRows, true)})` : `the target already has ${largeObjects.length} of the backup's large objects`;
        throw new PulseError('restore-refused', what, { hint: hint`${commandLineOnly(hint`pass ${option('clean')} to empty them first (a safety backup is taken before), or `)}restore into an empty copy; nothing was changed` });
      }
      if (options.clean) {
        const outside = await findReferencesFromOutside(client, presentTables.map((table) => table.dropName));
        if (outside.length > 0) throw outsideDependentsError(outside, 'empty');
      }
      replaced = options.clean ? [...presentTables, ...platform.tables, ...largeObjects] : [];
    } else {
      const conflicting = replacedByClean({ existing, mode: options.mode });
      // A complete restore reloads the platform tables' rows: rows there now would collide.
      const platformRows = options.mode === 'complete' ? platform.tables.filter((table) => (table.rows ?? 0) > 0) : [];
      const inTheWay = [...platform.attached, ...conflicting, ...platformRows];
      if (inTheWay.length > 0 && !options.clean) {
        throw new PulseError('restore-refused', `the target already has ${inTheWay.length} of the backup's objects (${listNames(inTheWay)})`, {
          hint: hint`${commandLineOnly(hint`pass ${option('clean')} to replace them (a safety backup is taken before), or `)}restore into an empty database; nothing was changed`,
        });
      }
      if (options.clean && conflicting.length > 0) {
        const check = await checkClean(client, objects, parts);
        if (check.outside.length > 0) throw outsideDependentsError(check.outside, 'replace');
        relationsDropped = check.relationsDropped;
      }
      replaced = [...platform.attached, ...conflicting, ...(options.mode === 'complete' ? platform.tables : [])];
      // The platform's tables keep their own foreign keys while rows load, and
      // pg_dump loads them by name (auth.identities before auth.users): they
      // load as a data restore does, with triggers and those checks quiet.
      if (silenceTriggers && !serverRow.may_silence_triggers) {
        throw new PulseError('restore-refused', `${options.target.user} may not set session_replication_role, which loading the Supabase platform's rows needs`, {
          hint: 'connect as a superuser (or GRANT SET ON PARAMETER session_replication_role TO the user); nothing was changed',
        });
      }
    }

    // One transaction holds a lock on every relation it creates, empties or
    // drops until it commits: a schema of thousands of tables can need more
    // than the server's lock table holds. Refused here, before anything.
    const lockBudget = checkLockBudget({
      needed: estimateLocks(entries, options.mode) + relationsDropped,
      slotsPerSession: Number(serverRow.lock_slots),
      sessions: Number(serverRow.lock_sessions),
    });
    // An idle transaction holding a lock on what the restore must change would
    // make it wait its whole lock timeout: named now, before the safety backup.
    const locks = lockTargets({ mode: options.mode, clean: options.clean, existing, platform });
    const lockedRelations = [...locks.exclusive, ...locks.rowsOnly];
    const idle = [
      ...(await findLockHolders(client, locks.exclusive, { idleOnly: true })),
      ...(await findLockHolders(client, locks.rowsOnly, { idleOnly: true, rowsOnly: true })),
    ].filter((holder, index, all) => all.findIndex((other) => other.pid === holder.pid) === index);
    if (idle.length > 0) throw lockHeldError(idle, 'would wait for', options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);

    const sequences = await sequencesToKeep(client, options.mode, options.clean, existing, platform.tables);
    if (sequences.refused.length > 0) {
      notes.push(`${options.target.user} may not alter ${listNames(sequences.refused.map((name) => ({ schema: '', name })))}: if this restore fails, those sequences keep the values it set`);
    }
    // pg_dump 17 writes SET transaction_timeout, which servers before 17 reject (sets made before their files guarded it).
    const setPgDumpMajor = Number(/^(\d+)/.exec(set.manifest?.tools.pgDump.version ?? '')?.[1] ?? 17);
    const olderServer = setPgDumpMajor >= 17 && Number(serverRow.version_num) < 170000;
    const prolog = restoreProlog({
      mode: options.mode,
      clean: options.clean,
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      existing,
      objects,
      parts,
      platform,
      silenceTriggers,
      sequences: sequences.protected,
      // Objects the file creates start from the built-in privileges, as pg_dump's GRANTs expect.
      resetDefaultPrivileges: options.mode === 'data' ? [] : [resetDefaultPrivilegesStatement((set.manifest?.profile?.leftOut.schemas ?? []).map((schema) => schema.name))],
    });

    // What each replaced table holds now against what the backup brings: the confirmation shows the difference.
    const backupRows = new Map((set.manifest?.tables ?? []).map((table) => [qualifiedName(table.schema, table.name), table.rows]));
    for (const object of replaced) {
      if (object.kind === 'table' || object.kind === 'platform table') object.backupRows = backupRows.get(qualifiedName(object.schema, object.name)) ?? null;
    }
    const plan: RestorePlan = {
      setId: set.id,
      mode: options.mode,
      clean: options.clean,
      target: describeTarget(options.target),
      serverVersion: serverRow.version.split(' ')[0] ?? serverRow.version,
      file: join(options.folder, file.name),
      verification,
      replaced,
      notes,
      psql: { path: psql.path, version: psql.version.text },
    };
    prepared.set(plan, {
      plan,
      options,
      set,
      prolog: prolog.length > 0 ? `${prolog.join('\n')}\n` : '',
      existingSchemas,
      fileBytes: file.bytes,
      psqlPath: psql.path,
      lockBudget,
      lockedRelations,
      // Nothing to rewrite: no large objects (pg_dump's own BEGIN/COMMIT around
      // them) and no CREATE SCHEMA for a schema the target has already (a data
      // file creates none).
      directLoad:
        !options.container &&
        set.manifest !== undefined &&
        set.manifest.largeObjects === 0 &&
        !olderServer &&
        (options.mode === 'data' || existingSchemas.size === 0),
      olderServer,
    });
    return plan;
  } catch (error) {
    throw toPulseError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Who holds locks on these relations now, from a session of its own (the restore's own has ended). */
async function lockHoldersNow(target: ConnectionTarget, relations: readonly string[]) {
  const client = await connectClient(target);
  try {
    return await findLockHolders(client, relations);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The sequences the file sets that exist in the target and are not dropped
 * first: a data restore's (the schema file's sequences) and the platform
 * tables' (a Supabase set's auth.refresh_tokens_id_seq). Those this role
 * may not ALTER (it neither owns them nor is a member of their owner) cannot
 * be made transactional; the plan says so.
 */
async function sequencesToKeep(
  client: pg.Client,
  mode: RestoreMode,
  clean: boolean,
  existing: readonly ExistingObject[],
  platformTables: readonly ExistingObject[],
): Promise<{ protected: string[]; refused: string[] }> {
  if (mode === 'schema') return { protected: [], refused: [] };
  const own = mode === 'data' || !clean ? existing.filter((object) => object.kind === 'sequence').map((object) => object.dropName) : [];
  if (own.length === 0 && platformTables.length === 0) return { protected: [], refused: [] };
  await client.query(`BEGIN READ ONLY; SET LOCAL search_path = ''`);
  try {
    const result = await client.query<{ name: string; may_alter: boolean }>(
      `WITH wanted AS (
         SELECT pg_catalog.to_regclass(name) AS relation FROM pg_catalog.unnest($1::text[]) AS name
         UNION
         SELECT d.objid::pg_catalog.regclass FROM pg_catalog.pg_depend d
          WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
            AND d.deptype IN ('a', 'i') AND d.refobjid IN (SELECT pg_catalog.to_regclass(name) FROM pg_catalog.unnest($2::text[]) AS name)
            AND (SELECT relkind FROM pg_catalog.pg_class WHERE oid = d.objid) = 'S'
       )
       SELECT c.oid::pg_catalog.regclass::text AS name,
              pg_catalog.pg_has_role(c.relowner, 'USAGE') OR COALESCE((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false) AS may_alter
         FROM wanted w JOIN pg_catalog.pg_class c ON c.oid = w.relation ORDER BY 1`,
      [own, platformTables.map((table) => table.dropName)],
    );
    return {
      protected: result.rows.filter((row) => row.may_alter).map((row) => row.name),
      refused: result.rows.filter((row) => !row.may_alter).map((row) => row.name),
    };
  } finally {
    await client.query('COMMIT');
  }
}

interface PlatformPieces {
  /** Platform tables the set brings rows for, as they are in the target. */
  tables: ExistingObject[];
  /** The application's triggers and policies on platform tables that the target has already. */
  attached: ExistingObject[];
  /** Foreign keys among those tables ("auth.identities" → "auth.users"), for the order they are emptied in. */
  references: { from: string; to: string }[];
}

/**
 * A set made with the Supabase profile needs the platform in the target: its
 * tables for the rows the set brings (auth.users, ...), which the platform
 * creates (`supabase start`, `supabase db reset`), never the set.
 */
async function platformPieces(client: pg.Client, manifest: Manifest | undefined, entries: readonly DumpEntry[], mode: RestoreMode): Promise<PlatformPieces> {
  const none: PlatformPieces = { tables: [], attached: [], references: [] };
  if (manifest?.profile?.name !== 'supabase') return none;
  const platformSchemas = new Set(manifest.profile.leftOut.schemas.map((schema) => schema.name));
  const attachedInFile: AttachedObject[] = entries.flatMap((entry) => {
    if ((entry.type !== 'TRIGGER' && entry.type !== 'POLICY') || !platformSchemas.has(entry.schema)) return [];
    const parts = splitOnTableName(entry.name);
    return parts ? [{ type: entry.type, schema: entry.schema, table: parts.table, name: parts.name }] : [];
  });
  const attached = await findAttachedObjects(client, attachedInFile);
  if (mode === 'schema') return { ...none, attached };
  const wanted = manifest.tables.filter((table) => table.definition === false);
  const { present, missing } = await findPlatformTables(client, wanted);
  if (missing.length > 0) {
    throw new PulseError('restore-refused', `the target lacks ${missing.length} of the Supabase platform's tables this set brings rows for (${listNames(missing)})`, {
      hint: hint`restore into a Supabase database (supabase start, or supabase db reset for a fresh one), or back up with ${option('profile', 'plain')} for a plain PostgreSQL copy; nothing was changed`,
    });
  }
  const references = await client.query<{ from: string; to: string }>(
    `SELECT fn.nspname || '.' || f.relname AS "from", tn.nspname || '.' || t.relname AS "to"
       FROM pg_constraint k
       JOIN pg_class f ON f.oid = k.conrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
       JOIN pg_class t ON t.oid = k.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
      WHERE k.contype = 'f' AND (fn.nspname || '.' || f.relname) = ANY($1::text[]) AND (tn.nspname || '.' || t.relname) = ANY($1::text[])`,
    [present.map((table) => `${table.schema}.${table.name}`)],
  );
  return { tables: present, attached, references: references.rows };
}

export interface ExecuteOptions {
  /** Back up the target before changing it (default true). */
  safetyBackup: boolean;
  /**
   * Run `supabase db reset --local` in this project after the safety backup
   * and before loading (data restores only: the reset rebuilds the schema).
   */
  reset?: { project: SupabaseProject; env: NodeJS.ProcessEnv };
  signal?: AbortSignal;
  onProgress?: (event: RestoreProgress) => void;
}

export async function executeRestore(plan: RestorePlan, execution: ExecuteOptions): Promise<RestoreResult> {
  const restore = prepared.get(plan);
  if (!restore) throw new PulseError('internal', 'this restore plan was not made by planRestore', { hint: 'plan the restore again' });
  if (execution.reset && plan.mode !== 'data') {
    throw new PulseError('usage', 'a reset rebuilds the schema from the migrations, so only a data restore can follow it', { hint: hint`use ${option('restoreMode', 'data')} with ${option('reset')}` });
  }
  const { options, set } = restore;
  const started = performance.now();
  // Hold the folder: retention must not remove the set while it is read,
  // and the safety backup must not race another backup.
  // Without a safety backup nothing is written into the folder: read-only or full media will do.
  const lock = await acquireFolderLock(options.folder, 'restore', { unlessReadOnly: !execution.safetyBackup });
  try {
    let safety: BackupResult | undefined;
    if (execution.safetyBackup) {
      safety = await runBackup({
        target: options.target,
        folder: options.folder,
        prefix: set.prefix,
        env: options.env,
        pgBinDir: options.pgBinDir,
        ...(options.container ? { container: options.container } : {}),
        purpose: 'safety',
        lockHeld: true,
        signal: execution.signal,
        onProgress: (event) => execution.onProgress?.({ kind: 'safety-backup', event }),
      });
      execution.onProgress?.({ kind: 'safety-backup-done', setId: safety.manifest.id });
    }
    // supabase db reset --local, then the data into the rebuilt database,
    // planned again: what the reset left (seed rows) is what --clean empties.
    let loadedPlan = plan;
    let loading = restore;
    if (execution.reset) {
      execution.onProgress?.({ kind: 'resetting' });
      await runSupabaseReset({ ...execution.reset, signal: execution.signal, onLine: (line) => execution.onProgress?.({ kind: 'resetting', line }) });
      loadedPlan = await planRestore({ ...options, clean: true });
      const again = prepared.get(loadedPlan);
      if (!again) throw new PulseError('internal', 'the restore could not be planned again after the reset');
      loading = again;
    }
    const loaded = await runPsql(loading, execution);
    execution.onProgress?.({ kind: 'checking-rows' });
    const tables = compareWithManifest(loading, loaded);
    return {
      plan: loadedPlan,
      ...(safety ? { safetyBackup: safety.manifest.id } : {}),
      durationMs: Math.round(performance.now() - started),
      tables,
      rowCountsMatch: tables.every((table) => table.matches),
    };
  } catch (error) {
    if (execution.signal?.aborted) {
      throw new PulseError('cancelled', 'restore cancelled', { hint: 'the transaction was rolled back; the target is as it was' });
    }
    throw toPulseError(error);
  } finally {
    await lock.release();
  }
}

/** Rows the server reported loading, per COPY, in the file's order. */
interface LoadedTable {
  schema: string;
  name: string;
  rows: number;
}

/** Loads the prolog and the dump file, and nothing else, in one psql transaction that COMMITs only once the file checked out. */
async function runPsql(restore: PreparedRestore, execution: ExecuteOptions): Promise<LoadedTable[]> {
  const { options, plan } = restore;
  // No --single-transaction: it COMMITs at the end of input, and input that
  // ends early (this process killed mid-feed) must roll back instead. The
  // feed brings its own BEGIN and, only after the whole file, its COMMIT.
  // Not --quiet: the server's "COPY n" tags say how many rows each table took.
  // When nothing in the file needs rewriting, psql reads it itself (a file
  // reads faster than a pipe feeds) between the prolog and its standard
  // input, where COMMIT arrives only once this process has read the same
  // file through and found it whole and matching its sha256.
  const workFolder = restore.directLoad ? await mkdtemp(join(tmpdir(), 'pulse-backup-restore-')) : undefined;
  const prologFile = workFolder ? join(workFolder, 'prolog.sql') : undefined;
  if (prologFile) await writeFile(prologFile, `BEGIN;\n${restore.prolog}`, { mode: 0o600 });
  const psqlArgs = [
    '--no-psqlrc',
    '--no-password',
    '--set',
    'ON_ERROR_STOP=1',
    ...(prologFile ? ['--file', prologFile, '--file', plan.file] : []),
    '--file',
    '-',
  ];
  const container = options.container;
  // Its own application name: the watchdog finds the session by it.
  const applicationName = `pulse-backup restore ${randomBytes(4).toString('hex')}`;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const psql = startTool(
    container ? 'docker' : restore.psqlPath,
    container ? dockerExecArgs(container.container, 'psql', psqlArgs) : psqlArgs,
    {
      env: { ...(container ? dockerEnv(options.target, options.env) : childProcessEnv(options.target, options.env)), PGAPPNAME: applicationName },
      stdin: 'pipe',
      stdout: 'pipe',
      signal: execution.signal,
    },
  );
  const watchdog = LockWatchdog.start(options.target, applicationName, lockTimeoutMs);
  const copyTags: number[] = [];
  const tablesFed: TableDataEvent[] = [];
  onLines(psql.stdout!, (line) => {
    const tag = /^COPY (\d+)$/.exec(line);
    if (!tag) return;
    copyTags.push(Number(tag[1]));
    // psql reading the file itself: its tags are the progress.
    const table = prologFile ? tablesFed[copyTags.length - 1] : undefined;
    if (table) execution.onProgress?.({ kind: 'table-done', table: { ...table, rows: Number(tag[1]) } });
  });
  const stderrLines: string[] = [];
  onLines(psql.stderr, (line) => {
    if (line.trim() !== '' && stderrLines.length < 200) stderrLines.push(redactText(line));
  });

  const prologLines = 1 + (restore.prolog === '' ? 0 : restore.prolog.split('\n').length - 1);
  const lineOf: ErrorLocation = (source, line) =>
    source === '<stdin>' ? (prologFile ? undefined : line - prologLines) : source === plan.file ? line : undefined;
  const feeding = (prologFile ? checkWhileLoading(psql.stdin!, restore, execution, tablesFed) : feedPsql(psql.stdin!, restore, execution, tablesFed)).then(
    () => undefined,
    (error: unknown) => {
      // Never let psql see the end of its input after a partial feed: it would
      // COMMIT what it got. Killing it makes the server roll the transaction back.
      psql.kill('SIGKILL');
      return error;
    },
  );
  let result: ToolExit;
  let feedError: unknown;
  try {
    result = await psql.exited;
    feedError = await feeding;
  } finally {
    await watchdog.stop();
    if (workFolder) await rm(workFolder, { recursive: true, force: true });
  }
  if (execution.signal?.aborted) throw new PulseError('cancelled', 'restore cancelled');
  if (result.startError) throw toolStartError(result.startError, container ? 'docker' : restore.psqlPath);
  const gaveUp = watchdog.gaveUp;
  if (gaveUp) throw lockHeldError(gaveUp.holders, 'waited for', lockTimeoutMs, gaveUp.relation);
  const failure = () =>
    psqlError(stderrLines, {
      file: plan.file,
      target: options.target,
      lineOf,
      lockBudget: restore.lockBudget,
      lockTimeoutMs,
      findHolders: () => lockHoldersNow(options.target, restore.lockedRelations),
    });
  if (result.exitCode !== 0 && stderrLines.some((line) => /ERROR:|FATAL:|error:/.test(line))) throw await failure();
  const endedEarly = psqlEndedEarlyError(result, feedError);
  if (endedEarly) throw endedEarly;
  if (feedError !== undefined) throw toPulseError(feedError);
  if (result.exitCode !== 0) throw await failure();
  return tablesFed.map((table, index) => ({ schema: table.schema, name: table.name, rows: copyTags[index] ?? 0 }));
}

/**
 * psql reads the file itself: this reads the same file alongside, for the
 * tables it holds, its footer and its sha256, and sends COMMIT on psql's
 * standard input only when all is well. Anything wrong rejects, and the
 * caller kills psql, so the server rolls back.
 */
async function checkWhileLoading(stdin: Writable, restore: PreparedRestore, execution: ExecuteOptions, tablesFed: TableDataEvent[]): Promise<void> {
  stdin.on('error', () => undefined); // psql stopped at an error: reported from its exit
  const tracker = new DumpReader({ countRows: false, onTableStart: (table) => tablesFed.push(table) });
  const recorded = recordedFile(restore);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(restore.plan.file, { highWaterMark: 1024 * 1024, signal: execution.signal })) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    tracker.push(buffer);
    bytes += buffer.length;
  }
  tracker.end();
  assertWholeAndUnchanged(restore, tracker.complete, recorded, bytes, hash.digest('hex'));
  execution.onProgress?.({ kind: 'loading', bytes, totalBytes: restore.fileBytes });
  await new Promise<void>((resolve) => stdin.end('COMMIT;\n', resolve));
}

/**
 * What the manifest recorded for the file that loads, found by its type (as
 * verify finds it) and required to bear its name: a manifest that records
 * the file under another name does not describe it, and the load is not
 * trusted (undefined only for a set without a manifest).
 */
function recordedFile(restore: PreparedRestore): { bytes: number; sha256: string } | undefined {
  const manifest = restore.set.manifest;
  if (!manifest) return undefined;
  const recorded = manifest.files.find((file) => file.type === FILE_FOR_MODE[restore.options.mode]);
  if (!recorded || recorded.name !== basename(restore.plan.file)) {
    throw new PulseError('verification-failed', `the manifest of ${restore.set.id} does not record ${basename(restore.plan.file)}`, {
      hint: hint`nothing was changed; ${run('verify')} on the set`,
    });
  }
  return recorded;
}

/** COMMIT only for a whole file whose bytes are the ones recorded. */
function assertWholeAndUnchanged(restore: PreparedRestore, complete: boolean, recorded: { bytes: number; sha256: string } | undefined, bytes: number, sha256: string | undefined): void {
  if (!complete) {
    // A file that ends without pg_dump's footer is cut short: never commit it.
    throw new PulseError('restore-failed', `${restore.plan.file} ends before pg_dump's "dump complete" footer`, {
      hint: 'the file is truncated; the transaction was rolled back and the target is unchanged',
    });
  }
  if (recorded && (bytes !== recorded.bytes || sha256 !== recorded.sha256.toLowerCase())) {
    throw new PulseError('verification-failed', `${restore.plan.file} changed after it was verified: it no longer matches its recorded sha256`, {
      hint: hint`the transaction was rolled back and the target is unchanged; ${run('verify')} on the set`,
    });
  }
}

async function feedPsql(stdin: Writable, restore: PreparedRestore, execution: ExecuteOptions, tablesFed: TableDataEvent[]): Promise<void> {
  /** Writes the pieces in one go (corked: one vectored write, no copying them together). */
  const write = (...pieces: (Buffer | string)[]) =>
    new Promise<void>((resolve, reject) => {
      if (stdin.destroyed || !stdin.writable) {
        reject(new PulseError('restore-failed', 'psql stopped reading its input'));
        return;
      }
      stdin.cork();
      let roomLeft = true;
      for (const piece of pieces) roomLeft = stdin.write(piece) && roomLeft;
      stdin.uncork();
      if (roomLeft) {
        resolve();
        return;
      }
      const settle = (error?: Error) => {
        stdin.off('drain', onDrain);
        stdin.off('error', onError);
        stdin.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => settle();
      const onError = (error: Error) => settle(error);
      const onClose = () => settle(new PulseError('restore-failed', 'psql stopped reading its input'));
      stdin.on('drain', onDrain);
      stdin.on('error', onError);
      stdin.on('close', onClose);
    });
  stdin.on('error', () => undefined); // reported through the pending write, or by psql itself
  await write(`BEGIN;\n${restore.prolog}`);
  const tracker = new DumpReader({
    // The server's COPY tags count the rows; the feed only needs to see where each block ends.
    countRows: false,
    onTableStart: (table) => {
      tablesFed.push(table);
      execution.onProgress?.({ kind: 'table-start', table });
    },
    onTableDone: (table) => execution.onProgress?.({ kind: 'table-done', table }),
    rewriteLine: (line, entry) => rewriteForRestore(line, entry, restore.existingSchemas, restore.olderServer),
  });
  // The bytes that load are the bytes checked: the file's sha256, taken on
  // the way to psql, must match the manifest before COMMIT is sent.
  const recorded = recordedFile(restore);
  const hash = recorded ? createHash('sha256') : undefined;
  let bytes = 0;
  let lastReport = 0;
  const writeAll = async (pieces: Buffer[]) => {
    if (pieces.length > 0) await write(...pieces);
  };
  for await (const chunk of createReadStream(restore.plan.file, { highWaterMark: 1024 * 1024, signal: execution.signal })) {
    const buffer = chunk as Buffer;
    hash?.update(buffer);
    await writeAll(tracker.push(buffer).whole);
    bytes += buffer.length;
    if (bytes - lastReport >= 8 * 1024 * 1024) {
      lastReport = bytes;
      execution.onProgress?.({ kind: 'loading', bytes, totalBytes: restore.fileBytes });
    }
  }
  await writeAll(tracker.end().whole);
  assertWholeAndUnchanged(restore, tracker.complete, recorded, bytes, hash?.digest('hex'));
  execution.onProgress?.({ kind: 'loading', bytes, totalBytes: restore.fileBytes });
  await write('\nCOMMIT;\n');
  await new Promise<void>((resolve) => stdin.end(resolve));
}

/**
 * The two statements of a dump that cannot run as they are inside the
 * restore's one transaction:
 * - pg_dump wraps large-object data in its own BEGIN; … COMMIT;, and that
 *   COMMIT would end the restore's transaction halfway (a later error could
 *   no longer roll everything back), so both become comments;
 * - a schema the file creates may already exist in the target (holding
 *   objects the backup never had, which are left alone), so its
 *   CREATE SCHEMA x; becomes CREATE SCHEMA IF NOT EXISTS x;.
 * And a set whose pg_dump was newer than PostgreSQL 17 while its server was
 * older (made before its files guarded it) loads into an older server with
 * its `SET transaction_timeout` guarded the same way (see backup.ts).
 * Only top-level lines of those entries are touched (the reader's lexer
 * keeps function bodies and rows out of reach).
 */
export function rewriteForRestore(line: string, entry: EntryHeader | undefined, existingSchemas: ReadonlySet<string>, olderServer = false): string | undefined {
  if (!entry) return olderServer ? guardNewerSettings(line) : undefined;
  if (LARGE_OBJECT_DATA_TYPES.has(entry.type) && (line === 'BEGIN;' || line === 'COMMIT;')) {
    return `-- ${line} (left out: the restore runs in one transaction)`;
  }
  if (entry.type === 'SCHEMA' && line.startsWith('CREATE SCHEMA ') && existingSchemas.has(entry.name)) {
    return `CREATE SCHEMA IF NOT EXISTS ${line.slice('CREATE SCHEMA '.length)}`;
  }
  return undefined;
}

const LARGE_OBJECT_DATA_TYPES = new Set(['BLOBS', 'LARGE OBJECTS']);

/**
 * The rows the server acknowledged for each table (its COPY tags), against
 * what the manifest recorded. The tables were new or emptied first, so what
 * was loaded is what they now hold, and no second read of the data is needed.
 */
function compareWithManifest(restore: PreparedRestore, loaded: readonly LoadedTable[]): RestoredTable[] {
  const { options, set } = restore;
  if (options.mode === 'schema' || !set.manifest) return [];
  const loadedRows = new Map<string, number>();
  for (const table of loaded) {
    const key = qualifiedName(table.schema, table.name);
    loadedRows.set(key, (loadedRows.get(key) ?? 0) + table.rows);
  }
  return set.manifest.tables
    .filter((table) => table.rows !== null)
    .map((table) => {
      const restored = loadedRows.get(qualifiedName(table.schema, table.name)) ?? 0;
      return { schema: table.schema, name: table.name, expected: table.rows, restored, matches: restored === table.rows };
    });
}
