import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as ours from '../../src/core/connection/pgCrypto';

/** pg's own helpers (WebCrypto), which the bundles replace with ours: every output must be the same. */
const theirs = createRequire(__filename)('pg/lib/crypto/utils.js') as typeof ours;

const hex = (bytes: ArrayBuffer | Buffer) => Buffer.from(bytes as ArrayBuffer).toString('hex');

describe('pg login crypto on Node crypto', function () {
  const salt = Buffer.from('c2FsdHlzYWx0eXNhbHR5', 'base64');

  it('derives the SCRAM salted password exactly as pg does, for ASCII and non-ASCII passwords', async function () {
    for (const password of ['postgres', 'pässwörd-✓', '']) {
      assert.equal(hex(await ours.deriveKey(password, salt, 4096)), hex(await theirs.deriveKey(password, salt, 4096)), password);
    }
    // The RFC 7677 example: SaltedPassword for "pencil" with 4096 iterations.
    const rfcSalt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    assert.equal(hex(await ours.deriveKey('pencil', rfcSalt, 4096)), 'c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d');
  });

  it('computes the HMACs and hashes of the SCRAM exchange exactly as pg does', async function () {
    const key = await theirs.deriveKey('secret', salt, 4096);
    for (const message of ['Client Key', 'Server Key', 'n=*,r=abc,r=abcdef,s=c2FsdA==,i=4096,c=biws,r=abcdef']) {
      assert.equal(hex(await ours.hmacSha256(key, message)), hex(await theirs.hmacSha256(key, message)), message);
    }
    const clientKey = await theirs.hmacSha256(key, 'Client Key');
    assert.equal(hex(await ours.sha256(clientKey)), hex(await theirs.sha256(clientKey)));
    const certificate = Buffer.from('a certificate, for channel binding');
    assert.equal(hex(await ours.hashByName('SHA-256', certificate)), hex(await theirs.hashByName('SHA-256', certificate)));
    assert.equal(hex(await ours.hashByName('SHA-512', certificate)), hex(await theirs.hashByName('SHA-512', certificate)));
  });

  it('answers an MD5 password challenge exactly as pg does', async function () {
    const challenge = Buffer.from([1, 2, 3, 4]);
    assert.equal(await ours.postgresMd5PasswordHash('postgres', 'pässwörd', challenge), await theirs.postgresMd5PasswordHash('postgres', 'pässwörd', challenge));
    assert.equal(await ours.md5('abc'), await theirs.md5('abc'));
  });

  it('gives random bytes of the asked length that differ between calls', function () {
    const first = ours.randomBytes(18);
    assert.equal(first.length, 18);
    assert.notEqual(first.toString('hex'), ours.randomBytes(18).toString('hex'));
  });
});
