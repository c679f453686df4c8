/**
 * The restore's pre-flight, which changes nothing: the set must verify,
 * the target must be on this machine (unless allowed otherwise), and what
 * the restore would replace is read from the target, decided (decide.ts)
 * and listed for the person confirming. One session for the whole of it.
 */
import { commandLineOnly, hint, joinHints, option, run, seeSets, setOption, type Hint } from '../hint';
import { join } from 'node:path';
import type pg from 'pg';
import { describeTarget, isLocalTarget, type ConnectionTarget } from '../connection/target';
import { describeConnectionError } from '../connection/failures';
import { connectClient, pgClientConfig } from '../connection/session';
import { scanDumpFile, type DumpEntry } from '../verify/dumpScan';
import { quoteIdentifier } from '../sql';
import { headerName } from '../pg/dumpReader';
import { restoreRunning } from '../pg/restoreTurn';
import { PulseError, toPulseError } from '../errors';
import { findSet, listSets, unlessRemoved } from '../sets/listing';
import { acquireFolderLock } from '../files/folderLock';
import { largeObjectsInSet, type Manifest } from '../sets/manifest';
import { qualifiedName } from '../format';
import { chooseClientTools, findClientTools, parseServerVersionNum } from '../pg/tools';
import { containerToolSet } from '../supabase/docker';
import {
  findAttachedObjects,
  countRows,
  findExistingObjects,
  findPlatformTables,
  findTargetColumns,
  objectsOfDump,
  splitOnTableName,
  type AttachedObject,
  type ExistingObject,
} from './target';
import { checkClean, findPlatformReferences, findReferencesFromOutside, recreatedParts, withReferencingRows } from './cleanPlan';
import { checkLockBudget, estimateLocks } from './lockBudget';
import { exclusivelyHeld, findLockHolders } from '../pg/lockHolders';
import { isLockTimeout } from '../pg/lockWaits';
import { lockHeldError, listNames, outsideDependentsError, platformReferencesError } from './failures';
import { findLoadTriggers, loadTriggersError } from './loadTriggers';
import { lockTargets, reloadedTables, restoreProlog } from './prolog';
import {
  defaultPrivilegesReplaced,
  keepDefaultPrivilegesStatement,
  resetDefaultPrivilegesStatement,
  SAVED_DEFAULT_PRIVILEGES_SQL,
  type SavedDefaultPrivileges,
} from './defaultPrivileges';
import type { CheckResult, VerificationReport } from '../verify/results';
import { largeObjectChecks, largeObjectNeeds, tablespacesOf, targetNeedsChecks } from '../verify/checks';
import { readTargetFacts, verifySet } from '../verify/verify';
import { isEncodedFile, unlockSetFiles } from '../codecs/setFileReader';

import type { ListedSet } from '../sets/listing';
import type { LockBudget } from './lockBudget';
import { accessRefusal, columnMismatchError, columnMismatches, decideReplaced, loadsDirectly, pgDumpNewerThanServer, restoredSubscriptionsNote } from './decide';
import { describeUserObjects, publicSchemaState, userObjects, type PublicSchemaState } from './emptyTarget';
import { FILE_FOR_MODE, DEFAULT_LOCK_TIMEOUT_MS, PARALLEL_RESTORE_PLAN_TERMS, type PlatformPieces, type RestoreMode, type RestoreOptions, type RestorePlan } from './types';

/**
 * A planned restore: what the person confirming sees (`plan`), and what the
 * load needs besides, made by planRestore and handed to executeRestore.
 */
export interface PlannedRestore {
  plan: RestorePlan;
  options: RestoreOptions;
  set: ListedSet;
  prolog: string;
  /** What runs after the file and before COMMIT: the target's own default privileges back (keepDefaultPrivilegesStatement). */
  epilog: string;
  /** Schemas the file creates that already exist: their CREATE SCHEMA becomes IF NOT EXISTS. */
  existingSchemas: Set<string>;
  fileBytes: number;
  psqlPath: string;
  /** psql may read the file itself: nothing in it needs rewriting on the way (see runPsql). */
  directLoad: boolean;
  /** The set's pg_dump (17 or later) is newer than the target server (before 17): its preamble may need guarding. */
  olderServer: boolean;
  /** Its SET default_tablespace lines name the database's default (a data restore, or --no-tablespaces of a set with tablespaces). */
  defaultTablespace: boolean;
  /** The locks the restore is estimated to need, against the server's room for them. */
  lockBudget: LockBudget;
  /** The existing tables the restore locks (regclass text): whose holders a lock wait names. */
  lockedRelations: string[];
  /** Sessions side by side (1: one transaction); more only into an empty database (parallel.ts). */
  jobs: number;
  /** With jobs: the empty target's `public` schema, as a failure puts it back. */
  publicBefore?: PublicSchemaState;
}

export async function planRestore(options: RestoreOptions): Promise<PlannedRestore> {
  let set = await findSet(options.folder, options.setId);
  if (set.interrupted) set = await settleInterrupted(options.folder, set.id);
  if (!options.allowRemote && !isLocalTarget(options.target)) {
    throw new PulseError('remote-target', `${describeTarget(options.target)} is not on this machine`, {
      hint: hint`restores go to a local database (loopback or a local socket)${commandLineOnly(hint`; pass ${option('allowRemote')} if you really mean that server`, hint`; for another server use the command line (pulse-backup restore)`)}`,
    });
  }
  if (set.status === 'running') {
    throw new PulseError('restore-refused', `${set.id} is still being written`, { hint: 'wait for the backup to finish' });
  }
  // An encrypted set's keys are proved on its files' headers (age's MAC) first:
  // a wrong passphrase is one line before any connection, check or safety backup.
  // The pre-flight reads the set without the folder's lock (executeRestore takes
  // it): a backup's retention or a prune that removes the set meanwhile is said as such.
  const listed = set;
  await unlockSetFiles(
    set.files.map((file) => join(options.folder, file.name)),
    options.keys ?? {},
    { recorded: set.manifest?.files },
  ).catch(async (error: unknown) => {
    throw await unlessRemoved(options.folder, listed, 'restore', error);
  });
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
    return readTargetFacts(session);
  });
  targetFacts.catch(() => undefined);
  // Another restore loading into the database (../pg/restoreTurn.ts) is a refusal
  // before anything reads the target. A session that cannot connect is the
  // verification's to report.
  const running = await connecting.then(
    (session) => restoreRunning(session, options.target.database).catch(() => undefined),
    () => undefined,
  );
  if (running) {
    await endSession();
    throw running;
  }
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
      restoreMode: options.mode,
      ...(options.noTablespaces ? { defaultTablespace: true } : {}),
      ...(options.container ? { container: options.container } : {}),
      signal: options.signal,
      keys: options.keys ?? {},
    });
    if (verification.outcome === 'fail') {
      const failed = verification.groups.flatMap((group) => group.checks).filter((check) => check.status === 'fail');
      const setFailures = verification.groups.filter((group) => group.name === 'post-backup').flatMap((group) => group.checks.filter((check) => check.status === 'fail'));
      // The set is whole; the target, psql or the folder's disk is not ready: the set is not to blame.
      if (setFailures.length === 0) throw targetNotReadyError(set.id, options.target, failed);
      throw new PulseError('verification-failed', `${set.id} failed verification (${failed.map((check) => `${check.title}: ${check.detail}`).join('; ')})`, {
        hint: hint`${adviceFirst(failed)}nothing was changed; ${run('verify', set.id)} for details, or restore another set`,
      });
    }
    client = await connecting;
  } catch (error) {
    await endSession();
    throw await unlessRemoved(options.folder, set, 'restore', error);
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
    const notes: string[] = [];
    if (options.mode === 'data' && !serverRow.may_silence_triggers) {
      throw new PulseError('restore-refused', `${options.target.user} may not set session_replication_role, which a data restore needs`, {
        hint: 'connect as a superuser (or GRANT SET ON PARAMETER session_replication_role TO the user), or restore complete into an empty database',
      });
    }

    const jobs = options.jobs ?? 1;
    const publicBefore = jobs > 1 ? await checkEmptyForJobs(client, options, set.manifest) : undefined;
    if (jobs > 1) notes.push(`with ${jobs} jobs: ${PARALLEL_RESTORE_PLAN_TERMS}`);

    // The objects the backup creates, read from its (small) schema file; the
    // data file is read for large objects only when the set has any.
    const schemaFile = set.files.find((candidate) => candidate.type === 'schema');
    const entries: DumpEntry[] = [];
    const keys = options.keys ?? {};
    if (schemaFile) entries.push(...(await scanDumpFile(join(options.folder, schemaFile.name), { signal: options.signal, keys })).entries);
    // Which large objects the set brings matters only if the target has some
    // already (they would collide); otherwise the data file need not be read.
    const setHasLargeObjects = set.manifest ? largeObjectsInSet(set.manifest) > 0 : true;
    const targetHasLargeObjects = setHasLargeObjects
      ? (await client.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata) AS any')).rows[0].any
      : false;
    const dataFile = set.files.find((candidate) => candidate.type === 'data');
    if (options.mode !== 'schema' && targetHasLargeObjects && dataFile) {
      const dataEntries = (await scanDumpFile(join(options.folder, dataFile.name), { signal: options.signal, keys })).entries;
      entries.push(...dataEntries.filter((entry) => entry.type === 'BLOB' || entry.type === 'LARGE OBJECT' || entry.type === 'BLOB METADATA'));
    }
    // A reused verification read no file through: what the file needs of the target (extensions, roles) is checked here, from the schema file.
    const checkedNeeds = verification.groups.some((group) => group.checks.some((check) => check.id === 'extensions'));
    if (options.mode !== 'data' && !checkedNeeds) {
      const unmet = targetNeedsChecks(entries, await targetFacts, { defaultTablespace: options.noTablespaces === true }).filter((check) => check.status === 'fail');
      if (unmet.length > 0) throw targetNotReadyError(set.id, options.target, unmet);
    }
    // A data restore gives the large objects it creates their owners and grants, as the manifest names them.
    const checkedOwners = verification.groups.some((group) => group.checks.some((check) => check.id === 'owners'));
    if (options.mode === 'data' && !checkedOwners && set.manifest) {
      const unmet = largeObjectChecks(largeObjectNeeds(set.manifest), await targetFacts).filter((check) => check.status === 'fail');
      if (unmet.length > 0) throw targetNotReadyError(set.id, options.target, unmet);
    }
    // A data restore creates nothing, so the tablespaces pg_dump switches to
    // between entries do not matter (a server without them rejects the SET);
    // with --no-tablespaces neither do a complete or schema restore's.
    const tablespaces = tablespacesOf(entries);
    const defaultTablespace = tablespaces.length > 0 && (options.mode === 'data' || options.noTablespaces === true);
    if (defaultTablespace && options.mode !== 'data') {
      notes.push(`--no-tablespaces: what the set creates in tablespace ${tablespaces.join(', ')} goes into the target database's default tablespace`);
    }
    const objects = objectsOfDump(entries);
    const parts = recreatedParts(entries);
    const existing = await findExistingObjects(client, objects);
    // Supabase profile: the platform's tables the set brings rows for, and the
    // application's triggers and policies on them.
    const platform = await platformPieces(client, set.manifest, entries, options.mode);
    await countTableRows(client, [...existing.filter((object) => object.kind === 'table'), ...platform.tables], options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    // pg_dump's rows load with row_security off, which fails on a table whose policies apply to the role (and the count, "empty" among it, is of what they let it see).
    const policed = options.mode === 'data' ? [...existing, ...platform.tables].filter((table) => table.rowsHidden) : [];
    if (policed.length > 0) {
      throw new PulseError(
        'restore-refused',
        `cannot restore ${set.id} into ${describeTarget(options.target)}: row-level security applies to ${options.target.user} on ${listNames(policed)}, which the set's rows load into with row_security off (as pg_dump writes them), so the load would fail there`,
        {
          hint: `restore as a superuser or a role with BYPASSRLS (ALTER ROLE ${quoteIdentifier(options.target.user)} BYPASSRLS; as a superuser), or as the tables' owner where they do not FORCE ROW LEVEL SECURITY; nothing was changed`,
        },
      );
    }
    // Rows load into tables the target has with session_replication_role = replica: a trigger set to fire always (or in replica mode) would run on each.
    // A complete restore's are the platform tables', less the set's own triggers there, which --clean drops first.
    const loadedInto = options.mode === 'data' ? [...existing.filter((object) => object.kind === 'table'), ...platform.tables] : options.mode === 'complete' ? platform.tables : [];
    const firing = (await findLoadTriggers(client, loadedInto)).filter(
      (trigger) =>
        options.mode === 'data' || !platform.attached.some((part) => part.kind === 'trigger' && part.schema === trigger.schema && part.name === `${trigger.table} ${trigger.name}`),
    );
    if (firing.length > 0) throw loadTriggersError(set.id, describeTarget(options.target), firing);
    // As the entries name them (pg_dump's headers write a line break as a space), which is what the load compares them with.
    const existingSchemas = new Set(existing.filter((object) => object.kind === 'schema').map((object) => headerName(object.name)));
    if (!set.manifest) notes.push('this set has no manifest (made by the old script): restored row counts cannot be checked against it');
    const subscriptionsNote = options.mode === 'data' ? undefined : restoredSubscriptionsNote(objects);
    if (subscriptionsNote) notes.push(subscriptionsNote);
    const decision = decideReplaced({
      mode: options.mode,
      clean: options.clean,
      objects,
      existing,
      platform,
      maySilenceTriggers: serverRow.may_silence_triggers,
      user: options.target.user,
    });
    // A data restore's rows meet the target's columns as they are now: what changed since the backup is named before anything.
    if (options.mode === 'data' && set.manifest?.digests) {
      const loaded = set.manifest.digests.tables;
      const mismatches = columnMismatches(loaded, await findTargetColumns(client, loaded));
      if (mismatches.length > 0) throw columnMismatchError(mismatches);
    }
    let objectsDropped = 0;
    if (decision.check === 'empty') {
      const outside = await findReferencesFromOutside(client, decision.emptied);
      if (outside.length > 0) throw outsideDependentsError(outside, 'empty');
    } else if (decision.check === 'replace') {
      const check = await checkClean(client, objects, parts, Number(serverRow.version_num));
      if (check.outside.length > 0) throw outsideDependentsError(check.outside, 'replace');
      objectsDropped = check.objectsDropped;
    }
    // A Supabase set's platform tables are emptied with their foreign keys quiet: rows of a table the restore does not reload must not point into them.
    if (options.clean && options.mode !== 'schema' && platform.tables.length > 0) {
      const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
      const references = await findPlatformReferences(
        client,
        platform.tables.map((table) => table.dropName),
        reloadedTables(existing),
      );
      const referencing = await withReferencingRows(client, references, lockTimeoutMs).catch(async (error: unknown) => {
        if (!isLockTimeout(error)) throw error;
        throw await lockWaitBeforeChanging(
          client,
          references.map((reference) => reference.referencing),
          lockTimeoutMs,
        );
      });
      if (referencing.length > 0) throw platformReferencesError(referencing);
    }
    const replaced = decision.replaced;
    const silenceTriggers = decision.silenceTriggers;
    // What the target has that the restore changes, it must be allowed to change: named now, before the safety backup.
    const refusedAccess = accessRefusal({ mode: options.mode, clean: options.clean, existing, user: options.target.user, database: options.target.database });
    if (refusedAccess)
      throw new PulseError(refusedAccess.code, `cannot restore ${set.id} into ${describeTarget(options.target)}: ${refusedAccess.message}`, { hint: refusedAccess.hint });

    // One transaction holds a lock on every relation it creates, empties or
    // drops until it commits: a schema of thousands of tables can need more
    // than the server's lock table holds. Refused here, before anything.
    // The large objects a complete or data restore creates: the manifest counts them; without one, the data file's entries if it was read.
    const largeObjects =
      options.mode === 'schema' ? 0 : set.manifest ? largeObjectsInSet(set.manifest) : entries.filter((entry) => entry.type === 'BLOB' || entry.type === 'LARGE OBJECT').length;
    const lockBudget = checkLockBudget({
      needed: estimateLocks(entries, options.mode, largeObjects) + objectsDropped,
      ...(largeObjects > 0 ? { largeObjects } : {}),
      ...(objectsDropped > 0 ? { dropped: objectsDropped } : {}),
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
      notes.push(
        `${options.target.user} may not alter ${listNames(sequences.refused.map((name) => ({ schema: '', name })))}: if this restore fails, those sequences keep the values it set`,
      );
    }
    const olderServer = pgDumpNewerThanServer(set.manifest?.tools.pgDump.version, Number(serverRow.version_num));
    const leftOutSchemas = (set.manifest?.profile?.leftOut.schemas ?? []).map((schema) => schema.name);
    const prolog = restoreProlog({
      mode: options.mode,
      clean: options.clean,
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      existing,
      objects,
      parts,
      serverVersionNum: Number(serverRow.version_num),
      platform,
      silenceTriggers,
      sequences: sequences.protected,
      // Objects the file creates start from the built-in privileges, as pg_dump's GRANTs expect.
      resetDefaultPrivileges: options.mode === 'data' ? [] : [resetDefaultPrivilegesStatement(leftOutSchemas)],
    });
    // ...and the target's own come back after the set's, where the set brings none for that schema and kind.
    const savedDefaults = options.mode === 'data' ? [] : (await client.query<SavedDefaultPrivileges>(SAVED_DEFAULT_PRIVILEGES_SQL, [leftOutSchemas])).rows;
    const replacedDefaults = defaultPrivilegesReplaced(savedDefaults, entries, options.target.user);
    if (replacedDefaults.length > 0) notes.push(`the default privileges of ${options.target.user} ${replacedDefaults.join(', ')} give way to the backup's; its others stay`);

    // What each replaced table holds now against what the backup brings: the confirmation shows the difference.
    // The manifest names tables as the catalog does; the objects found, as the entries' headers do (a line break as a space).
    const backupRows = new Map((set.manifest?.tables ?? []).map((table) => [qualifiedName(headerName(table.schema), headerName(table.name)), table.rows]));
    for (const object of replaced) {
      if (object.kind === 'table' || object.kind === 'platform table')
        object.backupRows = backupRows.get(qualifiedName(headerName(object.schema), headerName(object.name))) ?? null;
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
      ...(jobs > 1 ? { jobs } : {}),
    };
    return {
      plan,
      options,
      set,
      prolog: prolog.length > 0 ? `${prolog.join('\n')}\n` : '',
      epilog: savedDefaults.length > 0 ? `${keepDefaultPrivilegesStatement(savedDefaults)}\n` : '',
      existingSchemas,
      fileBytes: file.bytes,
      psqlPath: psql.path,
      lockBudget,
      lockedRelations,
      directLoad: loadsDirectly({
        container: options.container !== undefined,
        encoded: isEncodedFile(file.name),
        hasManifest: set.manifest !== undefined,
        largeObjects: set.manifest ? largeObjectsInSet(set.manifest) : 0,
        olderServer,
        mode: options.mode,
        existingSchemas: existingSchemas.size,
        defaultTablespace,
      }),
      olderServer,
      defaultTablespace,
      jobs,
      ...(publicBefore ? { publicBefore } : {}),
    };
  } catch (error) {
    throw toPulseError(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A restore with jobs is not one transaction: only a complete one, into a
 * database with nothing of its own, which a failure can leave as empty as it
 * was. Refused here, before anything changes; returns what `public` is.
 */
async function checkEmptyForJobs(client: pg.Client, options: RestoreOptions, manifest: Manifest | undefined): Promise<PublicSchemaState | undefined> {
  const jobs = options.jobs ?? 1;
  const oneTransaction = hint`restore without ${option('jobs', 'N')} (one transaction, the default)`;
  if (options.mode !== 'complete' || options.clean) {
    throw new PulseError('usage', `a restore with ${jobs} jobs is only a complete one without clean, into an empty database`, {
      hint: hint`${oneTransaction}; nothing was changed`,
    });
  }
  // Its rows for auth.users and the like need the platform's tables in the
  // target, and a database with the platform is never empty: no target
  // could take it with jobs, so neither "empty" nor "the platform" is asked for.
  if (manifest?.profile?.name === 'supabase') {
    throw new PulseError(
      'restore-refused',
      `this set was made with the Supabase profile: it restores only into a database with the Supabase platform, which is never empty, and a restore with ${jobs} jobs goes only into an empty one`,
      { hint: hint`${oneTransaction}; nothing was changed` },
    );
  }
  const found = await userObjects(client);
  if (found.length > 0) {
    throw new PulseError(
      'restore-refused',
      `the target is not empty (${describeUserObjects(found)}): a restore with jobs is not one transaction, so it goes only into an empty database`,
      {
        hint: hint`${oneTransaction}, or restore into a new database; nothing was changed`,
      },
    );
  }
  return publicSchemaState(client);
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

/**
 * Fills in the rows each table holds now. A table another session holds
 * locked past the restore's lock timeout stops the plan there, naming who
 * holds it: the restore itself would wait as long and fail.
 */
async function countTableRows(client: pg.Client, all: readonly ExistingObject[], lockTimeoutMs: number): Promise<void> {
  // A table the role may not read stays uncounted: what the restore may do to it is accessRefusal's.
  const tables = all.filter((table) => table.access?.select !== false);
  let counts: { rows: number; hidden: boolean }[];
  try {
    counts = await countRows(
      client,
      tables.map((table) => table.dropName),
      lockTimeoutMs,
    );
  } catch (error) {
    if (!isLockTimeout(error)) throw error;
    throw await lockWaitBeforeChanging(
      client,
      tables.map((table) => table.dropName),
      lockTimeoutMs,
    );
  }
  tables.forEach((table, index) => {
    table.rows = counts[index].rows;
    if (counts[index].hidden) table.rowsHidden = true;
  });
}

/** A read of `tables` in the pre-flight gave up after its lock timeout: reading waits only for ACCESS EXCLUSIVE, so whoever holds that is the one in the way. */
async function lockWaitBeforeChanging(client: pg.Client, tables: readonly string[], lockTimeoutMs: number): Promise<PulseError> {
  const found = await findLockHolders(client, tables).catch(() => []);
  const holders = found.filter((holder) => exclusivelyHeld(holder) !== undefined);
  const relation = holders.length > 0 ? exclusivelyHeld(holders[0]) : undefined;
  return lockHeldError(holders, 'waited before changing anything', lockTimeoutMs, relation);
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

/** The set is whole, but the target, psql or the folder's disk is not ready for it: what each failed check found. */
function targetNotReadyError(setId: string, target: ConnectionTarget, failed: readonly CheckResult[]): PulseError {
  return new PulseError('restore-refused', `cannot restore ${setId} into ${describeTarget(target)}: ${failed.map((check) => check.detail).join('; ')}`, {
    hint: hint`${adviceFirst(failed)}nothing was changed`,
  });
}

/** What the failed checks advise, to come first (a connection's fix), still as data for each front door to word. */
function adviceFirst(failed: readonly CheckResult[]): Hint {
  const advice = joinHints(
    failed.flatMap((check) => (check.hint ? [check.hint] : [])),
    '; ',
  );
  return advice.length > 0 ? hint`${advice}; ` : [];
}

/**
 * A set a killed backup or pull was putting in place, as the restore of it
 * finds it: the folder's lock, taken and given back, finishes it when every
 * file is there whole, or removes it (what the listing promises the next
 * restore does). A folder another run holds is that run's to settle.
 */
async function settleInterrupted(folder: string, id: string): Promise<ListedSet> {
  const lock = await acquireFolderLock(folder, 'restore', { unlessReadOnly: true });
  await lock.release();
  const settled = (await listSets(folder)).find((set) => set.id === id);
  if (settled) return settled;
  throw new PulseError('unknown-set', `${id} was being written by a backup or pull that was killed, and not every file of it was there whole: its files were removed`, {
    hint: hint`restore another set: ${seeSets(folder)}`,
  });
}
