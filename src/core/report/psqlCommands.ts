/**
 * The psql command line that restores a set's files by hand, all or
 * nothing, into the database `$DATABASE` names: psql reads plain files
 * itself; an encrypted set's files are decrypted by `age -d` on the way
 * (never written to disk in clear), and psql gets its COMMIT only once age
 * has decrypted every file whole, so a wrong passphrase or a damaged file
 * leaves the database as it was.
 */
import type { EncryptionRecord } from '../crypto/keySources';
import { shellCommand, type ShellWord } from '../shell';
import type { Manifest } from '../sets/manifest';
import type { RichText } from './types';

export const TARGET_VARIABLE = 'DATABASE';
/** The shell variable a restore by hand of a set encrypted to recipients reads the identity file from. */
export const IDENTITY_VARIABLE = 'AGE_IDENTITY_FILE';

export function psqlLoadCommand(paths: readonly string[], encryption: EncryptionRecord | undefined): string {
  const psql: ShellWord[] = ['psql', '-X', '-v', 'ON_ERROR_STOP=1'];
  const target: ShellWord[] = ['-d', { variable: TARGET_VARIABLE }];
  if (!encryption) return shellCommand([...psql, '--single-transaction', ...target, ...paths.flatMap((path): ShellWord[] => ['-f', path])]);
  const identity: ShellWord[] = encryption.method === 'recipients' ? ['-i', { variable: IDENTITY_VARIABLE }] : [];
  const decrypt = paths.map((path) => shellCommand(['age', '-d', ...identity, path])).join(' && ');
  return `{ echo 'BEGIN;'; ${decrypt} && echo 'COMMIT;'; } | ${shellCommand([...psql, ...target])}`;
}

/** How the psql commands of an encrypted set read its files. */
export function encryptionNotes(manifest: Manifest | undefined): RichText[] {
  const encryption = manifest?.encryption;
  if (!encryption) return [];
  return [
    [
      'The files are encrypted with age: ',
      { code: 'age -d' },
      encryption.method === 'passphrase'
        ? ' decrypts each on its way into psql and asks for the passphrase'
        : [' decrypts each on its way into psql with your identity file (', { code: `${IDENTITY_VARIABLE}=~/.age/key.txt` }, ', as age-keygen wrote it)'],
      '; nothing decrypted is written to disk. psql gets ',
      { code: 'COMMIT;' },
      ' only once age has decrypted every file whole: a wrong ',
      encryption.method === 'passphrase' ? 'passphrase' : 'key',
      ' or a damaged file leaves the database as it was. Install age from your package manager (',
      { code: 'apt install age' },
      ', ',
      { code: 'brew install age' },
      ').',
    ].flat(),
  ];
}
