/**
 * Where an encrypted set's keys come from (src/core/crypto/keySources.ts):
 * recipients before a passphrase, a passphrase file before the environment
 * before a prompt, the passphrase asked only when a file needs it, and one
 * line for each key that is missing or unreadable.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliError } from '../../src/core/commandLineWords';
import { decryptionKeysFrom, encryptionFrom } from '../../src/core/crypto/keySources';
import { generateIdentity } from '../../src/core/crypto/keys';

describe('encryption keys', () => {
  let folder: string;
  before(() => (folder = mkdtempSync(join(tmpdir(), 'pulse-keys-'))));
  after(() => rmSync(folder, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(folder, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };

  it('encrypts to the recipients given, from the command line and a file, each once, and records only their public keys', async () => {
    const one = generateIdentity().identity.recipient.text;
    const two = generateIdentity().identity.recipient.text;
    const encryption = await encryptionFrom({ recipients: [one], recipientsFile: file('recipients.txt', `# team\n${two}\n${one}\n`), passphrase: 'from the environment' });
    assert.equal(encryption.to.kind, 'recipients');
    assert.deepEqual(encryption.record, { format: 'age', method: 'recipients', recipients: [one, two] });
  });

  it('takes the passphrase from its file (the first line), else the environment, else asks; the record holds no secret', async () => {
    const fromFile = await encryptionFrom({ passphraseFile: file('pass.txt', 'correct horse\r\nsecond line\n'), passphrase: 'env' });
    assert.equal(fromFile.to.kind === 'passphrase' && (await fromFile.to.passphrase()), 'correct horse');
    assert.deepEqual(fromFile.record, { format: 'age', method: 'passphrase' });
    assert.ok(!JSON.stringify(fromFile.record).includes('horse'));
    const fromEnvironment = await encryptionFrom({ passphrase: 'env', askPassphrase: () => assert.fail('not asked') });
    assert.equal(fromEnvironment.to.kind === 'passphrase' && (await fromEnvironment.to.passphrase()), 'env');
    const asked: string[] = [];
    const fromPrompt = await encryptionFrom({ askPassphrase: (purpose) => (asked.push(purpose), Promise.resolve('typed')) });
    assert.equal(fromPrompt.to.kind === 'passphrase' && (await fromPrompt.to.passphrase()), 'typed');
    assert.deepEqual(asked, ['encrypt']);
  });

  it('refuses no key, an empty passphrase, an unreadable file and both kinds at once, each in one line', async () => {
    await assert.rejects(encryptionFrom({}), (error: Error) =>
      /^encrypting needs a passphrase or age recipients: pass --passphrase-file FILE \(or set PULSE_BACKUP_PASSPHRASE\), or give --recipient$/.test(cliError(error)),
    );
    await assert.rejects(encryptionFrom({ passphraseFile: file('empty.txt', '\n') }), /the passphrase file .*empty\.txt is empty/);
    await assert.rejects(encryptionFrom({ passphraseFile: join(folder, 'nowhere.txt') }), /cannot read the passphrase file .*nowhere\.txt: it does not exist/);
    await assert.rejects(
      encryptionFrom({ recipients: [generateIdentity().identity.recipient.text], passphraseFile: file('p.txt', 'x') }),
      /either to recipients or with a passphrase, not both/,
    );
  });

  it('reads identities at once but asks for a passphrase only when a file needs one', async () => {
    const { identity, text } = generateIdentity();
    let asked = 0;
    const keys = await decryptionKeysFrom({ identityFile: file('key.txt', `${text}\n`), askPassphrase: () => (asked++, Promise.resolve('p')) });
    assert.equal(keys.identities?.[0].recipient.text, identity.recipient.text);
    assert.equal(asked, 0);
    assert.equal(await keys.passphrase?.(), 'p');
    assert.equal(asked, 1);
    const none = await decryptionKeysFrom({});
    await assert.rejects(none.passphrase!(), (error: Error) => /^the set is encrypted with a passphrase: give it: pass --passphrase-file FILE/.test(cliError(error)));
  });
});
