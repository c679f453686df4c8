/**
 * Compressed sets (`backup --compress gzip` and `--compress zstd`) against a
 * real server, the real pg_dump and psql, and the real `gunzip` and `zstd`
 * commands, each codec through the same cases: `….sql.gz` / `….sql.zst`
 * files that the codec's own command reads, sized and hashed as stored,
 * with the content digests of a plain set; every restore mode equal to the
 * source, by hand (`gunzip -c FILE | psql`, `zstd -dc FILE | psql`) and as
 * the report prints it; verify, prove and diff reading them; a tampered and
 * a cut-short file failing verify in one line and never loaded; compressed
 * then encrypted (`….sql.gz.age`, `….sql.zst.age`). And, for zstd, which is
 * a command of its own, a PATH without it: one line for the backup (nothing
 * written), a restore (nothing changed) and verify.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

interface Codec {
  method: 'gzip' | 'zstd';
  /** The files' ending: `.sql` and this. */
  extension: 'gz' | 'zst';
  /** The command the report prints to read a file, and what a person types. */
  command: string;
  /** What the codec's own command makes of a file: the real one, not our reader. */
  decompress(path: string): Buffer;
}

const CODECS: readonly Codec[] = [
  { method: 'gzip', extension: 'gz', command: 'gunzip -c', decompress: (path) => gunzipSync(readFileSync(path)) },
  { method: 'zstd', extension: 'zst', command: 'zstd -dc', decompress: zstdDecompress },
];

function zstdDecompress(path: string): Buffer {
  const result = spawnSync('zstd', ['-dc', path], { maxBuffer: 512 * 1024 * 1024 });
  assert.equal(result.status, 0, String(result.stderr));
  return result.stdout;
}

/** A file name as a pattern that matches it literally. */
function literally(name: string): RegExp {
  return new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

for (const codec of CODECS) {
  const suffix = `.sql.${codec.extension}`;
  /** A database name of this codec's own: the cases of both codecs share one server. */
  const db = (name: string) => `${codec.extension}_${name}`;

  describe(`compressed sets (${codec.method})`, function () {
    const server = useServer();
    const newFolder = useTempFolders(`pulse-backup-${codec.extension}-`);
    const factory = sampleCases().find((sample) => sample.name === 'factory')!;
    const source = db('factory');
    let folder: string;
    let manifest: Manifest;
    const fileOf = (type: 'schema' | 'data' | 'complete') => manifest.files.find((file) => file.type === type)!;

    before(async function () {
      await server.createDatabase(source);
      await loadSample(server, source, factory);
      folder = newFolder();
      manifest = await backupSet(server, source, folder, 'factory', ['--compress', codec.method]);
    });

    it(`backup --compress ${codec.method} writes the three files as ….sql.${codec.extension} that ${codec.command} reads, sized and hashed as stored, with the digests of a plain set`, async function () {
      assert.deepEqual(
        readdirSync(folder)
          .filter((name) => !name.startsWith('.'))
          .sort(),
        [
          `factory_${manifest.timestamp}.manifest.json`,
          `factory_complete_backup_${manifest.timestamp}${suffix}`,
          `factory_data_backup_${manifest.timestamp}${suffix}`,
          `factory_schema_backup_${manifest.timestamp}${suffix}`,
        ],
      );
      const plainFolder = newFolder();
      const plain = await backupSet(server, source, plainFolder, 'factory');
      for (const file of manifest.files) {
        const path = join(folder, file.name);
        const bytes = readFileSync(path);
        assert.equal(file.bytes, bytes.length, `${file.name}: the size as stored`);
        assert.equal(file.sha256, fileSha256(path), `${file.name}: the sha256 as stored`);
        // gzip's magic 1f 8b, zstd's frame magic 28 b5 2f fd.
        assert.equal(bytes.subarray(0, codec.method === 'gzip' ? 2 : 4).toString('hex'), codec.method === 'gzip' ? '1f8b' : '28b52ffd', file.name);
        const sql = codec.decompress(path);
        assert.match(sql.toString('utf8', 0, 200), /-- PostgreSQL database dump/, file.name);
        const plainFile = plain.files.find((candidate) => candidate.type === file.type)!;
        assert.ok(bytes.length < plainFile.bytes / 2, `${file.name}: ${bytes.length} bytes, the plain file ${plainFile.bytes}`);
      }
      assert.ok(manifest.digests && manifest.digests.tables.length > 0, 'content digests of the SQL inside');
      assert.deepEqual(manifest.digests.tables, plain.digests?.tables, 'the same content digests as a plain set of the same database');
    });

    it(`lists as a complete set with its ….sql.${codec.extension} files`, async function () {
      const [set] = await listSets(folder);
      assert.equal(set.status, 'complete', set.problems.join('; '));
      assert.deepEqual(
        set.files.map((file) => file.name),
        manifest.files.map((file) => file.name),
      );
    });

    it('restores complete into an empty database equal to the source, row counts as recorded', async function () {
      await server.createDatabase(db('complete'));
      const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--db', server.url(db('complete')), '--dir', folder, '--yes', '--json', '--no-safety-backup']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as RestoreResult).rowCountsMatch, true);
      await assertSameContent(server.url(source), server.url(db('complete')));
    });

    it('restores schema then data into an empty database equal to the source', async function () {
      await server.createDatabase(db('split'));
      for (const mode of ['schema', 'data']) {
        const result = await restoreSet(server, manifest.id, folder, db('split'), mode, ['--no-safety-backup']);
        assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
      }
      await assertSameContent(server.url(source), server.url(db('split')));
    });

    it('restores data --clean over a changed copy, after a safety backup, equal to the source', async function () {
      await server.createDatabase(db('changed'), { template: source });
      await server.query(db('changed'), 'DELETE FROM public.stock_movements WHERE id % 3 = 0');
      const result = await runCli(['restore', manifest.id, '--mode', 'data', '--clean', '--db', server.url(db('changed')), '--dir', folder, '--yes', '--json']);
      assert.equal(result.code, 0, result.stderr);
      assert.ok((JSON.parse(result.stdout) as RestoreResult).safetyBackup, 'a safety backup was taken');
      await assertSameContent(server.url(source), server.url(db('changed')));
    });

    it('restores complete --clean over a changed copy equal to the source', async function () {
      await server.createDatabase(db('changed_complete'), { template: source });
      await server.query(db('changed_complete'), 'DELETE FROM public.stock_movements WHERE id % 2 = 1');
      const result = await restoreSet(server, manifest.id, folder, db('changed_complete'), 'complete', ['--clean', '--no-safety-backup']);
      assert.equal(result.code, 0, result.stderr);
      await assertSameContent(server.url(source), server.url(db('changed_complete')));
    });

    it(`restores by hand: ${codec.command} FILE | psql, and the commands the report prints`, async function () {
      const { execa } = await import('execa');
      const run = async (command: string, database: string) => {
        const target = new URL(server.url(database));
        target.password = '';
        const result = await execa('sh', ['-c', command], { env: { PATH: process.env.PATH, PGPASSWORD: server.password, DATABASE: target.href }, extendEnv: false, reject: false });
        assert.equal(result.exitCode, 0, String(result.stderr));
        assert.doesNotMatch(String(result.stderr), /ERROR/);
      };
      await server.createDatabase(db('by_hand'), { template: 'template0' });
      await run(`${codec.command} '${join(folder, fileOf('complete').name)}' | psql -X -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE"`, db('by_hand'));
      await assertSameContent(server.url(source), server.url(db('by_hand')));

      const summary = await runCli(['summary', manifest.id, '--dir', folder, '--format', 'json']);
      assert.equal(summary.code, 0, summary.stderr);
      const report = JSON.parse(summary.stdout) as BackupReport;
      assert.match(JSON.stringify(report.restore.notes), new RegExp(`The files are compressed with ${codec.method}: `));
      const printed = report.restore.options.find((option) => option.mode === 'complete')!.psql[0].command;
      assert.match(printed, new RegExp(`^\\{ echo 'BEGIN;'; ${codec.command} \\S+complete\\S+\\.sql\\.${codec.extension} && echo 'COMMIT;'; \\} \\| psql `));
      await server.createDatabase(db('by_report'), { template: 'template0' });
      await run(printed, db('by_report'));
      await assertSameContent(server.url(source), server.url(db('by_report')));
      const split = report.restore.options.find((option) => option.mode === 'data')!.psql[1].command;
      assert.match(split, new RegExp(`${codec.command} \\S+schema\\S+ && ${codec.command} \\S+data\\S+ && echo 'COMMIT;'`));
      await server.createDatabase(db('by_report_split'), { template: 'template0' });
      await run(split, db('by_report_split'));
      await assertSameContent(server.url(source), server.url(db('by_report_split')));
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
      await server.createDatabase(db('diff'), { template: source });
      await server.query(db('diff'), 'DELETE FROM public.stock_movements WHERE id IN (SELECT id FROM public.stock_movements ORDER BY id LIMIT 2)');
      const result = await runCli(['diff', manifest.id, '--db', server.url(db('diff')), '--dir', folder, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const diff = JSON.parse(result.stdout) as { tables: { schema: string; name: string; state: string; rows?: { removed: number } }[] };
      assert.deepEqual(
        diff.tables.filter((table) => table.state !== 'same').map((table) => `${table.schema}.${table.name}: ${table.state}, ${table.rows?.removed} removed`),
        ['public.stock_movements: changed, 2 removed'],
      );
    });

    it(`a tampered .${codec.extension} fails verify (checksum), and no restore loads it`, async function () {
      const damaged = newFolder();
      copySetFiles(folder, damaged, manifest);
      const data = fileOf('data');
      const path = join(damaged, data.name);
      const bytes = readFileSync(path);
      bytes[Math.floor(bytes.length / 2)] ^= 0x20;
      writeFileSync(path, bytes);
      const verify = await runCli(['verify', manifest.id, '--dir', damaged, '--json']);
      assert.equal(verify.code, 1, verify.stderr);
      const failed = failedChecks(verify.stdout);
      assert.ok(failed.has('checksums'), [...failed.keys()].join(', '));
      assert.match(failed.get('checksums')!, literally(data.name));
      await server.createDatabase(db('tampered'));
      const restore = await restoreSet(server, manifest.id, damaged, db('tampered'), 'data', ['--no-safety-backup']);
      assertOneLineError(restore);
      assert.equal((await server.query(db('tampered'), "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace"))[0].n, 0);
    });

    // A missing file of a compressed or encrypted set was named as a plain ….sql, and that name taken for a
    // manifest that does not describe the set: "do not trust or restore the set until it is explained".
    it(`a missing .${codec.extension} is named as stored, and the manifest is not blamed for it`, async function () {
      const damaged = newFolder();
      copySetFiles(folder, damaged, manifest);
      const complete = fileOf('complete');
      rmSync(join(damaged, complete.name));
      const verify = await runCli(['verify', manifest.id, '--dir', damaged, '--json']);
      assert.equal(verify.code, 1, verify.stderr);
      const failed = failedChecks(verify.stdout);
      assert.equal(failed.get('files-present'), `${complete.name} is missing: the set cannot be restored as it is`);
      assert.ok(!failed.has('manifest'), failed.get('manifest'));
    });

    it(`a cut-short .${codec.extension} fails verify: its size, its checksum, and its ${codec.method} stream ending halfway, in one line`, async function () {
      const damaged = newFolder();
      copySetFiles(folder, damaged, manifest);
      const complete = fileOf('complete');
      truncateSync(join(damaged, complete.name), Math.floor(complete.bytes / 2));
      const verify = await runCli(['verify', manifest.id, '--dir', damaged, '--json']);
      assert.equal(verify.code, 1, verify.stderr);
      const failed = failedChecks(verify.stdout);
      assert.ok(failed.has('checksums'), [...failed.keys()].join(', '));
      const said = [...failed.values()].join('\n');
      assert.match(said, new RegExp(`${literally(complete.name).source} is damaged or cut short: it ends in the middle of its ${codec.method} stream`));
      // The words are ours, said once: nothing of the codec's own stderr, no stack.
      assert.doesNotMatch(said, /\/\*stdin\*|\n\s+at /);
    });

    it(`a cut-short .${codec.extension} is not restored: one line, nothing loaded`, async function () {
      const damaged = newFolder();
      copySetFiles(folder, damaged, manifest);
      const data = fileOf('data');
      truncateSync(join(damaged, data.name), Math.floor(data.bytes / 2));
      await server.createDatabase(db('cut'), { template: source });
      await server.query(db('cut'), 'TRUNCATE public.stock_movements');
      const restore = await restoreSet(server, manifest.id, damaged, db('cut'), 'data', ['--clean', '--no-safety-backup']);
      assertOneLineError(restore);
      assert.match(restore.stderr, new RegExp(`is damaged or cut short: it ends in the middle of its ${codec.method} stream`));
      assert.equal((await server.query(db('cut'), 'SELECT count(*)::int AS n FROM public.stock_movements'))[0].n, 0, 'the database is as it was');
    });

    describe('compressed, then encrypted', function () {
      const passphrase: CliOptions = { env: { PULSE_BACKUP_PASSPHRASE: `${codec.method} then age` } };
      let encryptedFolder: string;
      let set: Manifest;

      before(async function () {
        encryptedFolder = newFolder();
        set = await backupSet(server, source, encryptedFolder, 'factory', ['--compress', codec.method, '--encrypt'], passphrase);
      });

      it(`writes ….sql.${codec.extension}.age files, no compressed stream or SQL in clear, verifies, and restores complete equal to the source`, async function () {
        for (const file of set.files) {
          assert.match(file.name, new RegExp(`\\.sql\\.${codec.extension}\\.age$`));
          const bytes = readFileSync(join(encryptedFolder, file.name));
          assert.equal(bytes.toString('latin1', 0, 22), 'age-encryption.org/v1\n', file.name);
          assert.equal(file.sha256, fileSha256(join(encryptedFolder, file.name)));
        }
        const verify = await runCli(['verify', set.id, '--dir', encryptedFolder, '--json'], passphrase);
        assert.equal(verify.code, 0, verify.stderr);
        assert.deepEqual([...failedChecks(verify.stdout)], []);
        await server.createDatabase(db('age_complete'));
        const result = await runCli(
          ['restore', set.id, '--mode', 'complete', '--db', server.url(db('age_complete')), '--dir', encryptedFolder, '--yes', '--no-safety-backup'],
          passphrase,
        );
        assert.equal(result.code, 0, result.stderr);
        await assertSameContent(server.url(source), server.url(db('age_complete')));
      });

      it(`the report's psql command pipes age -d into ${codec.command}`, async function () {
        const summary = await runCli(['summary', set.id, '--dir', encryptedFolder, '--format', 'json']);
        assert.equal(summary.code, 0, summary.stderr);
        const command = (JSON.parse(summary.stdout) as BackupReport).restore.options.find((option) => option.mode === 'complete')!.psql[0].command;
        assert.match(command, new RegExp(`^\\{ echo 'BEGIN;'; age -d \\S+\\.sql\\.${codec.extension}\\.age \\| ${codec.command} && echo 'COMMIT;'; \\} \\| psql `));
      });
    });

    if (codec.method !== 'zstd') return;

    describe('where zstd is not installed', function () {
      /** A PATH of one folder holding pg_dump and psql (as the set's manifest found them) and nothing else: no zstd. */
      let noZstd: CliOptions;

      before(function () {
        const bin = join(newFolder(), 'bin');
        mkdirSync(bin);
        const tools = dirname(realpathSync(manifest.tools.pgDump.path));
        for (const tool of ['pg_dump', 'psql']) symlinkSync(join(tools, tool), join(bin, tool));
        noZstd = { env: { PATH: bin } };
        assert.equal(existsSync(join(bin, 'zstd')), false);
      });

      it('backup --compress zstd is one line before anything is written: no folder, no file', async function () {
        const target = join(newFolder(), 'backups');
        const result = await runCli(['backup', '--db', server.url(source), '--dir', target, '--prefix', 'factory', '--compress', 'zstd'], noZstd);
        assertOneLineError(result);
        assert.equal(result.stderr.trim(), 'pulse-backup: zstd is not installed: install the zstd package, or use --compress gzip');
        assert.equal(existsSync(target), false, 'nothing written');
        const existing = newFolder();
        const again = await runCli(['backup', '--db', server.url(source), '--dir', existing, '--prefix', 'factory', '--compress', 'zstd'], noZstd);
        assertOneLineError(again);
        assert.deepEqual(readdirSync(existing), [], 'nothing written in an existing folder either');
        const gzip = await runCli(['backup', '--db', server.url(source), '--dir', existing, '--prefix', 'factory', '--compress', 'gzip', '--json'], noZstd);
        assert.equal(gzip.code, 0, `gzip needs no command: ${gzip.stderr}`);
      });

      it('a restore of a .zst set is one line naming the file and what to install, and changes nothing', async function () {
        await server.createDatabase('zst_no_zstd', { template: source });
        await server.query('zst_no_zstd', 'TRUNCATE public.stock_movements');
        const restore = await runCli(
          ['restore', manifest.id, '--mode', 'data', '--clean', '--db', server.url('zst_no_zstd'), '--dir', folder, '--yes', '--no-safety-backup'],
          noZstd,
        );
        assertOneLineError(restore);
        // The first of the set's files the restore reads (its checks read the schema file too).
        const named = /^pulse-backup: (\S+) is compressed with zstd, which is not installed: install the zstd package \(it has the zstd command\) and run again$/.exec(
          restore.stderr.trim(),
        );
        assert.ok(named && manifest.files.some((file) => file.name === named[1]), restore.stderr);
        assert.equal((await server.query('zst_no_zstd', 'SELECT count(*)::int AS n FROM public.stock_movements'))[0].n, 0, 'the database is as it was');
      });

      it('verify of a .zst set without zstd says so in one line', async function () {
        const verify = await runCli(['verify', manifest.id, '--dir', folder], noZstd);
        assertOneLineError(verify);
        assert.match(verify.stderr, /^pulse-backup: factory_schema_backup_\S+\.sql\.zst is compressed with zstd, which is not installed: install the zstd package/);
      });
    });
  });
}
