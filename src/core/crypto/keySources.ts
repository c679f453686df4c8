/**
 * Where the keys of an encrypted set come from, in one order for every front
 * door: recipients (`age1…`, public) given as values or in a file; a
 * passphrase from a file, else the environment's PULSE_BACKUP_PASSPHRASE (or
 * the extension's secret storage, which passes it the same way), else asked
 * of a person where one can answer; identities from a file. A secret is
 * never taken from a command line, and nothing here writes one anywhere.
 */
import { readFile } from 'node:fs/promises';
import { PulseError } from '../errors';
import { hint, option, setOption } from '../hint';
import type { AgeEncryptTo, AgeKeys, SecretSource } from './age';
import { parseIdentityFile, parseRecipient, parseRecipientsFile } from './keys';

export interface KeySources {
  /** A file whose first line is the passphrase (--passphrase-file). */
  passphraseFile?: string;
  /** The passphrase itself, from the environment or secret storage (never from argv). */
  passphrase?: string;
  /** Asks a person; absent where nobody can answer. `encrypt`: a new passphrase, which the front door asks twice. */
  askPassphrase?: (purpose: 'encrypt' | 'decrypt') => Promise<string>;
  /** `age1…` public keys (--recipient). */
  recipients?: readonly string[];
  /** A file of `age1…` lines (--recipients-file). */
  recipientsFile?: string;
  /** A file of `AGE-SECRET-KEY-1…` lines, as age-keygen writes it (--identity-file). */
  identityFile?: string;
}

/** How an encrypted set was encrypted, as its manifest records it: never a secret. */
export type EncryptionRecord = { format: 'age'; method: 'passphrase' } | { format: 'age'; method: 'recipients'; recipients: string[] };

export interface Encryption {
  to: AgeEncryptTo;
  record: EncryptionRecord;
}

/**
 * What a new set is encrypted to: its recipients when any are given, else a
 * passphrase, resolved now (asked before pg_dump starts, never halfway).
 */
export async function encryptionFrom(sources: KeySources): Promise<Encryption> {
  const given = [...(sources.recipients ?? [])].map((text) => parseRecipient(text, undefined, 'a --recipient value'));
  if (sources.recipientsFile !== undefined) given.push(...parseRecipientsFile(await readKeyFile(sources.recipientsFile, 'recipients file'), sources.recipientsFile));
  if (given.length > 0) {
    if (sources.passphraseFile !== undefined) {
      throw new PulseError('usage', 'a set is encrypted either to recipients or with a passphrase, not both', {
        hint: hint`leave out ${option('passphrase')}, or the recipients`,
      });
    }
    const recipients = [...new Map(given.map((recipient) => [recipient.text, recipient])).values()];
    return { to: { kind: 'recipients', recipients }, record: { format: 'age', method: 'recipients', recipients: recipients.map((recipient) => recipient.text) } };
  }
  const passphrase = await passphraseOf(sources, 'encrypt');
  if (passphrase === undefined) {
    throw new PulseError('key-missing', 'encrypting needs a passphrase or age recipients', {
      hint: hint`${setOption('passphrase')}, or give ${option('recipient')}`,
    });
  }
  return { to: { kind: 'passphrase', passphrase: () => Promise.resolve(passphrase) }, record: { format: 'age', method: 'passphrase' } };
}

/** What may decrypt a set: the identities now (a file named is read at once), the passphrase only when a file asks for one. */
export async function decryptionKeysFrom(sources: KeySources): Promise<AgeKeys> {
  const identities = sources.identityFile === undefined ? undefined : parseIdentityFile(await readKeyFile(sources.identityFile, 'identity file'), sources.identityFile);
  const passphrase: SecretSource = async () => {
    const value = await passphraseOf(sources, 'decrypt');
    if (value === undefined) throw new PulseError('key-missing', 'the set is encrypted with a passphrase', { hint: hint`give it: ${setOption('passphrase')}` });
    return value;
  };
  return { passphrase, ...(identities ? { identities } : {}) };
}

async function passphraseOf(sources: KeySources, purpose: 'encrypt' | 'decrypt'): Promise<string | undefined> {
  let value: string | undefined;
  if (sources.passphraseFile !== undefined) value = firstLine(await readKeyFile(sources.passphraseFile, 'passphrase file'));
  else if (sources.passphrase !== undefined && sources.passphrase !== '') value = sources.passphrase;
  else if (sources.askPassphrase) value = await sources.askPassphrase(purpose);
  else return undefined;
  if (value === '') {
    throw new PulseError('key-missing', sources.passphraseFile === undefined ? 'the passphrase is empty' : `the passphrase file ${sources.passphraseFile} is empty`, {
      hint: 'an empty passphrase protects nothing: give a real one',
    });
  }
  if (purpose === 'encrypt') refuseUnrepeatable(value, sources);
  return value;
}

/**
 * A new set is never encrypted with a passphrase nobody could give back: a
 * line break (a secret file's last newline in the environment variable),
 * another control character (a tab is kept) or a byte-order mark (a file
 * saved by Notepad) cannot be typed at age's prompt, and a passphrase file
 * gives only its first line. Sets made before are still opened with what is
 * given, as it is.
 */
function refuseUnrepeatable(value: string, sources: KeySources): void {
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u0008\u000a-\u001f\u007f]/.exec(value);
  const mark = value.includes('\uFEFF');
  if (!control && !mark) return;
  const what = control ? (control[0] === '\n' || control[0] === '\r' ? 'a line break' : 'a control character') : 'a byte-order mark (as Notepad saves a file)';
  const source =
    sources.passphraseFile !== undefined
      ? `the passphrase file ${sources.passphraseFile}`
      : sources.passphrase !== undefined && sources.passphrase !== ''
        ? 'PULSE_BACKUP_PASSPHRASE'
        : 'the passphrase';
  throw new PulseError(
    'key-missing',
    `${source} holds ${what}: a set encrypted with it could be opened only by that exact value, never by typing the passphrase or a passphrase file`,
    {
      hint: "remove it from the passphrase (a secret file's trailing newline, a BOM) and run again; nothing was encrypted",
    },
  );
}

/** The first line, its line ending left out, as age's own passphrase prompt takes it. */
function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

async function readKeyFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String(code ?? error);
    throw new PulseError('key-missing', `cannot read the ${what} ${path}: ${why}`, { hint: 'check the path and its permissions' });
  }
}
