/**
 * A set's file through its codecs (src/core/codecs): written encrypted and
 * hashed as stored, read back as the SQL it holds with the stored bytes seen
 * on the way, a key proved from the header alone, the scanner that verify
 * uses on an encrypted file with and without its key, and the report's
 * words and psql commands for an encrypted set; the same through the real
 * zstd command (written, read back, damaged, stopped early).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSetFileWriter } from '../../src/core/codecs/encodedFileWriter';
import { isEncodedFile, readSetFile, unlockSetFiles } from '../../src/core/codecs/setFileReader';
import type { SetEncoding } from '../../src/core/codecs/codecs';
import { PulseError } from '../../src/core/errors';
import { compressionNotes, psqlLoadCommand } from '../../src/core/report/psqlCommands';
import { buildSecurity } from '../../src/core/report/security';
import { scanDumpFile } from '../../src/core/verify/dumpScan';

/** A passphrase at a low work factor: the tests' own, never the CLI's (age's 18 costs about a second each). */
const encoding: SetEncoding = {
  encryption: { to: { kind: 'passphrase', passphrase: () => Promise.resolve('pp'), workFactor: 10 }, record: { format: 'age', method: 'passphrase' } },
};
const keys = { passphrase: () => Promise.resolve('pp') };

const DUMP = [
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '-- Dumped from database version 15.8',
  '-- Dumped by pg_dump version 15.8',
  '',
  'SET statement_timeout = 0;',
  '',
  '--',
  '-- Name: t; Type: TABLE; Schema: public; Owner: app',
  '--',
  '',
  'CREATE TABLE public.t (id integer);',
  '',
  '--',
  '-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: app',
  '--',
  '',
  'COPY public.t (id) FROM stdin;',
  ...Array.from({ length: 30_000 }, (_, index) => String(index)),
  '\\.',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '',
].join('\n');

/** Writes SQL through a set file writer in pieces, as the splitter hands them over, reusing one buffer between flushes; then commits it. */
async function writeInPieces(writer: Awaited<ReturnType<typeof createSetFileWriter>>, sql: string, pieceBytes: number): Promise<void> {
  const buffer = Buffer.alloc(pieceBytes);
  const dump = Buffer.from(sql);
  for (let start = 0; start < dump.length; start += pieceBytes) {
    const piece = dump.subarray(start, start + pieceBytes);
    piece.copy(buffer);
    writer.write([buffer.subarray(0, piece.length)]);
    await writer.flush();
    buffer.fill(0);
  }
  await writer.finish();
  await writer.commit();
}

async function readAll(path: string, options: Parameters<typeof readSetFile>[1] = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of readSetFile(path, options)) parts.push(chunk);
  return Buffer.concat(parts);
}

describe("a set's files through their codecs", () => {
  let folder: string;
  let path: string;
  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-codecs-'));
    path = join(folder, 'shop_complete_backup_20250901_120000.sql.age');
    const writer = await createSetFileWriter(path, ['age'], encoding);
    await writeInPieces(writer, DUMP, 1000);
    assert.equal(writer.bytes, readFileSync(path).length);
    assert.equal(writer.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('writes the file encrypted, hashed as stored, nothing hidden left behind', () => {
    assert.deepEqual(
      readdirSync(folder).filter((name) => name.includes('backup')),
      ['shop_complete_backup_20250901_120000.sql.age'],
    );
    assert.deepEqual(
      readdirSync(folder).filter((name) => name.startsWith('.')),
      [],
    );
    assert.equal(isEncodedFile(path), true);
    const stored = readFileSync(path);
    assert.equal(stored.toString('latin1', 0, 22), 'age-encryption.org/v1\n');
    assert.ok(!stored.includes('PostgreSQL database dump'));
  });

  it('reads back the SQL it holds, showing every stored byte on the way', async () => {
    const seen = createHash('sha256');
    let storedBytes = 0;
    const plain = await readAll(path, {
      keys,
      onStored: (chunk) => {
        seen.update(chunk);
        storedBytes += chunk.length;
      },
    });
    assert.equal(plain.toString(), DUMP);
    assert.equal(storedBytes, readFileSync(path).length);
    assert.equal(seen.digest('hex'), createHash('sha256').update(readFileSync(path)).digest('hex'));
  });

  it('reads a plain file as it is', async () => {
    const plainFolder = mkdtempSync(join(folder, 'plain-'));
    const file = join(plainFolder, 'shop_schema_backup_20250901_120000.sql');
    writeFileSync(file, DUMP);
    assert.equal(isEncodedFile(file), false);
    assert.equal((await readAll(file)).toString(), DUMP);
    await unlockSetFiles([file], undefined);
  });

  it('proves the key from the header alone; a wrong one is one line, and so is no key', async () => {
    await unlockSetFiles([path], keys);
    await assert.rejects(unlockSetFiles([path], { passphrase: () => Promise.resolve('nope') }), (error: PulseError) => error.code === 'wrong-key');
    await assert.rejects(readAll(path), (error: PulseError) => error.code === 'key-missing' && /is encrypted with a passphrase/.test(error.message));
  });

  it("verify's scan: the SQL read with the key, only size and sha256 without it, and a damaged file's whole sha256 with what is wrong", async () => {
    const withKey = await scanDumpFile(path, { keys });
    assert.equal(withKey.notDecoded, undefined);
    assert.equal(withKey.hasHeader && withKey.hasFooter, true);
    assert.deepEqual(withKey.tableRows, [{ schema: 'public', name: 't', rows: 30_000 }]);
    assert.equal(withKey.bytes, readFileSync(path).length);
    const withoutKey = await scanDumpFile(path);
    assert.equal(withoutKey.notDecoded, 'no-key');
    assert.equal(withoutKey.sha256, withKey.sha256);
    const damaged = join(mkdtempSync(join(folder, 'damaged-')), 'shop_data_backup_20250901_120000.sql.age');
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(damaged, bytes);
    await unlockSetFiles([damaged], keys, { damagedIsAFinding: true });
    const scan = await scanDumpFile(damaged, { keys });
    assert.match(scan.notDecoded ?? '', /^shop_data_backup_20250901_120000\.sql\.age is damaged or cut short: /);
    assert.equal(scan.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(scan.bytes, bytes.length);
  });
});

describe("a set's files through the zstd command", () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-zstd-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  async function writeZstd(name: string, codecs: ('zst' | 'age')[], setEncoding: SetEncoding, sql = DUMP): Promise<{ path: string; sha256: string; bytes: number }> {
    const path = join(folder, name);
    const writer = await createSetFileWriter(path, codecs, setEncoding);
    await writeInPieces(writer, sql, 4096);
    return { path, sha256: writer.sha256, bytes: writer.bytes };
  }

  it('writes a zstd frame hashed as stored, and reads it back as the SQL it holds, alone and under age', async () => {
    const zstd = { compression: { method: 'zstd' as const } };
    const written = await writeZstd('shop_complete_backup_20250901_120000.sql.zst', ['zst'], zstd);
    const stored = readFileSync(written.path);
    assert.equal(stored.subarray(0, 4).toString('hex'), '28b52ffd', "zstd's magic number");
    assert.ok(stored.length < DUMP.length / 2, `${stored.length} bytes`);
    assert.equal(written.sha256, createHash('sha256').update(stored).digest('hex'));
    assert.equal((await readAll(written.path)).toString(), DUMP);
    const both = await writeZstd('shop_complete_backup_20250901_120001.sql.zst.age', ['zst', 'age'], { ...zstd, ...encoding });
    assert.equal(readFileSync(both.path).toString('latin1', 0, 22), 'age-encryption.org/v1\n');
    assert.equal((await readAll(both.path, { keys })).toString(), DUMP);
  });

  it('a file that is not zstd, or is cut short, is stored-file-damaged in one line', async () => {
    const notZstd = join(folder, 'shop_data_backup_20250901_120000.sql.zst');
    writeFileSync(notZstd, 'plain words, not a zstd frame');
    const invalid = (await readAll(notZstd).catch((error: unknown) => error)) as PulseError;
    assert.equal(invalid.code, 'stored-file-damaged');
    assert.match(invalid.message, /^shop_data_backup_20250901_120000\.sql\.zst is damaged or cut short: its zstd stream is not valid \(/);
    const written = await writeZstd('shop_schema_backup_20250901_120000.sql.zst', ['zst'], { compression: { method: 'zstd' } });
    writeFileSync(written.path, readFileSync(written.path).subarray(0, Math.floor(written.bytes / 2)));
    const cut = (await readAll(written.path).catch((error: unknown) => error)) as PulseError;
    assert.equal(cut.code, 'stored-file-damaged');
    assert.equal(cut.message, 'shop_schema_backup_20250901_120000.sql.zst is damaged or cut short: it ends in the middle of its zstd stream');
    assert.doesNotMatch(cut.message, /\n/);
  });

  it('without zstd on PATH, unlocking a .zst or a .zst.age file says which file needs it, before anything is read', async () => {
    const both = await writeZstd('shop_data_backup_20250901_120003.sql.zst.age', ['zst', 'age'], { compression: { method: 'zstd' }, ...encoding });
    const path = process.env.PATH;
    process.env.PATH = folder;
    try {
      const refused = (await unlockSetFiles([both.path], keys).catch((error: unknown) => error)) as PulseError;
      assert.equal(refused.code, 'tools-not-found');
      assert.equal(refused.message, 'shop_data_backup_20250901_120003.sql.zst.age is compressed with zstd, which is not installed');
    } finally {
      process.env.PATH = path;
    }
    await unlockSetFiles([both.path], keys);
  });

  // A pipe passes no error on: age, after a zstd that was killed, never ended, and a backup
  // --compress zstd --encrypt waited for ever in its last step (the CLI, its event loop then
  // empty, exited 0 with no set and no word, the folder's lock left behind).
  it('a zstd killed while the file finishes under age fails the finish in one line, rather than waiting for ever', async function () {
    this.timeout(15000);
    const path = join(folder, 'shop_schema_backup_20250901_120004.sql.zst.age');
    const writer = await createSetFileWriter(path, ['zst', 'age'], { compression: { method: 'zstd' }, ...encoding });
    writer.write([Buffer.from(DUMP)]);
    await writer.flush();
    const compressing = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((line) => /zstd -1 -c/.test(line))
      .map((line) => Number.parseInt(line, 10));
    assert.equal(compressing.length, 1, 'one zstd compresses the file');
    const [zstd] = compressing;
    // Stopped, it holds the finish at its last step (age waiting for the end of zstd's output); killed there, it never gives one.
    process.kill(zstd, 'SIGSTOP');
    const finishing = writer.finish().then(
      () => 'finished',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(zstd, 'SIGKILL');
    const outcome = await Promise.race([finishing, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000))]);
    assert.equal(outcome, 'zstd could not compress the file: killed by SIGKILL');
    await writer.discard();
    assert.deepEqual(
      readdirSync(folder).filter((name) => name.includes('120004')),
      [],
      'nothing left behind',
    );
  });

  it('a reader that stops early ends the zstd child', async () => {
    // Far more SQL than the pipes between here and zstd hold: a zstd left running would wait on its stdout for ever.
    const written = await writeZstd('shop_complete_backup_20250901_120002.sql.zst', ['zst'], { compression: { method: 'zstd' } }, DUMP.repeat(40));
    for await (const chunk of readSetFile(written.path)) {
      assert.ok(chunk.length > 0);
      break;
    }
    const decompressing = () =>
      spawnSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((line) => /zstd -d/.test(line));
    for (let waited = 0; decompressing().length > 0 && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(decompressing(), []);
  });
});

describe('the report of an encrypted set', () => {
  it('restores by hand through age -d, sending COMMIT only when every file decrypted', () => {
    const [schema, data, complete] = ['schema', 'data', 'complete'].map((type) => `/b/shop_${type}_backup_20250901_120000.sql`);
    assert.equal(
      psqlLoadCommand([`${schema}.age`, `${data}.age`], { format: 'age', method: 'passphrase' }),
      `{ echo 'BEGIN;'; age -d ${schema}.age && age -d ${data}.age && echo 'COMMIT;'; } | psql -X -v ON_ERROR_STOP=1 -d "$DATABASE"`,
    );
    assert.equal(
      psqlLoadCommand([`${complete}.age`], { format: 'age', method: 'recipients', recipients: ['age1x'] }),
      `{ echo 'BEGIN;'; age -d -i "$AGE_IDENTITY_FILE" ${complete}.age && echo 'COMMIT;'; } | psql -X -v ON_ERROR_STOP=1 -d "$DATABASE"`,
    );
    assert.equal(psqlLoadCommand([complete], undefined), `psql -X -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE" -f ${complete}`);
  });

  it('restores a compressed set by hand through gunzip -c, after age -d when it is encrypted too', () => {
    const [schema, data] = ['schema', 'data'].map((type) => `/b/shop_${type}_backup_20250901_120000.sql`);
    assert.equal(
      psqlLoadCommand([`${schema}.gz`, `${data}.gz`], undefined),
      `{ echo 'BEGIN;'; gunzip -c ${schema}.gz && gunzip -c ${data}.gz && echo 'COMMIT;'; } | psql -X -v ON_ERROR_STOP=1 -d "$DATABASE"`,
    );
    assert.equal(
      psqlLoadCommand([`${data}.gz.age`], { format: 'age', method: 'recipients', recipients: ['age1x'] }),
      `{ echo 'BEGIN;'; age -d -i "$AGE_IDENTITY_FILE" ${data}.gz.age | gunzip -c && echo 'COMMIT;'; } | psql -X -v ON_ERROR_STOP=1 -d "$DATABASE"`,
    );
    assert.deepEqual(compressionNotes([`${data}.age`]), []);
    assert.match(
      compressionNotes([`${data}.gz`])
        .flat()
        .map((part) => (typeof part === 'string' ? part : part.code))
        .join(''),
      /^The files are compressed with gzip: gunzip -c decompresses each/,
    );
  });

  it('restores a zstd set by hand through zstd -dc, after age -d when it is encrypted too', () => {
    const [schema, data] = ['schema', 'data'].map((type) => `/b/shop_${type}_backup_20250901_120000.sql`);
    assert.equal(
      psqlLoadCommand([`${schema}.zst`, `${data}.zst`], undefined),
      `{ echo 'BEGIN;'; zstd -dc ${schema}.zst && zstd -dc ${data}.zst && echo 'COMMIT;'; } | psql -X -v ON_ERROR_STOP=1 -d "$DATABASE"`,
    );
    assert.equal(
      psqlLoadCommand([`${data}.zst.age`], { format: 'age', method: 'passphrase' }),
      `{ echo 'BEGIN;'; age -d ${data}.zst.age | zstd -dc && echo 'COMMIT;'; } | psql -X -v ON_ERROR_STOP=1 -d "$DATABASE"`,
    );
    assert.match(
      compressionNotes([`${data}.zst.age`])
        .flat()
        .map((part) => (typeof part === 'string' ? part : part.code))
        .join(''),
      /^The files are compressed with zstd: zstd -dc decompresses each/,
    );
  });

  it('says "Encryption: age (passphrase)" or names the recipients, and "not encrypted" for plain files', () => {
    const git = { state: 'not-in-repository' as const, repositoryRoot: null, trackedFiles: [] };
    const permissions = { folder: null, files: [] };
    const byPassphrase = buildSecurity('/b', [], git, permissions, { format: 'age', method: 'passphrase' }).encryption;
    assert.equal(byPassphrase.encrypted, true);
    assert.equal(byPassphrase.method, 'age (passphrase)');
    assert.match(byPassphrase.summary, /^Encryption: age \(passphrase\)\. /);
    const toRecipients = buildSecurity('/b', [], git, permissions, { format: 'age', method: 'recipients', recipients: ['age1one', 'age1two'] }).encryption;
    assert.match(toRecipients.summary, /^Encryption: age \(2 recipients\)\. The dump files are encrypted to age1one, age1two/);
    const plain = buildSecurity('/b', [], git, permissions).encryption;
    assert.equal(plain.encrypted, false);
    assert.match(plain.summary, /not encrypted/);
  });
});
