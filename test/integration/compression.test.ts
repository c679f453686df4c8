/**
 * Compressed sets (`backup --compress gzip`) against a real server with the
 * real pg_dump and psql: `….sql.gz` files that gunzip reads, sizes and
 * sha256 of the bytes as stored and content digests as a plain set's, every
 * restore mode equal to the source, by hand with `gunzip -c | psql` as the
 * report prints it, verify and prove passing, a tampered and a cut-short
 * file failing verify, and compressed then encrypted (`….sql.gz.age`).
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Manifest } from '../../src/core/sets/manifest';
import type { RestoreResult } from '../../src/core/restore/types';
import type { VerificationReport } from '../../src/core/verify/results';
import type { ProofRecord } from '../../src/core/prove/record';
import type { BackupReport } from '../../src/core/report/types';
import { assertOneLineError, runCli, type CliOptions } from '../support/cli';
import { assertSameContent } from '../support/fingerprint';
import { backupSet, copySetFiles, failedChecks, fileSha256, listSets, restoreSet, useServer, useTempFolders } from '../support/integration';
import { loadSample, sampleCases } from '../samples';

describe('compressed sets (gzip)', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-gzip-');
  const factory = sampleCases().find((sample) => sample.name === 'factory')!;
  const source = 'gz_factory';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await loadSample(server, source, factory);
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'factory', ['--compress', 'gzip']);
  });

  it('backup --compress gzip writes the three files as ….sql.gz that gunzip reads, sized and hashed as stored, with the digests of a plain set', async function () {
    assert.deepEqual(
      readdirSync(folder)
        .filter((name) => !name.startsWith('.'))
        .sort(),
      [
        `factory_${manifest.timestamp}.manifest.json`,
        `factory_complete_backup_${manifest.timestamp}.sql.gz`,
        `factory_data_backup_${manifest.timestamp}.sql.gz`,
        `factory_schema_backup_${manifest.timestamp}.sql.gz`,
      ],
    );
    const plainFolder = newFolder();
    const plain = await backupSet(server, source, plainFolder, 'factory');
    for (const file of manifest.files) {
      const path = join(folder, file.name);
      const bytes = readFileSync(path);
      assert.equal(file.bytes, bytes.length, `${file.name}: the size as stored`);
      assert.equal(file.sha256, fileSha256(path), `${file.name}: the sha256 as stored`);
      const sql = gunzipSync(bytes);
      assert.match(sql.toString('utf8', 0, 200), /-- PostgreSQL database dump/, file.name);
      const plainFile = plain.files.find((candidate) => candidate.type === file.type)!;
      assert.ok(bytes.length < plainFile.bytes / 2, `${file.name}: ${bytes.length} bytes, the plain file ${plainFile.bytes}`);
    }
    assert.ok(manifest.digests && manifest.digests.tables.length > 0, 'content digests of the SQL inside');
    assert.deepEqual(manifest.digests.tables, plain.digests?.tables, 'the same content digests as a plain set of the same database');
  });

  it('lists as a complete set with its ….sql.gz files', async function () {
    const [set] = await listSets(folder);
    assert.equal(set.status, 'complete', set.problems.join('; '));
    assert.deepEqual(
      set.files.map((file) => file.name),
      manifest.files.map((file) => file.name),
    );
  });

  it('restores complete into an empty database equal to the source, row counts as recorded', async function () {
    await server.createDatabase('gz_complete');
    const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--db', server.url('gz_complete'), '--dir', folder, '--yes', '--json', '--no-safety-backup']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as RestoreResult).rowCountsMatch, true);
    await assertSameContent(server.url(source), server.url('gz_complete'));
  });

  it('restores schema then data into an empty database equal to the source', async function () {
    await server.createDatabase('gz_split');
    for (const mode of ['schema', 'data']) {
      const result = await restoreSet(server, manifest.id, folder, 'gz_split', mode, ['--no-safety-backup']);
      assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
    }
    await assertSameContent(server.url(source), server.url('gz_split'));
  });

  it('restores data --clean over a changed copy, after a safety backup, equal to the source', async function () {
    await server.createDatabase('gz_changed', { template: source });
    await server.query('gz_changed', 'DELETE FROM public.stock_movements WHERE id % 3 = 0');
    const result = await runCli(['restore', manifest.id, '--mode', 'data', '--clean', '--db', server.url('gz_changed'), '--dir', folder, '--yes', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok((JSON.parse(result.stdout) as RestoreResult).safetyBackup, 'a safety backup was taken');
    await assertSameContent(server.url(source), server.url('gz_changed'));
  });

  it('restores complete --clean over a changed copy equal to the source', async function () {
    await server.createDatabase('gz_changed_complete', { template: source });
    await server.query('gz_changed_complete', 'DELETE FROM public.stock_movements WHERE id % 2 = 1');
    const result = await runCli([
      'restore',
      manifest.id,
      '--mode',
      'complete',
      '--clean',
      '--db',
      server.url('gz_changed_complete'),
      '--dir',
      folder,
      '--yes',
      '--no-safety-backup',
    ]);
    assert.equal(result.code, 0, result.stderr);
    await assertSameContent(server.url(source), server.url('gz_changed_complete'));
  });

  it('restores by hand: gunzip -c FILE | psql, and the commands the report prints', async function () {
    const complete = manifest.files.find((file) => file.type === 'complete')!;
    const { execa } = await import('execa');
    const run = async (command: string, database: string) => {
      const target = new URL(server.url(database));
      target.password = '';
      const result = await execa('sh', ['-c', command], { env: { PATH: process.env.PATH, PGPASSWORD: server.password, DATABASE: target.href }, extendEnv: false, reject: false });
      assert.equal(result.exitCode, 0, String(result.stderr));
      assert.doesNotMatch(String(result.stderr), /ERROR/);
    };
    await server.createDatabase('gz_by_hand', { template: 'template0' });
    await run(`gunzip -c '${join(folder, complete.name)}' | psql -X -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE"`, 'gz_by_hand');
    await assertSameContent(server.url(source), server.url('gz_by_hand'));

    const summary = await runCli(['summary', manifest.id, '--dir', folder, '--format', 'json']);
    assert.equal(summary.code, 0, summary.stderr);
    const report = JSON.parse(summary.stdout) as BackupReport;
    const printed = report.restore.options.find((option) => option.mode === 'complete')!.psql[0].command;
    assert.match(printed, /^\{ echo 'BEGIN;'; gunzip -c \S+complete\S+\.sql\.gz && echo 'COMMIT;'; \} \| psql /);
    await server.createDatabase('gz_by_report', { template: 'template0' });
    await run(printed, 'gz_by_report');
    await assertSameContent(server.url(source), server.url('gz_by_report'));
    const split = report.restore.options.find((option) => option.mode === 'data')!.psql[1].command;
    assert.match(split, /gunzip -c \S+schema\S+ && gunzip -c \S+data\S+ && echo 'COMMIT;'/);
    await server.createDatabase('gz_by_report_split', { template: 'template0' });
    await run(split, 'gz_by_report_split');
    await assertSameContent(server.url(source), server.url('gz_by_report_split'));
  });

  it('verify passes every check, reading the files decompressed', async function () {
    const verify = await runCli(['verify', manifest.id, '--dir', folder, '--json']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.deepEqual([...failedChecks(verify.stdout)], []);
    const checks = (JSON.parse(verify.stdout) as VerificationReport).groups.flatMap((group) => group.checks);
    assert.match(checks.find((check) => check.id === 'content')!.detail, /rows of \d+ tables in the data and complete files, as recorded/);
  });

  it('prove proves it, both ways, loading the files decompressed', async function () {
    const prove = await runCli(['prove', manifest.id, '--db', server.url(source), '--dir', folder, '--json']);
    assert.equal(prove.code, 0, prove.stderr);
    assert.equal((JSON.parse(prove.stdout) as ProofRecord).outcome, 'proved');
  });

  it('diff reads the set decompressed: after known changes, exactly those', async function () {
    await server.createDatabase('gz_diff', { template: source });
    await server.query('gz_diff', 'DELETE FROM public.stock_movements WHERE id IN (SELECT id FROM public.stock_movements ORDER BY id LIMIT 2)');
    const result = await runCli(['diff', manifest.id, '--db', server.url('gz_diff'), '--dir', folder, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const diff = JSON.parse(result.stdout) as { tables: { schema: string; name: string; state: string; rows?: { removed: number } }[] };
    assert.deepEqual(
      diff.tables.filter((table) => table.state !== 'same').map((table) => `${table.schema}.${table.name}: ${table.state}, ${table.rows?.removed} removed`),
      ['public.stock_movements: changed, 2 removed'],
    );
  });

  it('a tampered .gz fails verify (checksum), and no restore loads it', async function () {
    const damaged = newFolder();
    copySetFiles(folder, damaged, manifest);
    const data = manifest.files.find((file) => file.type === 'data')!;
    const path = join(damaged, data.name);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)] ^= 0x20;
    writeFileSync(path, bytes);
    const verify = await runCli(['verify', manifest.id, '--dir', damaged, '--json']);
    assert.equal(verify.code, 1, verify.stderr);
    const failed = failedChecks(verify.stdout);
    assert.ok(failed.has('checksums'), [...failed.keys()].join(', '));
    assert.match(failed.get('checksums')!, new RegExp(data.name.replace(/\./g, '\\.')));
    await server.createDatabase('gz_tampered');
    const restore = await restoreSet(server, manifest.id, damaged, 'gz_tampered', 'data', ['--no-safety-backup']);
    assertOneLineError(restore);
    assert.equal((await server.query('gz_tampered', "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace"))[0].n, 0);
  });

  it('a cut-short .gz fails verify: its size, its checksum, and its gzip stream ending halfway', async function () {
    const damaged = newFolder();
    copySetFiles(folder, damaged, manifest);
    const complete = manifest.files.find((file) => file.type === 'complete')!;
    truncateSync(join(damaged, complete.name), Math.floor(complete.bytes / 2));
    const verify = await runCli(['verify', manifest.id, '--dir', damaged, '--json']);
    assert.equal(verify.code, 1, verify.stderr);
    const failed = failedChecks(verify.stdout);
    assert.ok(failed.has('checksums'), [...failed.keys()].join(', '));
    assert.match([...failed.values()].join('\n'), new RegExp(`${complete.name.replace(/\./g, '\\.')} is damaged or cut short: it ends in the middle of its gzip stream`));
  });

  describe('compressed, then encrypted', function () {
    const passphrase: CliOptions = { env: { PULSE_BACKUP_PASSPHRASE: 'gzip then age' } };
    let encryptedFolder: string;
    let set: Manifest;

    before(async function () {
      encryptedFolder = newFolder();
      set = await backupSet(server, source, encryptedFolder, 'factory', ['--compress', 'gzip', '--encrypt'], passphrase);
    });

    it('writes ….sql.gz.age files, no gzip or SQL in clear, and restores complete equal to the source', async function () {
      for (const file of set.files) {
        assert.match(file.name, /\.sql\.gz\.age$/);
        const bytes = readFileSync(join(encryptedFolder, file.name));
        assert.equal(bytes.toString('latin1', 0, 22), 'age-encryption.org/v1\n', file.name);
        assert.equal(file.sha256, fileSha256(join(encryptedFolder, file.name)));
      }
      await server.createDatabase('gz_age_complete');
      const result = await runCli(
        ['restore', set.id, '--mode', 'complete', '--db', server.url('gz_age_complete'), '--dir', encryptedFolder, '--yes', '--no-safety-backup'],
        passphrase,
      );
      assert.equal(result.code, 0, result.stderr);
      await assertSameContent(server.url(source), server.url('gz_age_complete'));
    });

    it("verifies with every check passing, and the report's psql command pipes age -d into gunzip -c", async function () {
      const verify = await runCli(['verify', set.id, '--dir', encryptedFolder, '--json'], passphrase);
      assert.equal(verify.code, 0, verify.stderr);
      assert.deepEqual([...failedChecks(verify.stdout)], []);
      const summary = await runCli(['summary', set.id, '--dir', encryptedFolder, '--format', 'json']);
      const report = JSON.parse(summary.stdout) as BackupReport;
      const command = report.restore.options.find((option) => option.mode === 'complete')!.psql[0].command;
      assert.match(command, /^\{ echo 'BEGIN;'; age -d \S+\.sql\.gz\.age \| gunzip -c && echo 'COMMIT;'; \} \| psql /);
    });
  });
});
