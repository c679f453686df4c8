/**
 * The psql command line that restores a set's files by hand, all or
 * nothing, into the database `$DATABASE` names: psql reads plain files
 * itself; a compressed set's files are decompressed by `gunzip -c` (or
 * `zstd -dc`) and an
 * encrypted set's decrypted by `age -d` on the way (never written to disk
 * in clear), and psql gets its COMMIT only once every file was read whole,
 * so a wrong passphrase or a damaged file leaves the database as it was.
 */
import { basename } from 'node:path';
import type { EncryptionRecord } from '../crypto/keySources';
import { shellCommand, type ShellWord } from '../shell';
import type { Manifest } from '../sets/manifest';
import { COMPRESSION_CODECS, codecsOfFileName, type CompressionCodec, type FileCodec } from '../sets/naming';
import type { RichText } from './types';

export const TARGET_VARIABLE = 'DATABASE';
/** The shell variable a restore by hand of a set encrypted to recipients reads the identity file from. */
export const IDENTITY_VARIABLE = 'AGE_IDENTITY_FILE';

export function psqlLoadCommand(paths: readonly string[], encryption: EncryptionRecord | undefined): string {
  const psql: ShellWord[] = ['psql', '-X', '-v', 'ON_ERROR_STOP=1'];
  const target: ShellWord[] = ['-d', { variable: TARGET_VARIABLE }];
  const plain = paths.every((path) => codecsOfFileName(basename(path)).length === 0);
  if (plain) return shellCommand([...psql, '--single-transaction', ...target, ...paths.flatMap((path): ShellWord[] => ['-f', path])]);
  const identity: ShellWord[] = encryption?.method === 'recipients' ? ['-i', { variable: IDENTITY_VARIABLE }] : [];
  // Each file read outermost codec first: `age -d FILE | gunzip -c` for a compressed, then encrypted one.
  const read = (path: string): string => {
    const codecs = [...codecsOfFileName(basename(path))].reverse();
    if (codecs.length === 0) return shellCommand(['cat', path]);
    return codecs
      .map((codec, index) => {
        const file: ShellWord[] = index === 0 ? [path] : [];
        return shellCommand([...DECODE_COMMANDS[codec], ...(codec === 'age' ? identity : []), ...file]);
      })
      .join(' | ');
  };
  return `{ echo 'BEGIN;'; ${paths.map(read).join(' && ')} && echo 'COMMIT;'; } | ${shellCommand([...psql, ...target])}`;
}

/** The command that reads a file stored through each codec to its standard output (age's identity added where needed). */
const DECODE_COMMANDS: Record<FileCodec, readonly string[]> = { gz: ['gunzip', '-c'], zst: ['zstd', '-dc'], age: ['age', '-d'] };

const COMPRESSION_NAMES: Record<CompressionCodec, string> = { gz: 'gzip', zst: 'zstd' };

/** How the psql commands of a compressed set read its files. */
export function compressionNotes(paths: readonly string[]): RichText[] {
  const codecs = new Set(paths.flatMap((path) => codecsOfFileName(basename(path))));
  const compression = COMPRESSION_CODECS.find((codec) => codecs.has(codec));
  if (compression === undefined) return [];
  return [
    [
      `The files are compressed with ${COMPRESSION_NAMES[compression]}: `,
      { code: DECODE_COMMANDS[compression].join(' ') },
      ' decompresses each on its way into psql; nothing decompressed is written to disk. psql gets ',
      { code: 'COMMIT;' },
      ' only once every file was read whole: a damaged or cut-short file leaves the database as it was.',
    ],
  ];
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
