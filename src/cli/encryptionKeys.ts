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

/** `unattended`: as a run with nobody to ask and no PULSE_BACKUP_PASSPHRASE has them (a scheduled one). */
export function keySources(flags: Flags, context: CliContext, { unattended = false } = {}): KeySources {
  const sources: KeySources = {
    ...(flags.passphraseFile !== undefined ? { passphraseFile: flags.passphraseFile } : {}),
    ...(context.passphrase !== undefined && !unattended ? { passphrase: context.passphrase } : {}),
    recipients: flags.recipients,
    ...(flags.recipientsFile !== undefined ? { recipientsFile: flags.recipientsFile } : {}),
    ...(flags.identityFile !== undefined ? { identityFile: flags.identityFile } : {}),
  };
  if (!unattended && context.stdin.isTTY && context.stderr.isTTY) sources.askPassphrase = (purpose) => askPassphrase(context, purpose);
  return sources;
}

async function askPassphrase(context: CliContext, purpose: 'encrypt' | 'decrypt'): Promise<string> {
  if (purpose === 'decrypt') return askHidden(context.stdin, context.stderr, 'Passphrase of the backup set: ', context.signal, 'passphrase');
  const first = await askHidden(context.stdin, context.stderr, 'Passphrase to encrypt the backup set: ', context.signal, 'passphrase');
  const again = await askHidden(context.stdin, context.stderr, 'The same passphrase again: ', context.signal, 'passphrase');
  if (first !== again) throw new PulseError('usage', 'the two passphrases differ', { hint: 'nothing was written: run it again' });
  return first;
}

/** What `backup --encrypt` encrypts to; undefined without --encrypt. */
export async function cliEncryption(flags: Flags, context: CliContext, { unattended = false } = {}): Promise<Encryption | undefined> {
  if (!flags.encrypt && (flags.recipients.length > 0 || flags.recipientsFile !== undefined)) {
    throw new PulseError('usage', `${flags.recipients.length > 0 ? '--recipient' : '--recipients-file'} says whom to encrypt to: it needs --encrypt`, {
      hint: 'add --encrypt, or leave it out for a plain set',
    });
  }
  return flags.encrypt ? encryptionFrom(keySources(flags, context, { unattended })) : undefined;
}

/** Reads the keys a backup with these flags reads, unattended: the passphrase file, the recipients, the identity file --prove decrypts with. */
export async function checkUnattendedKeys(flags: Flags, context: CliContext): Promise<void> {
  const encryption = await cliEncryption(flags, context, { unattended: true });
  if (flags.prove) await keysForNewSet(encryption, flags, context, { unattended: true });
  else if (flags.identityFile !== undefined) await decryptionKeysFrom(keySources(flags, context, { unattended: true }));
}

/**
 * What decrypts the set a backup is about to write (for --prove): its own
 * passphrase, or an identity given whose recipient it is encrypted to.
 * Read before the backup starts: a proof that can only fail is refused
 * before anything is written.
 */
export async function keysForNewSet(encryption: Encryption | undefined, flags: Flags, context: CliContext, { unattended = false } = {}): Promise<AgeKeys> {
  if (encryption?.to.kind === 'passphrase') return { passphrase: encryption.to.passphrase };
  const keys = await decryptionKeysFrom(keySources(flags, context, { unattended }));
  if (encryption?.record.method !== 'recipients') return keys;
  const recipients = encryption.record.recipients;
  if (flags.identityFile === undefined) {
    throw new PulseError('usage', '--prove restores the new set, which is encrypted to age recipients: it needs --identity-file FILE to decrypt it', {
      hint: 'give the identity (AGE-SECRET-KEY-1…) of one of the recipients, or leave --prove out and prove the set later where that identity is',
    });
  }
  if (!keys.identities?.some((identity) => recipients.includes(identity.recipient.text))) {
    throw new PulseError('usage', `none of the identities in ${flags.identityFile} belongs to a recipient the new set is encrypted to, so --prove could not decrypt it`, {
      hint: 'give the identity file of one of the --recipient keys (age-keygen -y FILE prints its recipient)',
    });
  }
  return keys;
}

/** What decrypts a set's files, asked for only when a file needs it. */
export function cliDecryptionKeys(flags: Flags, context: CliContext): Promise<AgeKeys> {
  return decryptionKeysFrom(keySources(flags, context));
}

/** The keys given without asking (a summary reads an encrypted file's top only when they are). */
export async function cliDecryptionKeysIfGiven(flags: Flags, context: CliContext): Promise<AgeKeys | undefined> {
  if (flags.passphraseFile === undefined && flags.identityFile === undefined && context.passphrase === undefined) return undefined;
  const sources = keySources(flags, context);
  delete sources.askPassphrase;
  return decryptionKeysFrom(sources);
}
