/**
 * `restore --jobs N`: a complete restore into an empty database (plan.ts
 * checks it is one) in three steps, each waiting for the one before:
 * 1. everything before the rows (schemas, tables, functions, ...) in one
 *    transaction, which commits only once the whole file has been read and
 *    matches its recorded sha256;
 * 2. the rows: each table's COPY block goes to one of N sessions, biggest
 *    tables first (sizes from the manifest), sequence values and large
 *    objects to the first;
 * 3. indexes and primary-key / unique constraints in N sessions, then the
 *    rest (foreign keys, triggers, policies, materialized views' data, ...)
 *    in one, in the file's order.
 * Every session reads the file itself and keeps only its own entries (the
 * dump reader skips the others' rows without holding them), so memory stays
 * that of one chunk per session. It is not one transaction: on any failure
 * or cancel the sessions stop and what the restore created is dropped
 * (emptyTarget.ts), so the database is empty again. A killed CLI cannot do
 * that; the next restore's check then finds the database not empty.
 */
import { setMaxListeners } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { commandLineOnly, hint, joinHints, mapWords, option, type Hint } from '../hint';
import { connectClient, childProcessEnv } from '../connection/session';
import { redactText } from '../connection/redact';
import { PulseError, toPulseError } from '../errors';
import { qualifiedName } from '../format';
import { DumpReader, isDataEntry, type EntryHeader, type TableDataEvent } from '../pg/dumpReader';
import { onLines } from '../process/lines';
import { startTool, toolStartError } from '../process/toolProcess';
import { dockerEnv, dockerExecArgs } from '../supabase/docker';
import { readSetFile } from '../codecs/setFileReader';
import type { ManifestTable } from '../sets/manifest';
import { describeUserObjects, emptyAgain } from './emptyTarget';
import { assertWholeAndUnchanged, endInput, pipeWriter, recordedFile, rewriteForRestore, sessionOutcome, type LoadedTable } from './feed';
import { lockHeldError, PRIVILEGE_WARNING, privilegesNotGivenError, psqlError } from './failures';
import { LockWatchdog } from '../pg/lockWatchdog';
import { ownSessionSql } from '../pg/sessionSettings';
import type { PlannedRestore } from './plan';
import { DEFAULT_LOCK_TIMEOUT_MS, type ExecuteOptions } from './types';

type Phase = 'pre' | 'data' | 'post';

/** Where one archive entry loads: its step, and in which of the step's sessions. */
export interface EntryPlace {
  phase: Phase;
  /** In step 3: an index or a primary-key/unique constraint, built side by side with the others. */
  sideBySide: boolean;
  session: number;
}

/**
 * Places each entry as its header goes past, the same way in every reader
 * (each keeps its own count): the rows step is the run of entries that load
 * rows (a materialized view's data is a REFRESH, which needs the tables'
 * rows, so it stays with the rest of step 3).
 */
export function entryPlacer(assignment: ReadonlyMap<string, number>, jobs: number): (header: EntryHeader) => EntryPlace {
  let phase: Phase = 'pre';
  let unassigned = 0;
  let sideBySide = 0;
  return (header) => {
    const loadsRows = isDataEntry(header) && header.type !== 'MATERIALIZED VIEW DATA';
    if (phase === 'pre' && loadsRows) phase = 'data';
    else if (phase === 'data' && !loadsRows) phase = 'post';
    if (phase === 'data') {
      // Sequence values and large objects (whose entries must stay in order) go with the first session.
      if (header.type !== 'TABLE DATA') return { phase, sideBySide: false, session: 0 };
      return { phase, sideBySide: false, session: assignment.get(qualifiedName(header.schema, header.name)) ?? unassigned++ % jobs };
    }
    if (phase === 'post' && (header.type === 'INDEX' || header.type === 'CONSTRAINT')) return { phase, sideBySide: true, session: sideBySide++ % jobs };
    return { phase, sideBySide: false, session: 0 };
  };
}

/** Tables to sessions, biggest first, each to the session with the least so far. */
export function assignTables(tables: readonly Pick<ManifestTable, 'schema' | 'name' | 'bytes' | 'rows'>[], jobs: number): Map<string, number> {
  const load = new Array<number>(jobs).fill(0);
  const assignment = new Map<string, number>();
  const withRows = tables.filter((table) => table.rows !== null).sort((a, b) => b.bytes - a.bytes);
  for (const table of withRows) {
    const session = load.indexOf(Math.min(...load));
    assignment.set(qualifiedName(table.schema, table.name), session);
    load[session] += Math.max(1, table.bytes);
  }
  return assignment;
}

interface Session {
  label: string;
  /** The server's application_name: the restore's own, so its sessions can be ended after a failure. */
  applicationName: string;
  keep: (place: EntryPlace) => boolean;
  /** SQL sent first; with `transaction`, inside BEGIN, and COMMIT only once the whole file checked out. */
  prolog: string;
  transaction: boolean;
}

export async function loadInParallel(restore: PlannedRestore, execution: ExecuteOptions): Promise<LoadedTable[]> {
  const jobs = restore.jobs;
  const stop = new AbortController();
  // Every session's psql, file reader and feed listen for it: at 16 jobs, some
  // dozens, more than the number Node warns about on stderr. It is this
  // restore's own, and ends with it.
  setMaxListeners(0, stop.signal);
  const onCancel = () => stop.abort();
  execution.signal?.addEventListener('abort', onCancel, { once: true });
  if (execution.signal?.aborted) stop.abort();
  const assignment = assignTables(restore.set.manifest?.tables ?? [], jobs);
  const applicationName = `pulse-backup restore ${randomBytes(4).toString('hex')}`;
  const sessions = (label: string, keep: (place: EntryPlace, session: number) => boolean, transaction: boolean, count = jobs): Session[] =>
    Array.from({ length: count }, (_, session) => ({
      label: `${label} ${session + 1}`,
      applicationName: `${applicationName} ${label} ${session + 1}`,
      keep: (place) => keep(place, session),
      prolog: 'SET client_min_messages = warning;\n',
      transaction,
    }));
  const lockTimeoutMs = restore.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  // pg_dump's file sets lock_timeout back to 0, and a session that reads a table
  // the restore created (an application connecting early, a dashboard left in a
  // transaction) would hold its ALTER TABLE back for ever: every session of
  // this restore is watched, and a wait past the lock timeout cancelled.
  const watchdog = LockWatchdog.start(restore.options.target, `${applicationName} `, lockTimeoutMs, { prefix: true });
  let created = false;
  try {
    await together(
      [{ label: 'definitions', applicationName: `${applicationName} definitions`, keep: (place) => place.phase === 'pre', prolog: restore.prolog, transaction: true }],
      restore,
      execution,
      assignment,
      stop,
    );
    created = true;
    const loaded = await together(
      sessions('rows', (place, session) => place.phase === 'data' && place.session === session, true),
      restore,
      execution,
      assignment,
      stop,
    );
    await together(
      sessions('indexes', (place, session) => place.phase === 'post' && place.sideBySide && place.session === session, false),
      restore,
      execution,
      assignment,
      stop,
    );
    await together(
      sessions('constraints', (place) => place.phase === 'post' && !place.sideBySide, true, 1),
      restore,
      execution,
      assignment,
      stop,
    );
    return loaded.flat();
  } catch (error) {
    const cancelled = execution.signal?.aborted === true;
    // Step 1 is one transaction: its failure rolled back, and nothing was created.
    if (!created)
      throw cancelled ? new PulseError('cancelled', 'restore cancelled', { hint: 'the definitions were rolled back; the database is as empty as it was' }) : toPulseError(error);
    await watchdog.stop();
    const gaveUp = watchdog.gaveUp;
    const failure = cancelled
      ? new PulseError('cancelled', 'restore cancelled')
      : gaveUp
        ? lockHeldError(gaveUp.holders, 'waited for, not one transaction', lockTimeoutMs, gaveUp.relation)
        : toPulseError(error);
    throw await emptiedAfter(failure, restore, applicationName, lockTimeoutMs, !cancelled && gaveUp !== undefined);
  } finally {
    await watchdog.stop();
    execution.signal?.removeEventListener('abort', onCancel);
  }
}

/** Runs the sessions side by side; the first failure stops the others, and is what is thrown once all have ended. */
async function together(
  sessions: readonly Session[],
  restore: PlannedRestore,
  execution: ExecuteOptions,
  assignment: ReadonlyMap<string, number>,
  stop: AbortController,
): Promise<LoadedTable[][]> {
  let failure: { error: unknown } | undefined;
  const results = await Promise.all(
    sessions.map((session) =>
      runSession(session, restore, execution, assignment, stop.signal).catch((error: unknown) => {
        if (!failure) {
          failure = { error };
          stop.abort();
        }
        return [];
      }),
    ),
  );
  if (failure) throw failure.error;
  return results;
}

/** One psql session fed the entries it keeps, read from the set's file as it streams. */
async function runSession(
  session: Session,
  restore: PlannedRestore,
  execution: ExecuteOptions,
  assignment: ReadonlyMap<string, number>,
  signal: AbortSignal,
): Promise<LoadedTable[]> {
  const { options, plan } = restore;
  const container = options.container;
  const psqlArgs = ['--no-psqlrc', '--no-password', '--set', 'ON_ERROR_STOP=1', '--file', '-'];
  const psql = startTool(container ? 'docker' : restore.psqlPath, container ? dockerExecArgs(container.container, 'psql', psqlArgs) : psqlArgs, {
    env: {
      ...(container ? dockerEnv(options.target, options.env) : childProcessEnv(options.target, options.env)),
      PGAPPNAME: session.applicationName,
    },
    stdin: 'pipe',
    stdout: 'pipe',
    signal,
  });
  const tablesFed: TableDataEvent[] = [];
  const copyTags: number[] = [];
  onLines(psql.stdout!, (line) => {
    const tag = /^COPY (\d+)$/.exec(line);
    if (!tag) return;
    copyTags.push(Number(tag[1]));
    const table = tablesFed[copyTags.length - 1];
    if (table) execution.onProgress?.({ kind: 'table-done', table: { ...table, rows: Number(tag[1]) } });
  });
  const stderrLines: string[] = [];
  const privilegeWarnings: string[] = [];
  onLines(psql.stderr, (line) => {
    if (line.trim() !== '' && stderrLines.length < 200) stderrLines.push(redactText(line));
    if (privilegeWarnings.length < 20 && PRIVILEGE_WARNING.test(line)) privilegeWarnings.push(redactText(line));
  });
  const feeding = feed(psql.stdin!, session, restore, assignment, tablesFed, signal).then(
    () => undefined,
    (error: unknown) => {
      // Never let psql see the end of a partial feed: it would COMMIT what it got.
      psql.kill('SIGKILL');
      return error;
    },
  );
  const result = await psql.exited;
  const feedError = await feeding;
  if (signal.aborted) throw new PulseError('cancelled', `the ${session.label} session was stopped`);
  if (result.startError) throw toolStartError(result.startError, container ? 'docker' : restore.psqlPath);
  const failed = () =>
    psqlError(stderrLines, {
      file: plan.file,
      keys: options.keys,
      target: options.target,
      lineOf: () => undefined,
      lockBudget: restore.lockBudget,
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      findHolders: () => Promise.resolve([]),
      restore: { mode: plan.mode, clean: plan.clean },
    });
  const loadedTables = await sessionOutcome({ result, feedError, stderrLines, failure: failed, tablesFed, copyTags });
  // A GRANT the role could not give is only a warning: the restore fails, and what it created is dropped.
  const refused = await privilegesNotGivenError(privilegeWarnings, { file: plan.file, keys: options.keys, user: options.target.user, lineOf: () => undefined });
  if (refused) throw refused;
  return loadedTables;
}

async function feed(
  stdin: NonNullable<ReturnType<typeof startTool>['stdin']>,
  session: Session,
  restore: PlannedRestore,
  assignment: ReadonlyMap<string, number>,
  tablesFed: TableDataEvent[],
  signal: AbortSignal,
): Promise<void> {
  const write = pipeWriter(stdin);
  // Each session waits while the file is read up to its entries: no server timeout may end it (on psql's first line, which line numbers count from).
  await write(session.transaction ? `BEGIN; ${ownSessionSql()};\n${session.prolog}` : `${ownSessionSql()}; ${session.prolog}`);
  const place = entryPlacer(assignment, restore.jobs);
  const reader = new DumpReader({
    countRows: false,
    keepEntry: (header) => session.keep(place(header)),
    onTableStart: (table) => tablesFed.push(table),
    // pg_dump's BEGIN/COMMIT around large objects would end this session's transaction early.
    rewriteLine: (line, entry) => rewriteForRestore(line, entry, { existingSchemas: new Set(), olderServer: restore.olderServer, defaultTablespace: restore.defaultTablespace }),
  });
  const recorded = recordedFile(restore);
  const hash = recorded ? createHash('sha256') : undefined;
  let bytes = 0;
  const stored = (chunk: Buffer) => {
    hash?.update(chunk);
    bytes += chunk.length;
  };
  for await (const chunk of readSetFile(restore.plan.file, { keys: restore.options.keys, signal, onStored: stored })) {
    const { whole } = reader.push(chunk);
    if (whole.length > 0) await write(...whole);
  }
  const { whole } = reader.end();
  if (whole.length > 0) await write(...whole);
  assertWholeAndUnchanged(restore, reader.complete, recorded, bytes, hash?.digest('hex'));
  if (session.transaction) await write('\nCOMMIT;\n');
  await endInput(stdin);
}

/**
 * The failure, once what the restore created has been dropped again (or what
 * could not be, said plainly). `lockGaveUp`: the failure is the watch's
 * (another session held a lock), whose advice comes first.
 */
async function emptiedAfter(failure: PulseError, restore: PlannedRestore, applicationName: string, lockTimeoutMs: number, lockGaveUp: boolean): Promise<PulseError> {
  const jobs = restore.jobs;
  const message = failure.message
    .replace(/^restore failed and was rolled back: /, `restore with ${jobs} jobs failed: `)
    .replace(/^restore gave up /, `restore with ${jobs} jobs gave up `);
  // What to do about the failure comes first (a lock another session held: who): psql's error keeps its advice,
  // without the one-transaction restore's "the target is unchanged", which the state after it replaces.
  const psqlFailed = /^restore failed and was rolled back: /.test(failure.message);
  const advice = failure.hint && (lockGaveUp || psqlFailed) ? mapWords(failure.hint, (text) => text.replace(/;\s*the target is unchanged$/, '')) : undefined;
  const first = (state: Hint): Hint => (advice ? joinHints([advice, state], '; ') : state);
  let left: { kind: string; count: number }[];
  let heldBack: boolean;
  try {
    const client = await connectClient(restore.options.target);
    try {
      // A backend whose psql was killed may still be building an index: ended first, so the drops need not wait for it.
      await client.query(
        `SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE pid <> pg_catalog.pg_backend_pid() AND starts_with(application_name, $1)`,
        [`${applicationName} `],
      );
      // Another session holding what was created would hold its drop back too: as long as a lock is waited for, then what is left is said.
      await client.query(`SET lock_timeout = '${Math.max(1, Math.round(lockTimeoutMs))}ms'`);
      ({ left, heldBack } = await emptyAgain(client, restore.publicBefore));
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    return new PulseError(failure.code, message, {
      hint: first(
        hint`it was not one transaction, and what it had created could not be dropped (${toPulseError(error).message}): drop and recreate the database before restoring again`,
      ),
      details: failure.details,
    });
  }
  if (left.length > 0 && heldBack) {
    return new PulseError(failure.code, message, {
      hint: first(
        hint`it was not one transaction, and dropping what it had created waited ${String(Math.round(lockTimeoutMs / 100) / 10)} s for a lock another session holds: ${describeUserObjects(left)} are left; once that session has ended, drop and recreate the database before restoring again`,
      ),
      details: failure.details,
    });
  }
  if (left.length > 0) {
    return new PulseError(failure.code, message, {
      hint: first(hint`it was not one transaction: what it had created was dropped but for ${describeUserObjects(left)}; drop and recreate the database before restoring again`),
      details: failure.details,
    });
  }
  // The restore's own sessions may be what took the server's last slots: fewer of them is the first thing to try.
  if (NO_FREE_SLOTS.test(failure.message)) {
    return new PulseError(failure.code, `${failure.message} for the restore's ${jobs} sessions`, {
      hint: hint`not one transaction: what it had created was dropped, and the database is empty again; run with a smaller ${option('jobs')} (each job is one more connection)${commandLineOnly(hint`, or without ${option('jobs', 'N')} (one session, one transaction)`)}`,
      details: failure.details,
    });
  }
  return new PulseError(failure.code, message, {
    hint: first(
      hint`not one transaction: what it had created was dropped, and the database is empty again${commandLineOnly(hint`; without ${option('jobs', 'N')} the restore is one transaction`)}`,
    ),
    details: failure.details,
  });
}

/** How connection/failures.ts words a server whose connection slots are all taken. */
const NO_FREE_SLOTS = /^PostgreSQL at .* has no free connection slots$/;
