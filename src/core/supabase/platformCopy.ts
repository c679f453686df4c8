/**
 * The Supabase platform for a proof's scratch database, as the live stack
 * has it: the live database's schema, as `pg_dump --schema-only` writes it,
 * without what the set's profile keeps (the application) — so exactly the
 * platform's schemas, tables, functions, grants, publications and extensions
 * that a set made with the Supabase profile leaves to the platform.
 *
 * It loads as the restoring role (on a stack, its non-superuser `postgres`),
 * statement by statement, as far as that role may: objects the platform's
 * superuser owns stay the loading role's, and what only a superuser may do
 * (event triggers, ownership by supabase_admin, some extensions) is refused
 * and counted. None of those is part of the set; what the set needs of the
 * platform — auth's and storage's tables, the extensions schema, the
 * supabase_realtime publication, the roles — is there, so the set then
 * restores exactly as into a stack.
 */
import { hint, seeDetails } from '../hint';
import type { ConnectionTarget } from '../connection/target';
import { DumpReader, type EntryHeader } from '../pg/dumpReader';
import { PulseError } from '../errors';
import { startPgTool, toolName, type ClientTools } from '../pg/run';
import { supabaseEntryFilter } from '../backup/profile';
import { openSnapshotSession } from '../backup/snapshot';
import { onLines } from '../process/lines';
import { toolStartError } from '../process/toolProcess';
import { redactText } from '../connection/redact';

export interface PlatformLoad {
  /** Statements the loading role was refused (the platform's superuser's business). */
  refused: number;
  /** The first few distinct reasons. */
  reasons: string[];
}

/** The live database's platform as SQL: its schema dump, less what a Supabase set keeps. */
export async function platformSql(live: { target: ConnectionTarget; tools: ClientTools; env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<Buffer> {
  const session = await openSnapshotSession(live.target, { lockTimeoutSeconds: 60, ...(live.signal ? { signal: live.signal } : {}) });
  try {
    const catalog = await session.readCatalog({ platform: true });
    if (!catalog.platform || catalog.platform.platformSchemas.length === 0) {
      throw new PulseError('restore-refused', `${live.target.database} has no Supabase platform to give the scratch database`, {
        hint: "prove a Supabase set against the project's Supabase database (supabase start), where its platform is",
      });
    }
    const filter = supabaseEntryFilter(catalog.platform);
    const dump: Buffer[] = [];
    const pgDump = startPgTool(live.tools, 'pg_dump', live.target, ['--schema-only', '--format=plain', '--no-password', `--snapshot=${session.snapshotId}`], {
      env: live.env,
      stdin: 'ignore',
      stdout: 'pipe',
      signal: live.signal,
    });
    const stderr: string[] = [];
    onLines(pgDump.stderr, (line) => {
      if (line.trim() !== '' && stderr.length < 100) stderr.push(redactText(line));
    });
    for await (const chunk of pgDump.stdout!) dump.push(chunk as Buffer);
    const exit = await pgDump.exited;
    if (exit.startError) throw toolStartError(exit.startError, toolName(live.tools, 'pg_dump'));
    // The schemas and their grants first: pg_dump grants at the end, but a
    // table's new owner (supabase_auth_admin) needs CREATE on its schema, which
    // only a superuser can do without.
    const schemasFirst = (header: EntryHeader) => header.type === 'SCHEMA' || (header.type === 'ACL' && header.name.startsWith('SCHEMA '));
    const [schemas, rest] = [true, false].map((first) => filtered(dump, (header) => !filter.keep(header) && schemasFirst(header) === first));
    if (exit.exitCode !== 0 || !rest.complete) {
      const said = stderr.find((line) => /error:/i.test(line)) ?? stderr[stderr.length - 1] ?? `exit code ${String(exit.exitCode)}`;
      throw new PulseError('dump-failed', `pg_dump could not dump the Supabase platform of ${live.target.database}: ${said.replace(/^pg_dump:\s*(error:\s*)?/, '')}`, {
        hint: 'check that the stack runs and postgres may read its schemas',
        details: stderr.join('\n'),
      });
    }
    return Buffer.concat([schemas.sql, rest.sql]);
  } finally {
    await session.close();
  }
}

/** The dump with only the entries `keep` keeps (pg_dump's preamble and footer stay). */
function filtered(dump: readonly Buffer[], keep: (header: EntryHeader) => boolean): { sql: Buffer; complete: boolean } {
  const pieces: Buffer[] = [];
  const reader = new DumpReader({ keepEntry: keep });
  for (const chunk of dump) pieces.push(...reader.push(chunk).whole);
  pieces.push(...reader.end().whole);
  return { sql: Buffer.concat(pieces), complete: reader.complete };
}

/** Loads the platform into a scratch database, statement by statement, going on past what the role may not do. */
export async function loadPlatform(tools: ClientTools, target: ConnectionTarget, env: NodeJS.ProcessEnv, sql: Buffer, signal?: AbortSignal): Promise<PlatformLoad> {
  const psql = startPgTool(tools, 'psql', target, ['--no-psqlrc', '--no-password', '--quiet', '--set', 'ON_ERROR_STOP=0', '--file', '-'], {
    env,
    stdin: 'pipe',
    stdout: 'ignore',
    signal,
  });
  const reasons = new Map<string, number>();
  let refused = 0;
  let fatal: string | undefined;
  onLines(psql.stderr, (line) => {
    const error = /(?:ERROR|FATAL):\s+(.*)$/.exec(line);
    if (!error) return;
    if (line.includes('FATAL:')) fatal ??= redactText(error[1]);
    refused += 1;
    // One reason per kind: "must be member of role supabase_admin", not each object's.
    const reason = redactText(error[1]).replace(/"[^"]*"/g, '"…"');
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  });
  psql.stdin?.end(sql);
  const exit = await psql.exited;
  if (signal?.aborted) throw new PulseError('cancelled', 'proof cancelled');
  if (exit.startError) throw toolStartError(exit.startError, toolName(tools, 'psql'));
  if (fatal !== undefined || (exit.exitCode !== 0 && exit.exitCode !== 3)) {
    throw new PulseError(
      'restore-failed',
      `psql could not load the Supabase platform into ${target.database}: ${fatal ?? `it ended with ${String(exit.signal ?? exit.exitCode)}`}`,
      {
        hint: hint`check that the server runs, or ${seeDetails("psql's output")}`,
      },
    );
  }
  const byCount = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return { refused, reasons: byCount.map(([reason, count]) => `${reason} (${count}×)`) };
}
