/**
 * Brings a planned restore (plan.ts) about, all or nothing: a
 * safety backup of the target, so the restore itself can be undone. Then one
 * psql session, one transaction, stopping at the first error: if anything
 * fails — a missing role, a constraint, a killed process — the server rolls
 * the whole transaction back and the target is exactly as it was.
 */
import { hint, option } from '../hint';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { runBackup, type BackupResult } from '../backup/backup';
import { type ConnectionTarget } from '../connection/target';
import { redactText } from '../connection/redact';
import { childProcessEnv, connectClient } from '../connection/session';
import { DumpReader, type TableDataEvent } from '../pg/dumpReader';
import { startTool, toolStartError, type ToolExit } from '../process/toolProcess';
import { PulseError, toPulseError } from '../errors';
import { acquireFolderLock } from '../files/folderLock';
import { isStillThere, removedWhileReadError } from '../sets/listing';
import { qualifiedName } from '../format';
import { dockerEnv, dockerExecArgs } from '../supabase/docker';
import { runSupabaseReset } from '../supabase/reset';
import { findLockHolders } from '../pg/lockHolders';
import { LockWatchdog } from '../pg/lockWatchdog';
import { ownSessionSql } from '../pg/sessionSettings';
import { lockHeldError, PRIVILEGE_WARNING, privilegesNotGivenError, psqlError, type ErrorLocation } from './failures';
import { onLines } from '../process/lines';
import { readSetFile } from '../codecs/setFileReader';
import { loadInParallel } from './parallel';
import { takeRestoreTurn, type RestoreTurn } from '../pg/restoreTurn';
import { assertWholeAndUnchanged, endInput, pipeWriter, recordedFile, rewriteForRestore, sessionOutcome, type LoadedTable } from './feed';

import { planRestore } from './plan';
import { DEFAULT_LOCK_TIMEOUT_MS, type ExecuteOptions, type RestoredTable, type RestoreResult } from './types';
import { type PlannedRestore } from './plan';

export async function executeRestore(restore: PlannedRestore, execution: ExecuteOptions): Promise<RestoreResult> {
  const { plan } = restore;
  if (execution.reset && plan.mode !== 'data') {
    throw new PulseError('usage', 'a reset rebuilds the schema from the migrations, so only a data restore can follow it', {
      hint: hint`use ${option('restoreMode', 'data')} with ${option('reset')}`,
    });
  }
  const { options, set } = restore;
  const started = performance.now();
  // Hold the folder: retention must not remove the set while it is read,
  // and the safety backup must not race another backup.
  // Without a safety backup nothing is written into the folder: read-only or full media will do.
  const lock = await acquireFolderLock(options.folder, 'restore', { unlessReadOnly: !execution.safetyBackup });
  // The plan was made without the lock: a backup's retention or a prune may have removed the set since.
  if (!(await isStillThere(options.folder, set))) {
    await lock.release();
    throw removedWhileReadError(options.folder, set, 'restore');
  }
  // Once supabase db reset has run, no failure leaves the target as it was.
  let reset: { safetySet: string | undefined } | undefined;
  // One restore at a time into the database (../pg/restoreTurn.ts): taken before
  // the safety backup, so a second restore stops at once; with a reset,
  // after it, as supabase db reset rebuilds the database and ends its sessions.
  let turn: RestoreTurn | undefined;
  try {
    if (!execution.reset) turn = await takeRestoreTurn(options.target, { signal: execution.signal });
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
        // A lock another session holds is waited for as long as the restore's own locks are, not a backup's 60 s.
        lockTimeoutSeconds: Math.max(1, Math.ceil((options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS) / 1000)),
        signal: execution.signal,
        onProgress: (event) => execution.onProgress?.({ kind: 'safety-backup', event }),
      }).catch((error: unknown) => {
        throw safetyBackupFailed(error, execution.signal?.aborted === true);
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
      reset = { safetySet: safety?.manifest.id };
      loading = await planRestore({ ...options, clean: true });
      loadedPlan = loading.plan;
      turn = await takeRestoreTurn(options.target, { signal: execution.signal });
    }
    const loaded = loading.jobs > 1 ? await loadInParallel(loading, execution) : await runPsql(loading, execution);
    execution.onProgress?.({ kind: 'checking-rows' });
    const tables = compareWithManifest(loading, loaded);
    return {
      plan: loadedPlan,
      ...(safety ? { safetyBackup: safety.manifest.id } : {}),
      durationMs: Math.round(performance.now() - started),
      ...(loading.jobs > 1 ? { jobs: loading.jobs } : {}),
      tables,
      rowCountsMatch: tables.every((table) => table.matches),
    };
  } catch (error) {
    if (reset) throw failedAfterReset(error, reset.safetySet, execution.signal?.aborted === true);
    // With jobs, the failure says itself what became of the database (parallel.ts).
    if (restore.jobs > 1 && error instanceof PulseError) throw error;
    if (execution.signal?.aborted) {
      throw new PulseError('cancelled', 'restore cancelled', { hint: 'the transaction was rolled back; the target is as it was' });
    }
    throw toPulseError(error);
  } finally {
    await turn?.release();
    await lock.release();
  }
}

/**
 * The safety backup failed: its own words say what went wrong and what to
 * do; said here too is that the restore never began.
 */
function safetyBackupFailed(error: unknown, cancelled: boolean): unknown {
  if (cancelled) return error;
  const failure = toPulseError(error);
  return new PulseError(failure.code, `the safety backup failed, so nothing was restored and the target is unchanged: ${failure.message}`, {
    ...(failure.hint ? { hint: failure.hint } : {}),
    ...(failure.details !== undefined ? { details: failure.details } : {}),
    cause: error,
  });
}

/**
 * A failure after supabase db reset: the load (or the plan made again) went
 * back, the reset did not. Its own words said "unchanged"; here the database
 * is what the migrations and the seed made, and the safety backup is the way
 * back.
 */
function failedAfterReset(error: unknown, safetySet: string | undefined, cancelled: boolean): PulseError {
  const failure = cancelled ? new PulseError('cancelled', 'restore cancelled after supabase db reset') : error instanceof PulseError ? error : toPulseError(error);
  const back = safetySet === undefined ? '' : `; restore the safety backup ${safetySet} to go back to what it held before`;
  return new PulseError(failure.code, failure.message, {
    hint: `the reset is not undone: the database is as supabase db reset left it, without the set's rows${back}`,
    details: failure.details,
    cause: error,
  });
}

/** What psql echoes once it has run everything before COMMIT, and the promise of seeing it (rejected if psql ends first). */
interface CommitGate {
  marker: string;
  loaded: Promise<void>;
}

/** Loads the prolog and the dump file, and nothing else, in one psql transaction that COMMITs only once the file checked out. */
async function runPsql(restore: PlannedRestore, execution: ExecuteOptions): Promise<LoadedTable[]> {
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
  if (prologFile) await writeFile(prologFile, `BEGIN; ${ownSessionSql()};\n${restore.prolog}`, { mode: 0o600 });
  const psqlArgs = ['--no-psqlrc', '--no-password', '--set', 'ON_ERROR_STOP=1', ...(prologFile ? ['--file', prologFile, '--file', plan.file] : []), '--file', '-'];
  const container = options.container;
  // Its own application name: the watchdog finds the session by it.
  const applicationName = `pulse-backup restore ${randomBytes(4).toString('hex')}`;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const psql = startTool(container ? 'docker' : restore.psqlPath, container ? dockerExecArgs(container.container, 'psql', psqlArgs) : psqlArgs, {
    env: { ...(container ? dockerEnv(options.target, options.env) : childProcessEnv(options.target, options.env)), PGAPPNAME: applicationName },
    stdin: 'pipe',
    stdout: 'pipe',
    signal: execution.signal,
  });
  const watchdog = LockWatchdog.start(options.target, applicationName, lockTimeoutMs);
  const copyTags: number[] = [];
  const tablesFed: TableDataEvent[] = [];
  // COMMIT goes to psql only once psql has run everything before it (it
  // echoes this line when it gets there): a COMMIT waiting in the pipe while
  // psql waits for a lock would still run after this process was killed.
  const loadedMarker = `pulse-backup: loaded ${randomBytes(6).toString('hex')}`;
  let markLoaded: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  const privilegeWarnings: string[] = [];
  const prologLines = 1 + (restore.prolog === '' ? 0 : restore.prolog.split('\n').length - 1);
  const lineOf: ErrorLocation = (source, line) => (source === '<stdin>' ? (prologFile ? undefined : line - prologLines) : source === plan.file ? line : undefined);
  const commitGate: CommitGate = {
    marker: `${restore.epilog}\\echo ${loadedMarker}\n`,
    loaded: Promise.race([
      // A GRANT the role could not give is only a warning: no COMMIT then.
      // psql wrote it to stderr before the marker to stdout; one turn of the
      // event loop reads what both pipes had.
      loaded
        .then(() => new Promise((resolve) => setImmediate(resolve)))
        .then(async () => {
          const refused = await privilegesNotGivenError(privilegeWarnings, { file: plan.file, keys: options.keys, user: options.target.user, lineOf });
          if (refused) throw refused;
        }),
      psql.exited.then(() => {
        throw new PulseError('restore-failed', 'psql ended before it had loaded the whole file');
      }),
    ]),
  };
  commitGate.loaded.catch(() => undefined);
  onLines(psql.stdout!, (line) => {
    if (line === loadedMarker) {
      markLoaded();
      return;
    }
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
    if (privilegeWarnings.length < 20 && PRIVILEGE_WARNING.test(line)) privilegeWarnings.push(redactText(line));
  });

  const feeding = (prologFile ? checkWhileLoading(psql.stdin!, restore, execution, tablesFed, commitGate) : feedPsql(psql.stdin!, restore, execution, tablesFed, commitGate)).then(
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
      keys: options.keys,
      target: options.target,
      lineOf,
      lockBudget: restore.lockBudget,
      lockTimeoutMs,
      findHolders: () => lockHoldersNow(options.target, restore.lockedRelations),
      restore: { mode: plan.mode, clean: plan.clean },
    });
  return sessionOutcome({ result, feedError, stderrLines, failure, tablesFed, copyTags });
}

/**
 * psql reads the file itself: this reads the same file alongside, for the
 * tables it holds, its footer and its sha256, and sends COMMIT on psql's
 * standard input only when all is well. Anything wrong rejects, and the
 * caller kills psql, so the server rolls back.
 */
async function checkWhileLoading(stdin: Writable, restore: PlannedRestore, execution: ExecuteOptions, tablesFed: TableDataEvent[], gate: CommitGate): Promise<void> {
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
  await new Promise<void>((resolve) => stdin.write(gate.marker, () => resolve()));
  await gate.loaded;
  await new Promise<void>((resolve) => stdin.end('COMMIT;\n', resolve));
}

async function feedPsql(stdin: Writable, restore: PlannedRestore, execution: ExecuteOptions, tablesFed: TableDataEvent[], gate: CommitGate): Promise<void> {
  const write = pipeWriter(stdin);
  await write(`BEGIN; ${ownSessionSql()};\n${restore.prolog}`);
  const tracker = new DumpReader({
    // The server's COPY tags count the rows; the feed only needs to see where each block ends.
    countRows: false,
    onTableStart: (table) => {
      tablesFed.push(table);
      execution.onProgress?.({ kind: 'table-start', table });
    },
    onTableDone: (table) => execution.onProgress?.({ kind: 'table-done', table }),
    rewriteLine: (line, entry) =>
      rewriteForRestore(line, entry, { existingSchemas: restore.existingSchemas, olderServer: restore.olderServer, defaultTablespace: restore.defaultTablespace }),
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
  // The sha256 and the size are of the file as stored; an encrypted one reaches psql decrypted.
  const stored = (chunk: Buffer) => {
    hash?.update(chunk);
    bytes += chunk.length;
  };
  for await (const chunk of readSetFile(restore.plan.file, { keys: restore.options.keys, signal: execution.signal, onStored: stored })) {
    await writeAll(tracker.push(chunk).whole);
    if (bytes - lastReport >= 8 * 1024 * 1024) {
      lastReport = bytes;
      execution.onProgress?.({ kind: 'loading', bytes, totalBytes: restore.fileBytes });
    }
  }
  await writeAll(tracker.end().whole);
  assertWholeAndUnchanged(restore, tracker.complete, recorded, bytes, hash?.digest('hex'));
  execution.onProgress?.({ kind: 'loading', bytes, totalBytes: restore.fileBytes });
  await write(`\n${gate.marker}`);
  await gate.loaded;
  await write('COMMIT;\n');
  await endInput(stdin);
}

/**
 * The rows the server acknowledged for each table (its COPY tags), against
 * what the manifest recorded. The tables were new or emptied first, so what
 * was loaded is what they now hold, and no second read of the data is needed.
 */
function compareWithManifest(restore: PlannedRestore, loaded: readonly LoadedTable[]): RestoredTable[] {
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

/** Who holds locks on these relations now, from a session of its own (the restore's own has ended). */
async function lockHoldersNow(target: ConnectionTarget, relations: readonly string[]) {
  const client = await connectClient(target);
  try {
    return await findLockHolders(client, relations);
  } finally {
    await client.end().catch(() => undefined);
  }
}
