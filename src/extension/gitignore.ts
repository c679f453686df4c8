/**
 * A backups folder inside a git repository that git does not ignore is one
 * `git add .` away from publishing the database. After a backup, the
 * extension asks git once per folder and, if the folder is not ignored,
 * offers to add it to the repository's .gitignore. git runs with an argv
 * array, never through a shell, and only in a trusted workspace.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export type GitIgnoreState = { kind: 'no-repository' } | { kind: 'ignored' } | { kind: 'not-ignored'; repositoryRoot: string } | { kind: 'unknown'; reason: string };

interface GitResult {
  exitCode: number;
  stdout: string;
}

function git(args: readonly string[], cwd: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, windowsHide: true, timeout: 10_000, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }, (error, stdout) => {
      if (error && typeof error.code !== 'number') {
        reject(error instanceof Error ? error : new Error('git could not be run'));
        return;
      }
      resolve({ exitCode: error ? Number(error.code) : 0, stdout: String(stdout) });
    });
  });
}

/** Asks git about an existing backups folder. */
export async function gitIgnoreState(backupsFolder: string): Promise<GitIgnoreState> {
  try {
    const root = await git(['rev-parse', '--show-toplevel'], backupsFolder);
    if (root.exitCode !== 0) return { kind: 'no-repository' };
    const repositoryRoot = root.stdout.trim();
    // The trailing slash asks about the folder as a folder (a `backups/` pattern).
    const check = await git(['check-ignore', '-q', '--', `${backupsFolder}${path.sep}`], backupsFolder);
    if (check.exitCode === 0) return { kind: 'ignored' };
    if (check.exitCode === 1) return { kind: 'not-ignored', repositoryRoot };
    return { kind: 'unknown', reason: `git check-ignore exited with ${check.exitCode}` };
  } catch (error) {
    return { kind: 'unknown', reason: error instanceof Error ? error.message : String(error) };
  }
}

/** The .gitignore line for the folder: anchored at the repository root, as a folder. */
export function gitIgnoreLine(repositoryRoot: string, backupsFolder: string): string {
  const relative = path.relative(repositoryRoot, backupsFolder).split(path.sep).join('/');
  // Characters that mean something in a .gitignore pattern are escaped.
  const escaped = relative.replace(/[\\*?[\]!#]/g, (character) => `\\${character}`).replace(/^ | $/g, (space) => `\\${space}`);
  return `/${escaped}/`;
}

/** The .gitignore text with the line added at the end, unless it is already there. */
export function withGitIgnoreLine(existing: string, line: string): string {
  if (existing.split(/\r?\n/).some((candidate) => candidate.trim() === line)) return existing;
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  return `${existing}${separator}${line}\n`;
}

export async function addToGitIgnore(repositoryRoot: string, backupsFolder: string): Promise<string> {
  const file = path.join(repositoryRoot, '.gitignore');
  const existing = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const line = gitIgnoreLine(repositoryRoot, backupsFolder);
  const updated = withGitIgnoreLine(existing, line);
  if (updated !== existing) await writeFile(file, updated, 'utf8');
  return line;
}
