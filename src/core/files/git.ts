/**
 * Whether a backups folder's files could end up in a git commit: the one
 * question both the report's security section and the extension's
 * ".gitignore" offer ask, asked one way so they cannot answer differently.
 *
 * git runs read-only and on its own terms: no fsmonitor (a hook in the
 * repository's configuration could run a program), no pager, no prompt, no
 * optional locks, C locale messages; and with an environment built from a
 * short list, so no GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE (or any other
 * GIT_* variable a terminal or a hook left behind) makes it answer for
 * another repository than the folder's own.
 */
import { runTool } from '../process/toolProcess';

export type GitState = 'git-not-installed' | 'not-in-repository' | 'ignored' | 'not-ignored' | 'unknown';

export interface GitFacts {
  state: GitState;
  repositoryRoot: string | null;
  /** Files of the set that git already tracks (committed or staged), by name. */
  trackedFiles: string[];
  /** What git said, when it could not answer. */
  detail?: string;
}

export interface GitQuestion {
  /** Where git looks from: the environment's PATH, HOME and the like are kept, nothing else. */
  env: NodeJS.ProcessEnv;
  /** Names (in the folder) of every file of the set: any of them tracked means the data is in the history. */
  setFiles: readonly string[];
  /** Names of the set's dump files: all of them ignored counts as ignored even when the folder is not. */
  dumps: readonly string[];
}

/** One git answer should never keep a report or a backup's follow-up waiting. */
export const GIT_TIMEOUT_MS = 15_000;

/** The variables git may see: where it is, where the user's configuration is, and nothing that redirects it. */
const KEPT_VARIABLES = ['PATH', 'HOME', 'USERPROFILE', 'HOMEDRIVE', 'HOMEPATH', 'SystemRoot', 'XDG_CONFIG_HOME'];

export function gitEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const gitEnv: NodeJS.ProcessEnv = { GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' };
  for (const name of KEPT_VARIABLES) {
    const value = env[name];
    if (value !== undefined) gitEnv[name] = value;
  }
  return gitEnv;
}

/** The argv of a git question about `folder`: the same switches for every question. */
export function gitArgs(folder: string, args: readonly string[]): string[] {
  return ['--no-pager', '-c', 'core.fsmonitor=false', '-C', folder, ...args];
}

/** Whether the set's files in `folder` are kept out of commits. Never throws. */
export async function gitFacts(folder: string, question: GitQuestion): Promise<GitFacts> {
  const env = gitEnvironment(question.env);
  const git = (args: readonly string[], input?: string) => runTool('git', gitArgs(folder, args), { env, timeoutMs: GIT_TIMEOUT_MS, ...(input === undefined ? {} : { input }) });
  const top = await git(['rev-parse', '--show-toplevel']);
  if (top.startError?.code === 'ENOENT') return { state: 'git-not-installed', repositoryRoot: null, trackedFiles: [] };
  if (top.startError) return { state: 'unknown', repositoryRoot: null, trackedFiles: [], detail: firstLine(top.startError.message) };
  if (top.timedOut) return { state: 'unknown', repositoryRoot: null, trackedFiles: [], detail: `git did not answer within ${GIT_TIMEOUT_MS / 1000} seconds` };
  if (top.exitCode !== 0) {
    if (/not a git repository/i.test(top.stderr)) return { state: 'not-in-repository', repositoryRoot: null, trackedFiles: [] };
    return { state: 'unknown', repositoryRoot: null, trackedFiles: [], detail: firstLine(top.stderr) };
  }
  const root = top.stdout.trim();
  // Run inside the folder, git names the tracked files relative to it: just their names.
  const tracked = question.setFiles.length === 0 ? undefined : await git(['ls-files', '-z', '--', ...question.setFiles]);
  const trackedFiles = tracked?.exitCode === 0 ? splitNul(tracked.stdout) : [];
  // The folder and the dumps both: a `*.sql` rule ignores the dumps of a folder that is not ignored itself.
  const ignored = await git(['check-ignore', '-z', '--stdin'], ['.', ...question.dumps].map((name) => `${name}\0`).join(''));
  if (ignored.exitCode !== 0 && ignored.exitCode !== 1) {
    return {
      state: 'unknown',
      repositoryRoot: root,
      trackedFiles,
      detail: ignored.timedOut ? `git did not answer within ${GIT_TIMEOUT_MS / 1000} seconds` : firstLine(ignored.stderr),
    };
  }
  const ignoredPaths = new Set(splitNul(ignored.stdout));
  const everythingIgnored = ignoredPaths.has('.') || (question.dumps.length > 0 && question.dumps.every((name) => ignoredPaths.has(name)));
  return { state: everythingIgnored && trackedFiles.length === 0 ? 'ignored' : 'not-ignored', repositoryRoot: root, trackedFiles };
}

function splitNul(text: string): string[] {
  return text.split('\0').filter((part) => part !== '');
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() ?? '';
}
