/**
 * Reads a database back the way a set recorded it, for a proof (a scratch
 * database a set was restored into) or a diff (the database now): every
 * table's rows through one `COPY … TO STDOUT` each, in one psql session and
 * one snapshot, streamed through the same reader and digests as a backup
 * (the script has psql echo a `COPY … FROM stdin;` line before each table
 * and `\.` after it, so its output reads exactly like a dump's data); and
 * the schema through `pg_dump --schema-only`, digested entry by entry.
 *
 * The session writes rows as pg_dump's did: the settings pg_dump sets
 * (DateStyle, IntervalStyle, extra_float_digits, row_security) and those
 * the set recorded from its own session (client encoding, TimeZone,
 * bytea_output, lc_monetary). Nothing here writes: the transaction is read
 * only.
 */
import { hint, seeDetails } from '../hint';
import type { ConnectionTarget } from '../connection/target';
import { DumpDigests, type CollectedTable, type DumpDigestOptions, type SchemaEntryDigest } from '../backup/dumpDigests';
import { collectTableTexts } from './tableChanges';
import { DumpReader, type EntryHeader } from '../pg/dumpReader';
import { schemaChangedMeanwhile, schemaChangedHint, SCHEMA_CHANGED_WORDS } from '../pg/schemaChanged';
import { PulseError } from '../errors';
import type { DigestSettings } from '../sets/manifest';
import { startPgTool, toolName, type ClientTools } from '../pg/run';
import { qualifiedIdentifier, quoteIdentifier, quoteLiteral } from '../sql';
import { readPermissionError } from '../pg/readPermission';
import { lostConnectionReason } from '../pg/psqlEnd';
import { isLockTimeout, lockWaitError, tableOfLockQuery } from '../pg/lockWaits';
import { isRecoveryConflict, isSnapshotGone, recoveryConflictError } from '../pg/recoveryConflict';
import { onLines } from '../process/lines';
import { toolStartError, type ToolProcess } from '../process/toolProcess';
import { redactText } from '../connection/redact';

/** A table to read back: the columns its COPY named, in that order. */
export interface ReadbackTable {
  schema: string;
  name: string;
  columns: readonly string[];
}

export interface ReadbackSession {
  target: ConnectionTarget;
  tools: ClientTools;
  env: NodeJS.ProcessEnv;
  /** A snapshot exported by another session of the same database: read in it. */
  snapshotId?: string;
  /** Why the server ended that session, if it did: a tool then finds no snapshot to import. */
  snapshotLost?: () => string | undefined;
  /** How long to wait for a table another session holds (a diff of a live database). */
  lockTimeoutSeconds?: number;
  /** pg_dump's --schema and --exclude-schema arguments the set was made with: the schema is read as the set holds it (manifest.ts: schemaSelection). */
  schemaSelection?: readonly string[];
  signal?: AbortSignal;
}

/**
 * The text psql echoes for a string: backslashes and single quotes doubled
 * inside single quotes, and a line break (a table named with one) as psql's
 * \n and \r escapes, since a meta-command ends at the end of its line.
 */
function echoArgument(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** `"public"."users" ("id", "name")`: a table and its columns as COPY names them. */
export function copyTarget(table: ReadbackTable): string {
  const columns = table.columns.length > 0 ? ` (${table.columns.map(quoteIdentifier).join(', ')})` : '';
  return `${qualifiedIdentifier(table.schema, table.name)}${columns}`;
}

/**
 * The psql script of a read-back: the session's settings, one read-only
 * transaction (in the given snapshot), and per table an echoed
 * `COPY … FROM stdin;`, the `COPY … TO STDOUT` itself and an echoed `\.`.
 */
export function readbackScript(tables: readonly ReadbackTable[], settings: DigestSettings, options: { snapshotId?: string; lockTimeoutSeconds?: number } = {}): string {
  const lines = [
    `SET client_encoding = ${quoteLiteral(settings.clientEncoding)};`,
    'SET DateStyle = ISO;',
    'SET IntervalStyle = postgres;',
    'SET extra_float_digits = 3;',
    'SET row_security = off;',
    'SET statement_timeout = 0;',
    `SET lock_timeout = '${Math.round((options.lockTimeoutSeconds ?? 0) * 1000)}ms';`,
    `SET TimeZone = ${quoteLiteral(settings.timeZone)};`,
    `SET bytea_output = ${quoteLiteral(settings.byteaOutput)};`,
    // A locale this server lacks only changes how money is written: not worth failing for.
    `DO $$BEGIN PERFORM pg_catalog.set_config('lc_monetary', ${quoteLiteral(settings.lcMonetary)}, false); EXCEPTION WHEN OTHERS THEN NULL; END$$;`,
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;',
    ...(options.snapshotId ? [`SET TRANSACTION SNAPSHOT ${quoteLiteral(options.snapshotId)};`] : []),
  ];
  for (const table of tables) {
    const target = copyTarget(table);
    lines.push(`\\echo ${echoArgument(`COPY ${target} FROM stdin;`)}`, `COPY ${target} TO STDOUT;`, `\\echo ${echoArgument('\\.')}`);
  }
  lines.push('COMMIT;', '');
  return lines.join('\n');
}

/**
 * Reads every table's rows back and digests them; the result lists them in
 * the order asked. `onRow` sees each row's hash (and, with `rowKey`, its key).
 */
export async function readTables(
  session: ReadbackSession,
  tables: readonly ReadbackTable[],
  settings: DigestSettings,
  options: Pick<DumpDigestOptions, 'onRow' | 'rowKey'> & { onTable?: (index: number) => void } = {},
): Promise<CollectedTable[]> {
  if (tables.length === 0) return [];
  let done = 0;
  const digests = new DumpDigests({ ...(options.onRow ? { onRow: options.onRow } : {}), ...(options.rowKey ? { rowKey: options.rowKey } : {}) });
  const reader = new DumpReader({
    ...digests.readerOptions(),
    onTableDone: () => {
      options.onTable?.(done);
      done += 1;
    },
  });
  const psql = startPgTool(session.tools, 'psql', session.target, ['--no-psqlrc', '--no-password', '--quiet', '--set', 'ON_ERROR_STOP=1', '--file', '-'], {
    env: session.env,
    stdin: 'pipe',
    stdout: 'pipe',
    signal: session.signal,
  });
  psql.stdin?.end(readbackScript(tables, settings, session));
  const stderr = await streamThrough(psql, reader, session, 'psql', 'read the tables back', tables);
  if (digests.tables.length !== tables.length || done !== tables.length) {
    throw new PulseError('internal', `psql read ${done} of ${tables.length} tables back`, { hint: [seeDetails("psql's output")], details: stderr.join('\n') });
  }
  return digests.tables;
}

export interface SchemaReadback {
  digest: string;
  entries: SchemaEntryDigest[];
}

/**
 * The database's schema as `pg_dump --schema-only` writes it, digested as a
 * backup digests its schema part: entry by entry, the ones `keepEntry`
 * keeps (a Supabase set's profile).
 */
export async function readSchema(session: ReadbackSession, keepEntry?: (header: EntryHeader) => boolean, tableTexts?: Map<string, string>): Promise<SchemaReadback> {
  const entries: SchemaEntryDigest[] = [];
  const digests = new DumpDigests({ onSchemaEntry: (entry) => entries.push(entry), ...collectTableTexts(tableTexts) });
  const reader = new DumpReader({ ...digests.readerOptions(), ...(keepEntry ? { keepEntry } : {}) });
  const args = [
    '--schema-only',
    '--format=plain',
    '--no-password',
    ...(session.snapshotId ? [`--snapshot=${session.snapshotId}`] : []),
    ...(session.lockTimeoutSeconds ? [`--lock-wait-timeout=${session.lockTimeoutSeconds}s`] : []),
    // A set of some schemas creates them, public too; a dump of the whole database leaves public's creation out.
    ...(session.schemaSelection ?? []),
  ];
  const pgDump = startPgTool(session.tools, 'pg_dump', session.target, args, { env: session.env, stdin: 'ignore', stdout: 'pipe', signal: session.signal });
  const stderr = await streamThrough(pgDump, reader, session, 'pg_dump', 'dump the schema');
  if (!reader.complete) throw await toolError('pg_dump', 'dump the schema', session, stderr, 'an unfinished dump');
  return { digest: digests.schema.digest, entries };
}

/** Feeds a tool's output through the reader until it ends; its stderr lines, or the one-line error it failed with. */
async function streamThrough(
  tool: ToolProcess,
  reader: DumpReader,
  session: ReadbackSession,
  name: 'psql' | 'pg_dump',
  what: string,
  tables?: readonly ReadbackTable[],
): Promise<string[]> {
  const stderr: string[] = [];
  onLines(tool.stderr, (line) => {
    if (line.trim() !== '' && stderr.length < 200) stderr.push(redactText(line));
  });
  const read = (async () => {
    for await (const chunk of tool.stdout!) reader.push(chunk as Buffer);
    reader.end();
  })();
  const [exit, reading] = await Promise.all([
    tool.exited,
    read.then(
      () => undefined,
      (error: unknown) => error,
    ),
  ]);
  if (session.signal?.aborted) throw new PulseError('cancelled', 'cancelled');
  if (exit.startError) throw toolStartError(exit.startError, toolName(session.tools, name));
  if (exit.exitCode !== 0 || reading !== undefined) throw await toolError(name, what, session, stderr, exit.signal ?? exit.exitCode, tables);
  return stderr;
}

/** A read-back tool that failed, in one line: the server's first error, or how the tool ended. */
async function toolError(
  tool: string,
  what: string,
  session: ReadbackSession,
  stderr: readonly string[],
  ended: string | number | undefined,
  tables?: readonly ReadbackTable[],
): Promise<PulseError> {
  const target = session.target;
  const text = stderr.join('\n');
  const snapshotLost = session.snapshotLost?.();
  // On a standby, replay may end the snapshot's session or cancel the tool's query.
  if (isRecoveryConflict(text) || (isSnapshotGone(text) && isRecoveryConflict(snapshotLost))) {
    return recoveryConflictError('dump-failed', `the read of ${target.database}`, 'nothing was changed', [text, snapshotLost].filter(Boolean).join('\n'));
  }
  // psql names a table it may not read without its schema: the one of that name it was reading, when only one has it.
  const qualify = (name: string) => {
    const named = tables?.filter((table) => table.name === name) ?? [];
    return named.length === 1 ? qualifiedIdentifier(named[0].schema, named[0].name) : undefined;
  };
  const denied = readPermissionError(text, target.user, { because: 'every table is read to compare it with the set', runAs: 'connect as', qualify });
  if (denied) return denied;
  const lost = lostConnectionReason(text);
  const errorLine = stderr.find((line) => /ERROR:|FATAL:|error:/.test(line));
  const said =
    lost ??
    errorLine?.replace(/^(psql|pg_dump):.*?(ERROR|FATAL|error):\s*/, '').replace(/^.*?(ERROR|FATAL):\s*/, '') ??
    (ended === undefined ? 'it stopped' : `it ended with ${String(ended)}`);
  // A table another session holds (pg_dump's LOCK TABLE, psql's COPY): which one, and who holds it.
  if (lost === undefined && session.lockTimeoutSeconds && isLockTimeout(text)) {
    const table = tableOfLockQuery(text);
    return lockWaitError(target, { seconds: session.lockTimeoutSeconds, ...(table ? { table } : {}), details: text, purpose: 'diff' });
  }
  if (lost === undefined && schemaChangedMeanwhile(text)) {
    return new PulseError('dump-failed', `${tool} could not ${what} of ${target.database}: ${SCHEMA_CHANGED_WORDS} (${said})`, { hint: [schemaChangedHint('it')], details: text });
  }
  return new PulseError('dump-failed', `${tool} could not ${what} of ${target.database}: ${said}`, {
    hint: hint`check that the server runs and the role may read every table, or ${seeDetails("the tool's output")}`,
    details: text,
  });
}
