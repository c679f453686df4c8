/** Running the tools under measurement: argv arrays, an explicit environment, and errors that show what the tool said. */
import { loadExeca } from '../test/support/execa';

export interface ToolRun {
  /** The environment the tool gets, and nothing else from ours. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called once the process exists, with its id, for callers that watch it while it runs. */
  onSpawn?: (pid: number) => void;
}

export interface FinishedProcess {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Long enough for a full-size backup on a busy machine, short enough that a hung tool does not hang the benchmark. */
const TOOL_TIMEOUT_MS = 10 * 60_000;

/** Runs a tool to completion; stdout and stderr are kept for error messages only. */
export async function runTool(file: string, args: readonly string[], options: ToolRun): Promise<FinishedProcess> {
  const execa = await loadExeca();
  const subprocess = execa(file, args, {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    stdin: 'ignore',
    reject: false,
    timeout: TOOL_TIMEOUT_MS,
  });
  if (subprocess.pid !== undefined) options.onSpawn?.(subprocess.pid);
  const result = await subprocess;
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export function assertSucceeded(what: string, result: FinishedProcess): void {
  if (result.exitCode === 0) return;
  const said = tail(`${result.stderr}\n${result.stdout}`, 20);
  throw new Error(`${what} failed with exit code ${String(result.exitCode)}${said ? `:\n${said}` : ''}`);
}

function tail(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
