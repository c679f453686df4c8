/**
 * The age codec: a file encrypted with a passphrase or to X25519 recipients
 * (crypto/age.ts). The keyring of a run is kept per keys object, so the
 * checks before a restore and the restore itself share what they learned.
 */
import { AgeKeyring, ageDecrypter, readyAgeEncrypter, unlockAgeFile } from '../crypto/age';
import { PulseError } from '../errors';
import type { CodecImplementation, SetKeys } from './types';

const keyrings = new WeakMap<SetKeys, AgeKeyring>();

function keyringOf(keys: SetKeys): AgeKeyring {
  let keyring = keyrings.get(keys);
  if (!keyring) {
    keyring = new AgeKeyring(keys);
    keyrings.set(keys, keyring);
  }
  return keyring;
}

export const AGE_CODEC: CodecImplementation = {
  decoder: (fileName, keys) => ageDecrypter(keyringOf(keys), fileName),
  unlock: (path, fileName, keys) => unlockAgeFile(path, keyringOf(keys), fileName),
  markDamaged: (fileName, keys, error) => keyringOf(keys).markDamaged(fileName, error),
  encoder: async (encoding) => {
    const encryption = encoding.encryption;
    if (!encryption) throw new PulseError('internal', 'an age file needs its encryption');
    return readyAgeEncrypter(encryption.to);
  },
};
