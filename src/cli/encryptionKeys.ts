/**
 * The keys of an encrypted set on the command line: --recipient and
 * --recipients-file, --passphrase-file, PULSE_BACKUP_PASSPHRASE (taken out
 * of the environment when the CLI starts, so no tool it runs inherits it),
 * and on a terminal the passphrase asked as a password is (a new one twice).
 */
import { decryptionKeysFrom, encryptionFrom, type Encryption, type KeySources } from '../core/crypto/keySources';
import type { AgeKeys } from '../core/crypto/age';
import { PulseError } from '../core/errors';
import type { Flags } from './args';
import type { CliContext } from './command';
import { askHidden } from './passwordPrompt';

export function keySources(flags: Flags, context: CliContext): KeySources {
  const sources: KeySources = {
    ...(flags.passphraseFile !== undefined ? { passphraseFile: flags.passphraseFile } : {}),
    ...(context.passphrase !== undefined ? { passphrase: context.passphrase } : {}),
    recipients: flags.recipients,
    ...(flags.recipientsFile !== undefined ? { recipientsFile: flags.recipientsFile } : {}),
    ...(flags.identityFile !== undefined ? { identityFile: flags.identityFile } : {}),
  };
  if (context.stdin.isTTY && context.stderr.isTTY) sources.askPassphrase = (purpose) => askPassphrase(context, purpose);
  return sources;
}

async function askPassphrase(context: CliContext, purpose: 'encrypt' | 'decrypt'): Promise<string> {
  if (purpose === 'decrypt') return askHidden(context.stdin, context.stderr, 'Passphrase of the backup set: ', context.signal);
  const first = await askHidden(context.stdin, context.stderr, 'Passphrase to encrypt the backup set: ', context.signal);
  const again = await askHidden(context.stdin, context.stderr, 'The same passphrase again: ', context.signal);
  if (first !== again) throw new PulseError('usage', 'the two passphrases differ', { hint: 'nothing was written: run it again' });
  return first;
}

/** What `backup --encrypt` encrypts to; undefined without --encrypt. */
export async function cliEncryption(flags: Flags, context: CliContext): Promise<Encryption | undefined> {
  return flags.encrypt ? encryptionFrom(keySources(flags, context)) : undefined;
}

/** What decrypts a set's files, asked for only when a file needs it. */
export function cliDecryptionKeys(flags: Flags, context: CliContext): Promise<AgeKeys> {
  return decryptionKeysFrom(keySources(flags, context));
}
