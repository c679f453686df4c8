/**
 * `supabase db reset --local`: the Supabase CLI wipes the local database and
 * rebuilds it from the project's migrations (and seed). A restore with
 * `reset` runs it between the safety backup and loading the data — the
 * team's old "reset, then restore the data" procedure in one step, with
 * nothing lost if either part fails (the safety backup is taken first).
 */
import { hint, option } from '../hint';
import { PulseError } from '../errors';
import { runTool } from '../process/toolProcess';
import { findOnPath } from '../pg/tools';
import type { SupabaseProject } from './project';

export const SUPABASE_RESET_ARGS: readonly string[] = ['db', 'reset', '--local'];

/** The supabase CLI on PATH, or undefined: whether a reset can be offered at all. */
export function findSupabaseCli(env: NodeJS.ProcessEnv): string | undefined {
  return findOnPath(process.platform === 'win32' ? ['supabase.exe', 'supabase.cmd'] : ['supabase'], env);
}

export interface ResetOptions {
  project: SupabaseProject;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Each line the Supabase CLI prints, as it prints it. */
  onLine?: (line: string) => void;
}

/** Runs `supabase db reset --local` in the project folder; a failure is one PulseError. */
export async function runSupabaseReset(options: ResetOptions): Promise<void> {
  const lastLines: string[] = [];
  // It rebuilds a database: like every child, it is registered, so it does not go on after this process is gone.
  const result = await runTool('supabase', SUPABASE_RESET_ARGS, {
    cwd: options.project.folder,
    env: options.env,
    signal: options.signal,
    // docker, started by the Supabase CLI, gets its moment to stop the containers' work cleanly.
    forceKillAfterMs: 5000,
    onLine: (line) => {
      options.onLine?.(line);
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
    },
  });
  if (result.startError) {
    const missing = result.startError.code === 'ENOENT';
    throw new PulseError(
      'tools-not-found',
      missing ? 'the supabase CLI is not installed (supabase db reset --local needs it)' : `could not start the supabase CLI: ${result.startError.message.split('\n', 1)[0] ?? ''}`,
      {
        hint: hint`install it (https://supabase.com/docs/guides/local-development/cli/getting-started) or restore without ${option('reset')}; nothing was restored`,
      },
    );
  }
  if (options.signal?.aborted) throw new PulseError('cancelled', 'supabase db reset was cancelled', { hint: 'restore the safety backup if the database was already reset' });
  if (result.exitCode !== 0) {
    const said = [...lastLines].reverse().find((line) => /error|failed/i.test(line)) ?? lastLines.at(-1) ?? `exit code ${String(result.exitCode)}`;
    throw new PulseError('restore-failed', `supabase db reset --local failed: ${said.trim()}`, {
      hint: 'nothing was restored; fix the migrations or the stack (supabase status), then run the restore again — the safety backup holds the data from before',
      details: lastLines.join('\n'),
    });
  }
}
