/**
 * The report's Security section: whether git could commit the backups (the
 * one git module, files/git.ts, that the extension's .gitignore offer asks
 * too), who may read the folder and its files and how to tighten that, and
 * the plain words on encryption and secrets.
 */
import { isAbsolute, join, relative } from 'node:path';
import { gitFacts, type GitFacts } from '../files/git';
import type { ListedSet } from '../sets/listing';
import { setFileNames } from '../sets/naming';
import { shellCommand } from '../shell';
import type { SetPermissions } from './files';
import type { GitState, ReportFile, ReportSecurity } from './types';
import type { EncryptionRecord } from '../crypto/keySources';

/** git's answer, or that git was not asked. */
export type ReportGitFacts = Omit<GitFacts, 'state'> & { state: GitState };

/** Whether the backups could end up in a commit: the same question the extension's .gitignore offer asks. */
export function inspectGit(folder: string, set: ListedSet, env: NodeJS.ProcessEnv): Promise<ReportGitFacts> {
  return gitFacts(folder, { env, setFiles: Object.values(setFileNames(set.prefix, set.timestamp)), dumps: set.files.map((file) => file.name) });
}

export function buildSecurity(folder: string, files: ReportFile[], git: ReportGitFacts, permissions: SetPermissions, encryption?: EncryptionRecord): ReportSecurity {
  const gitSection = ((): ReportSecurity['git'] => {
    const base = { state: git.state, repositoryRoot: git.repositoryRoot, trackedFiles: git.trackedFiles };
    switch (git.state) {
      case 'git-not-installed':
        return { ...base, summary: 'git is not installed here, so whether the folder is in a repository was not checked.', advice: null };
      case 'not-in-repository':
        return { ...base, summary: 'The folder is not inside a git repository.', advice: null };
      case 'ignored':
        return { ...base, summary: `The folder is inside the git repository ${git.repositoryRoot ?? ''}, and git ignores the backup files.`, advice: null };
      case 'not-ignored': {
        const location = git.repositoryRoot ? relative(git.repositoryRoot, folder) || '.' : folder;
        const pattern = location === '.' || isAbsolute(location) || location.startsWith('..') ? null : `/${location.split('\\').join('/')}/`;
        return {
          ...base,
          summary:
            git.trackedFiles.length > 0
              ? `The folder is inside the git repository ${git.repositoryRoot ?? ''}, and git already tracks ${git.trackedFiles.length} file${git.trackedFiles.length === 1 ? '' : 's'} of this set: the database's contents are in its history.`
              : `The folder is inside the git repository ${git.repositoryRoot ?? ''}, and git does not ignore it: the next "git add ." commits the whole database.`,
          advice: [
            ...(pattern
              ? ['Add ', { code: pattern }, " to the repository's ", { code: '.gitignore' }]
              : ['Move the backups folder out of the repository, or ignore the backup files in ', { code: '.gitignore' }]),
            ...(git.trackedFiles.length > 0
              ? ['; remove the committed files with ', { code: 'git rm --cached' }, ' (they stay in older commits until the history is rewritten).']
              : ['.']),
          ],
        };
      }
      case 'unknown':
        return { ...base, summary: `git could not say whether the folder is ignored${git.detail ? `: ${git.detail}` : ''}.`, advice: null };
      case 'not-checked':
        return { ...base, summary: 'Whether git ignores the folder was not checked: no programs run in an untrusted workspace.', advice: null };
    }
  })();

  const all = [...(permissions.folder ? [permissions.folder] : []), ...permissions.files];
  const exposed = all.filter((entry) => entry.readableByOthers).map((entry) => entry.name);
  const exposedFiles = permissions.files.filter((entry) => entry.readableByOthers).length;
  const groupOnly = all.filter((entry) => entry.readableByGroup && !entry.readableByOthers).map((entry) => entry.name);
  const folderListable = permissions.folder?.readableByOthers === true;
  let permissionSummary: string;
  if (permissions.folder === null && permissions.files.length === 0) {
    permissionSummary = 'File permissions were not checked (this platform has no Unix permission bits).';
  } else if (exposedFiles > 0) {
    permissionSummary =
      `${exposedFiles} of ${permissions.files.length} files of this set can be read by every user of this machine.` + (folderListable ? ' Everyone can list the folder, too.' : '');
  } else if (folderListable) {
    permissionSummary = 'The files are private to their owner, but every user of this machine can list the folder and see which backups exist.';
  } else if (groupOnly.length > 0) {
    permissionSummary = `Nothing is readable by every user; the owner's group can read ${groupOnly.length === 1 ? groupOnly[0] : `${groupOnly.length} of them`}.`;
  } else {
    permissionSummary = 'Only the owner can read the folder and the files.';
  }
  const looseFolder = permissions.folder !== null && (permissions.folder.readableByOthers || permissions.folder.readableByGroup);
  const looseFiles = permissions.files.filter((entry) => entry.readableByOthers || entry.readableByGroup).map((entry) => join(folder, entry.name));
  const fixes = [...(looseFolder ? [shellCommand(['chmod', '700', folder])] : []), ...(looseFiles.length > 0 ? [shellCommand(['chmod', '600', ...looseFiles])] : [])];
  const permissionFix = fixes.length > 0 ? fixes.join(' && ') : null;

  return {
    folder,
    git: gitSection,
    folderPermission: permissions.folder,
    permissions: permissions.files,
    readableByOthers: exposed,
    permissionSummary,
    permissionFix,
    encryption: encryption ? encryptedSection(encryption) : plainSection(folder, files),
    notes: [
      ['The dumps hold everything the database holds: user emails, password hashes, API tokens, personal data. Treat them like the production database.'],
      [
        'No database password is stored in the set: the manifest records host, port, user and database name only. Keep it that way: pass passwords through ',
        { code: 'PGPASSWORD' },
        ' or ',
        { code: '~/.pgpass' },
        ', not in scripts.',
      ],
    ],
  };
}

/** "Encryption: age (passphrase)": how the files are encrypted, and what keeps them so. */
function encryptedSection(encryption: EncryptionRecord): ReportSecurity['encryption'] {
  const method = encryption.method === 'passphrase' ? 'age (passphrase)' : `age (${encryption.recipients.length} recipient${encryption.recipients.length === 1 ? '' : 's'})`;
  return {
    encrypted: true,
    method,
    summary:
      encryption.method === 'passphrase'
        ? `Encryption: ${method}. The dump files are encrypted with a passphrase (….sql.age): without it nobody can read them, you included.`
        : `Encryption: ${method}. The dump files are encrypted to ${encryption.recipients.join(', ')} (….sql.age): only the holders of the matching identities can read them.`,
    advice: [
      encryption.method === 'passphrase'
        ? ['Keep the passphrase apart from the backups (a password manager): with it the files are as open as plain SQL, without it the set cannot be restored.']
        : ['Keep the identity files (AGE-SECRET-KEY-1…) apart from the backups: with one the files are as open as plain SQL, without all of them the set cannot be restored.'],
      ['The manifest, the history and the report are not encrypted: they name the tables and their row counts, never a row.'],
      ['Verify the set now and then with its key: that proves the key still opens every file.'],
    ],
  };
}

function plainSection(folder: string, files: ReportFile[]): ReportSecurity['encryption'] {
  return {
    encrypted: false,
    method: null,
    summary: 'The dump files are plain SQL, not encrypted: anyone who can read them can read every row of the database.',
    advice: [
      ['Keep the backups folder out of git and out of folders that sync to the cloud (Dropbox, iCloud, OneDrive, Google Drive).'],
      ['Use full-disk encryption on this machine (FileVault, BitLocker, LUKS).'],
      [
        'Encrypt the backups: ',
        { code: 'pulse-backup backup --encrypt' },
        ' writes every file in the age format, with a passphrase or to age recipients. A copy of a plain set that leaves the machine can be encrypted by hand, e.g. ',
        { code: `age -p -o COPY.age ${shellCommand([files.find((file) => file.kind === 'complete')?.path ?? join(folder, 'FILE')])}` },
        '; keep the passphrase somewhere else than the copy.',
      ],
    ],
  };
}
