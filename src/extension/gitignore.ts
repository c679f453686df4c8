/**
 * A backups folder inside a git repository that git does not ignore is one
 * `git add .` away from publishing the database. After a backup, the
 * extension asks git once per folder and, if the folder is not ignored,
 * offers to add it to the repository's .gitignore. git runs only in a
 * trusted workspace.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { gitFacts, type GitFacts } from '../core/files/git';
import { listSets } from '../core/sets/listing';
import { setFileNames } from '../core/sets/naming';

/**
 * Asks git about an existing backups folder and its newest set, the same
 * question the report's security section asks (core/files/git.ts), so the
 * offer and the report never disagree.
 */
export async function gitIgnoreState(backupsFolder: string, env: NodeJS.ProcessEnv): Promise<GitFacts> {
  const newest = await listSets(backupsFolder)
    .then((sets) => sets[0])
    .catch(() => undefined);
  return gitFacts(backupsFolder, {
    env,
    setFiles: newest ? Object.values(setFileNames(newest.prefix, newest.timestamp)) : [],
    dumps: newest ? newest.files.map((file) => file.name) : [],
  });
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
