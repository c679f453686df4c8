/**
 * The age format (src/core/crypto): round trips of every size around the
 * 64 KiB chunk, the one-line errors of a wrong key and of a file cut short
 * or tampered with, files written by Debian's age 1.1.1 (known answers kept
 * here, so they run without the command), and both directions against the
 * real `age` command where it is installed.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AgeKeyring, ageDecrypter, ageEncrypter, unlockAgeFile, type AgeEncryptTo, type AgeKeys } from '../../src/core/crypto/age';
import { bech32Decode, bech32Encode } from '../../src/core/crypto/bech32';
import { generateIdentity, parseIdentity, parseIdentityFile, parseRecipient, parseRecipientsFile } from '../../src/core/crypto/keys';
import { cliError } from '../../src/core/commandLineWords';
import { PulseError } from '../../src/core/errors';
import { ageMissing, agePassphraseMissing, runAge, runAgeOnTerminal } from '../support/ageCli';
import { skipBecause } from '../support/skip';

/** A low work factor for the tests' own passphrase files: age's 18 costs about a second each (measured below). */
const FAST = 10;
const passphrase = (text: string) => () => Promise.resolve(text);
const toPassphrase = (text: string): AgeEncryptTo => ({ kind: 'passphrase', passphrase: passphrase(text), workFactor: FAST });

/** Feeds `data` in pieces of `piece` bytes, as a file or pipe would. */
function pieces(data: Buffer, piece: number): Readable {
  return Readable.from(
    (function* () {
      for (let start = 0; start < data.length; start += piece) yield data.subarray(start, start + piece);
    })(),
  );
}

async function collect(source: Readable, ...transforms: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  await (pipeline as (...streams: unknown[]) => Promise<void>)(source, ...transforms, sink);
  return Buffer.concat(parts);
}

const encrypt = (data: Buffer, to: AgeEncryptTo, piece = 10_000) => collect(pieces(data, piece), ageEncrypter(to));
const decrypt = (data: Buffer, keys: AgeKeys, piece = 7_777) => collect(pieces(data, piece), ageDecrypter(new AgeKeyring(keys), 'set.sql.age'));

async function rejection(promise: Promise<unknown>): Promise<PulseError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PulseError, `a PulseError, not ${String(error)}`);
    assert.ok(!cliError(error).includes('\n'), 'one line');
    return error;
  }
  assert.fail('expected an error');
}

const CHUNK = 64 * 1024;
/** The header and the 16-byte payload nonce of a file from ageEncrypter, for cutting and flipping bytes at known places. */
const payloadStart = (file: Buffer) => file.indexOf('\n', file.indexOf('\n--- ') + 1) + 1 + 16;

// Made with Debian's age 1.1.1: `age-keygen`, then `age -r RECIPIENT` and `age -p` (the passphrase typed twice).
const KNOWN_IDENTITY = 'AGE-SECRET-KEY-1XRAARUU65YG97ANFSN69FQN39NA8JVWECMMK58F6XN708AVC62HSJYVCEA';
const KNOWN_RECIPIENT = 'age1gz4kk5l0tpw9dpzmvtzpkvqzp6rkqw2r05jmqglj6v8jt5zs9gas4alsgh';
const KNOWN_X25519_FILE =
  'YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBuUGtUVHZBVjBqZ0hYM21kWnE2NEN6WThWbmxJRjhWVEhid2ZDZ0lXRkZBClJ2QmdxWDhDTUNFR2FaR0FrU1FHNGhZOVhrdnJLM1JwMk8vMDY0MU9QYW8KLS0tIDZMK1h0QXBRd0RmZzc5UXoxTy9uNURPRU4xTVFMdGVHaCtwOU1QUTduTjAKZnVLPhZJhOu0rkX/JDjE8NqWDkDaGDttxv1hLnRZYA3DNIzK7xyyLLDqyIV5ajnp9TX4OKnLVMAkLfsfrgToJyGG6bky6Hn6Yne7E0ZGjIB/SxVV2CiAN0pf8Q0=';
const KNOWN_SCRYPT_FILE =
  'YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHNjcnlwdCBseFNhMVlkdXgzSUZhVlRCaUJVak5BIDE4CjhEem9NN0EwNXRwdjNoUkhJWCtjNFN1VjFkSXl0YmpUeHRkcXF3VWlTVjAKLS0tIDFlZytvU1hTN2hoc0ZDa3lBR0dyZ1BOM1IvOGpJeUU4b21NT1l2Mi9SZDgKpXZSuzT/XP4rDU3qwMxrWqn/AgwGW6VjqJoF7MK5EyR4Yk0vrqjTvCCDQWVJCNIN7Pn/kt2s5hx9rueE0fcCVc1wLGbZhofWzZM3b7Q8';
const KNOWN_PASSPHRASE = 'correct horse battery staple';

describe('age keys', () => {
  it('reads an identity made by age-keygen and derives the public key age-keygen printed for it', () => {
    const identity = parseIdentity(KNOWN_IDENTITY);
    assert.equal(identity.recipient.text, KNOWN_RECIPIENT);
    assert.deepEqual(parseRecipient(KNOWN_RECIPIENT).publicKey, identity.recipient.publicKey);
  });

  it('writes keys in bech32 that read back, and refuses a changed character', () => {
    const { identity, text } = generateIdentity();
    assert.match(text, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    assert.deepEqual(parseIdentity(text).recipient.publicKey, identity.recipient.publicKey);
    assert.match(identity.recipient.text, /^age1[0-9a-z]{58}$/);
    const data = randomBytes(32);
    assert.deepEqual(bech32Decode(bech32Encode('age', data))?.data, data);
    const changed = KNOWN_RECIPIENT.slice(0, 10) + (KNOWN_RECIPIENT[10] === 'q' ? 'p' : 'q') + KNOWN_RECIPIENT.slice(11);
    assert.equal(bech32Decode(changed), undefined);
    assert.throws(
      () => parseRecipient(changed),
      (error: PulseError) => error.code === 'invalid-key' && /is not an age recipient/.test(error.message),
    );
  });

  it('reads recipients and identity files with comments and blank lines, naming the file but never a secret in an error', () => {
    const file = `# created: 2026-01-01\n# public key: ${KNOWN_RECIPIENT}\n\n${KNOWN_IDENTITY}\n`;
    assert.equal(parseIdentityFile(file, 'key.txt')[0].recipient.text, KNOWN_RECIPIENT);
    const other = generateIdentity().identity.recipient.text;
    assert.deepEqual(
      parseRecipientsFile(`${KNOWN_RECIPIENT}\n# the second\n${other}\r\n`, 'recipients.txt').map((recipient) => recipient.text),
      [KNOWN_RECIPIENT, other],
    );
    const mistyped = KNOWN_IDENTITY.slice(0, -1) + 'Q';
    const error = (() => {
      try {
        parseIdentityFile(`${mistyped}\n`, 'key.txt');
      } catch (thrown) {
        return thrown as PulseError;
      }
      return assert.fail('a mistyped identity is refused');
    })();
    assert.equal(error.code, 'invalid-key');
    assert.ok(cliError(error).includes('key.txt'));
    assert.ok(!cliError(error).includes(mistyped.slice(20, 40)), cliError(error));
    assert.throws(() => parseIdentityFile('# nothing here\n', 'key.txt'), /no age identity/);
    assert.throws(() => parseRecipientsFile(KNOWN_IDENTITY, 'recipients.txt'), /is an age identity \(a secret key\), not a recipient in recipients\.txt/);
  });

  // A passphrase file or an identity file given where the recipients go is an easy slip: the error said
  // '"my-very-secret-passphrase" is not an age recipient', and quoted 37 characters of a secret key.
  it('never repeats what it was given in a recipients error, unless it looks like a (public) recipient', () => {
    const message = (thrower: () => unknown): string => {
      try {
        thrower();
      } catch (thrown) {
        return cliError(thrown);
      }
      return assert.fail('refused');
    };
    const passphrase = 'my-very-secret-passphrase';
    for (const [given, words] of [
      [() => parseRecipientsFile(`${passphrase}\n`, 'pass.txt'), /^a line is not an age recipient \(age1…\) in pass\.txt/],
      [() => parseRecipient(passphrase), /^the recipient given is not an age recipient \(age1…\)/],
      [
        () => parseRecipientsFile(`# created: 2026-01-01\n${KNOWN_IDENTITY}\n`, 'key.txt'),
        /^a line is an age identity \(a secret key\), not a recipient in key\.txt: give its public key instead/,
      ],
      [() => parseRecipient(KNOWN_IDENTITY), /^the recipient given is an age identity \(a secret key\), not a recipient: /],
    ] as const) {
      const text = message(given);
      assert.match(text, words);
      assert.ok(!text.includes('secret-pass') && !text.includes(KNOWN_IDENTITY.slice(15, 30)), text);
    }
    // A mistyped recipient is public: it is quoted, so the slip can be seen.
    assert.match(
      message(() => parseRecipient('age1notquite')),
      /^"age1notquite" is not an age recipient/,
    );
  });
});

describe('age files', () => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 12_345]) {
    it(`a passphrase round trip of ${size} bytes gives them back, in ${size === 0 ? 1 : Math.ceil(size / CHUNK)} chunk(s)`, async () => {
      const data = randomBytes(size);
      const file = await encrypt(data, toPassphrase('s3cret'));
      assert.equal(file.length - payloadStart(file), Math.max(size, 0) + 16 * Math.max(1, Math.ceil(size / CHUNK)));
      assert.deepEqual(await decrypt(file, { passphrase: passphrase('s3cret') }), data);
      assert.deepEqual(await decrypt(file, { passphrase: passphrase('s3cret') }, 1), data, 'fed a byte at a time');
    });
  }

  it('a file for two recipients opens with either identity, and with neither a third one', async () => {
    const one = generateIdentity().identity;
    const two = generateIdentity().identity;
    const data = randomBytes(100_000);
    const file = await encrypt(data, { kind: 'recipients', recipients: [one.recipient, two.recipient] });
    assert.deepEqual(await decrypt(file, { identities: [one] }), data);
    assert.deepEqual(await decrypt(file, { identities: [generateIdentity().identity, two] }), data);
    const error = await rejection(decrypt(file, { identities: [generateIdentity().identity] }));
    assert.equal(error.code, 'wrong-key');
    assert.equal(cliError(error), 'the identity given does not decrypt set.sql.age: give the identity of one of its recipients: pass --identity-file FILE');
  });

  it('a wrong passphrase is one line, found from the header alone', async () => {
    const file = await encrypt(randomBytes(1000), toPassphrase('right'));
    const error = await rejection(decrypt(file, { passphrase: passphrase('wrong') }));
    assert.equal(error.code, 'wrong-key');
    assert.equal(
      cliError(error),
      'the passphrase does not decrypt set.sql.age: give the passphrase it was encrypted with: pass --passphrase-file FILE (or set PULSE_BACKUP_PASSPHRASE)',
    );
    const headerOnly = file.subarray(0, payloadStart(file) - 16);
    assert.equal((await rejection(decrypt(headerOnly, { passphrase: passphrase('wrong') }))).code, 'wrong-key');
  });

  it('asks for the kind of key the file needs, and asks for a passphrase once for many files', async () => {
    const byPassphrase = await encrypt(Buffer.from('a'), toPassphrase('pp'));
    const byKey = await encrypt(Buffer.from('b'), { kind: 'recipients', recipients: [generateIdentity().identity.recipient] });
    assert.match(cliError(await rejection(decrypt(byPassphrase, { identities: [generateIdentity().identity] }))), /^set\.sql\.age is encrypted with a passphrase: give it:/);
    assert.match(cliError(await rejection(decrypt(byKey, { passphrase: passphrase('pp') }))), /^set\.sql\.age is encrypted to age recipients: give a matching identity/);
    let asked = 0;
    const keyring = new AgeKeyring({
      passphrase: () => {
        asked++;
        return Promise.resolve('pp');
      },
    });
    const other = await encrypt(Buffer.from('c'), toPassphrase('pp'));
    assert.equal((await collect(pieces(byPassphrase, 100), ageDecrypter(keyring, 'a'))).toString(), 'a');
    assert.equal((await collect(pieces(other, 100), ageDecrypter(keyring, 'c'))).toString(), 'c');
    assert.equal(asked, 1);
  });

  it('a file cut short anywhere fails, at a chunk boundary too', async () => {
    const data = randomBytes(3 * CHUNK);
    const file = await encrypt(data, toPassphrase('pp'));
    const start = payloadStart(file);
    const cuts = {
      'in the header': 30,
      'before the MAC line ends': start - 20,
      'in the nonce': start - 5,
      'right after the nonce': start,
      'mid-chunk': start + 1000,
      'at a chunk boundary': start + CHUNK + 16,
      'at the last chunk boundary': start + 2 * (CHUNK + 16),
      'one byte short': file.length - 1,
    };
    for (const [where, length] of Object.entries(cuts)) {
      const error = await rejection(decrypt(file.subarray(0, length), { passphrase: passphrase('pp') }));
      assert.equal(error.code, 'stored-file-damaged', `cut ${where}: ${error.message}`);
      assert.match(error.message, /^set\.sql\.age is damaged or cut short: /, where);
    }
    const emptyFile = await rejection(decrypt(Buffer.alloc(0), { passphrase: passphrase('pp') }));
    assert.equal(emptyFile.code, 'stored-file-damaged');
  });

  it('a tampered byte in the payload or the MAC, or bytes added at the end, fail; the plaintext before the bad chunk is all that came out', async () => {
    const data = randomBytes(3 * CHUNK);
    const file = await encrypt(data, toPassphrase('pp'));
    const start = payloadStart(file);
    const flipped = (offset: number) => {
      const copy = Buffer.from(file);
      copy[offset] ^= 1;
      return copy;
    };
    for (const [where, damaged] of Object.entries({
      'first chunk': flipped(start + 10),
      'second chunk tag': flipped(start + 2 * (CHUNK + 16) - 1),
      'last chunk': flipped(file.length - 3),
      'payload nonce': flipped(start - 3),
      'header MAC': flipped(start - 16 - 10),
      'appended bytes': Buffer.concat([file, Buffer.from('x')]),
    })) {
      const error = await rejection(decrypt(damaged, { passphrase: passphrase('pp') }));
      assert.equal(error.code, 'stored-file-damaged', `${where}: ${error.message}`);
    }
    const out: Buffer[] = [];
    const broken = flipped(start + (CHUNK + 16) + 5);
    await assert.rejects(
      pipeline(
        pieces(broken, 4096),
        ageDecrypter(new AgeKeyring({ passphrase: passphrase('pp') }), 'f'),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            out.push(chunk);
            callback();
          },
        }),
      ),
      /damaged/,
    );
    assert.deepEqual(Buffer.concat(out), data.subarray(0, CHUNK), 'only the chunk before the tampered one');
  });

  it("a header against the spec's rules is refused: a short X25519 share, a passphrase beside another key, padded base64", async () => {
    const identity = generateIdentity().identity;
    const toKey = await encrypt(Buffer.from('x'), { kind: 'recipients', recipients: [identity.recipient] });
    const text = toKey.toString('latin1');
    const share = /-> X25519 (\S+)\n/.exec(text)![1];
    const shortShare = Buffer.from(text.replace(share, share.slice(0, 40)), 'latin1');
    assert.match((await rejection(decrypt(shortShare, { identities: [identity] }))).message, /its age header is not valid/);
    const byPassphrase = (await encrypt(Buffer.from('x'), toPassphrase('pp'))).toString('latin1');
    const mixed = Buffer.from(byPassphrase.replace('\n---', `\n-> X25519 ${share}\n${'A'.repeat(43)}\n---`), 'latin1');
    assert.match((await rejection(decrypt(mixed, { passphrase: passphrase('pp') }))).message, /mixes a passphrase with other keys/);
    const padded = Buffer.from(
      text.replace(/\n--- (\S+)\n/, (_line, mac: string) => `\n--- ${mac}=\n`),
      'latin1',
    );
    assert.match((await rejection(decrypt(padded, { identities: [identity] }))).message, /its age header is not valid/);
  });

  it('a plain file is not taken for an age file', async () => {
    const error = await rejection(decrypt(Buffer.from('-- PostgreSQL database dump\n'), { passphrase: passphrase('pp') }));
    assert.equal(cliError(error).split(':')[0], 'set.sql.age is damaged or cut short');
    assert.match(error.message, /does not start with an age header/);
  });

  it('unlockAgeFile proves the key from the header, and the next read of the file does not run scrypt again', async function () {
    const folder = mkdtempSync(join(tmpdir(), 'pulse-age-'));
    try {
      const path = join(folder, 'x.sql.age');
      writeFileSync(path, await encrypt(randomBytes(200_000), { kind: 'passphrase', passphrase: passphrase('pp'), workFactor: 16 }));
      await assert.rejects(unlockAgeFile(path, new AgeKeyring({ passphrase: passphrase('no') }), 'x.sql.age'), /the passphrase does not decrypt x\.sql\.age/);
      const keyring = new AgeKeyring({ passphrase: passphrase('pp') });
      let started = Date.now();
      await unlockAgeFile(path, keyring, 'x.sql.age');
      const first = Date.now() - started;
      started = Date.now();
      await collect(pieces(readFileSync(path), 65536), ageDecrypter(keyring, 'x.sql.age'));
      const second = Date.now() - started;
      assert.ok(second < first, `the second read (${second} ms) reuses the file key found by the first (${first} ms)`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('streams: 40 MB in 1 MB pieces through encrypt and decrypt, neither holding more than a piece and a chunk', async () => {
    const total = 40 * 1024 * 1024;
    const block = randomBytes(1024 * 1024);
    const source = Readable.from(
      (function* () {
        for (let sent = 0; sent < total; sent += block.length) yield block;
      })(),
    );
    const hashIn = createHash('sha256');
    for (let sent = 0; sent < total; sent += block.length) hashIn.update(block);
    const hashOut = createHash('sha256');
    const encrypter = ageEncrypter(toPassphrase('pp'));
    const decrypter = ageDecrypter(new AgeKeyring({ passphrase: passphrase('pp') }), 'big');
    let held = 0;
    await pipeline(
      source,
      encrypter,
      decrypter,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          hashOut.update(chunk);
          held = Math.max(held, encrypter.readableLength + encrypter.writableLength + decrypter.readableLength + decrypter.writableLength);
          callback();
        },
      }),
    );
    assert.equal(hashOut.digest('hex'), hashIn.digest('hex'));
    assert.ok(held < 3 * 1024 * 1024, `the streams held ${Math.round(held / 1024)} KB at most`);
  });
});

describe("age files from Debian's age 1.1.1 (known answers)", () => {
  it('decrypts a file age wrote to an X25519 recipient', async () => {
    const plain = await decrypt(Buffer.from(KNOWN_X25519_FILE, 'base64'), { identities: [parseIdentity(KNOWN_IDENTITY)] });
    assert.equal(plain.toString(), 'Pulse Backup known answer: age 1.1.1 wrote this for X25519.\n');
  });

  it("decrypts a file age wrote with a passphrase at age's work factor (18), and says what that costs", async () => {
    const started = process.hrtime.bigint();
    const plain = await decrypt(Buffer.from(KNOWN_SCRYPT_FILE, 'base64'), { passphrase: passphrase(KNOWN_PASSPHRASE) });
    const milliseconds = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(plain.toString(), 'Pulse Backup known answer: a passphrase file.\n');
    console.log(`      scrypt at work factor 18 (age's default): ${Math.round(milliseconds)} ms`);
  });
});

describe('age files and the age command', () => {
  let folder: string;
  before(() => (folder = mkdtempSync(join(tmpdir(), 'pulse-age-cli-'))));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('age decrypts what we encrypt to its recipient, and we decrypt what it encrypts to ours', async function () {
    const why = ageMissing();
    if (why) skipBecause(this, why);
    const keyFile = join(folder, 'key.txt');
    const { text } = generateIdentity();
    writeFileSync(keyFile, `# a test key\n${text}\n`);
    const data = randomBytes(2 * CHUNK + 99);
    const ours = await encrypt(data, { kind: 'recipients', recipients: [parseIdentity(text).recipient] });
    assert.deepEqual(runAge(['-d', '-i', keyFile], ours), data);
    const theirs = runAge(['-r', parseIdentity(text).recipient.text], data);
    assert.deepEqual(await decrypt(theirs, { identities: parseIdentityFile(readFileSync(keyFile, 'utf8'), 'key.txt') }), data);
    assert.throws(
      () =>
        runAge(
          ['-d', '-i', keyFile],
          (() => {
            const copy = Buffer.from(ours);
            copy[copy.length - 1] ^= 1;
            return copy;
          })(),
        ),
      /age -d/,
      'age too refuses a tampered file of ours',
    );
  });

  it("age decrypts what we encrypt with a passphrase at age's work factor, and we decrypt what it encrypts with one", async function () {
    const why = agePassphraseMissing();
    if (why) skipBecause(this, why);
    const data = randomBytes(CHUNK * 2);
    const oursPath = join(folder, 'ours.age');
    writeFileSync(oursPath, await encrypt(data, { kind: 'passphrase', passphrase: passphrase('pass word') }));
    const outPath = join(folder, 'ours.out');
    await runAgeOnTerminal(['-d', '-o', outPath, oursPath], 'pass word\n');
    assert.deepEqual(readFileSync(outPath), data);
    const plainPath = join(folder, 'plain.bin');
    writeFileSync(plainPath, data);
    const theirsPath = join(folder, 'theirs.age');
    await runAgeOnTerminal(['-p', '-o', theirsPath, plainPath], 'pass word\npass word\n');
    assert.match(readFileSync(theirsPath).toString('latin1', 0, 60), /-> scrypt \S+ 18\n/);
    assert.deepEqual(await decrypt(readFileSync(theirsPath), { passphrase: passphrase('pass word') }), data);
  });
});
