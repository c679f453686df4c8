import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPasswordFile } from '../../src/core/connection/passwordFile';
import { parseConnectionUrl, urlWithoutPassword } from '../../src/core/connection/target';
import { cliError } from '../../src/core/commandLineWords';

describe('a password in a file of its own', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-backup-password-file-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('is the first line, without its line ending, spaces and all', () => {
    const file = join(folder, 'one');
    writeFileSync(file, ' pass word \r\nsecond line\n', { mode: 0o600 });
    assert.equal(readPasswordFile(file), ' pass word ');
  });

  it('is refused, saying why in one line, when others may read it, when it is missing or empty', () => {
    const open = join(folder, 'open');
    writeFileSync(open, 'secret\n');
    chmodSync(open, 0o640);
    assert.throws(
      () => readPasswordFile(open, 'linux'),
      (error) => cliError(error) === `the password file ${open} can be read by other users: make it yours alone (chmod 600 ${open}) and run again`,
    );
    assert.equal(readPasswordFile(open, 'win32'), 'secret', 'Windows has no such mode bits');
    const missing = join(folder, 'missing');
    assert.throws(
      () => readPasswordFile(missing),
      (error) => cliError(error) === `the password file ${missing} does not exist: write the password into it (one line, chmod 600), or point --password-file elsewhere`,
    );
    const empty = join(folder, 'empty');
    writeFileSync(empty, '\nsecret\n', { mode: 0o600 });
    assert.throws(() => readPasswordFile(empty), /is empty/);
  });
});

describe('a target as a URL without its password', () => {
  it('keeps the host, port, user, database, sslmode and the other libpq parameters, never the password', () => {
    const target = parseConnectionUrl(
      'postgresql://app:s3cret@db.example:6543/plant?sslmode=verify-full&sslrootcert=/etc/ca%20file.crt&sslpassword=key%20secret&application_name=x',
    );
    assert.equal(urlWithoutPassword(target), 'postgresql://app@db.example:6543/plant?sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20file.crt&application_name=x');
    const { password, ...withoutPassword } = target;
    assert.equal(password, 's3cret');
    assert.deepEqual(parseConnectionUrl(urlWithoutPassword(target)), { ...withoutPassword, options: { sslrootcert: '/etc/ca file.crt', application_name: 'x' } });
    const socket = parseConnectionUrl('postgresql://app:pw@/plant?host=/var/run/postgresql&port=5433');
    assert.equal(urlWithoutPassword(socket), 'postgresql://app@/plant?host=%2Fvar%2Frun%2Fpostgresql&port=5433');
    assert.equal(parseConnectionUrl(urlWithoutPassword(socket)).port, 5433);
  });
});
