/**
 * Encrypted sets (`backup --encrypt`, the age format) against a real server
 * with the real pg_dump and psql: no plain SQL on disk, the manifest saying
 * how (never a secret), every restore mode equal to the source, verify and
 * prove passing, Debian's `age` decrypting the files and the report's psql
 * commands restoring by hand, a wrong passphrase changing nothing, and a
 * tampered file failing verify. The passphrase is age's work factor (18):
 * the CLI has no other.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import type { RestoreResult } from '../../src/core/restore/types';
import type { VerificationReport } from '../../src/core/verify/results';
import type { ProofRecord } from '../../src/core/prove/record';
import type { BackupReport } from '../../src/core/report/types';
import { generateIdentity } from '../../src/core/crypto/keys';
import { ageMissing, agePassphraseMissing, runAgeOnTerminal } from '../support/ageCli';
import { assertOneLineError, runCli, type CliOptions } from '../support/cli';
import { assertSameContent, fingerprintDatabase, diffFingerprints } from '../support/fingerprint';
import { backupSet, copySetFiles, listSets, restoreSet, useServer, useTempFolders } from '../support/integration';
import { skipBecause } from '../support/skip';
import { loadSample, sampleCases } from '../samples';

const PASSPHRASE = 'correct horse battery staple 17';
const withPassphrase: CliOptions = { env: { PULSE_BACKUP_PASSPHRASE: PASSPHRASE } };

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** One byte flipped halfway through the file: a file damaged after the backup. */
function flipMiddleByte(path: string): void {
  const bytes = readFileSync(path);
  bytes[Math.floor(bytes.length / 2)] ^= 0x20;
  writeFileSync(path, bytes);
}

/** One character of the file's passphrase salt changed (`-> scrypt SALT 18`), its MAC line untouched: a damaged age header. */
function changeSaltCharacter(path: string): void {
  const bytes = readFileSync(path);
  const at = bytes.indexOf('-> scrypt ') + '-> scrypt '.length;
  bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
  writeFileSync(path, bytes);
}

describe('encrypted sets (age)', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-age-');
  const factory = sampleCases().find((sample) => sample.name === 'factory')!;
  const source = 'enc_factory';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await loadSample(server, source, factory);
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'factory', ['--encrypt'], withPassphrase);
  });

  it('backup --encrypt writes the three files as ….sql.age, no SQL in clear, and a manifest that says how and never the passphrase', function () {
    const names = readdirSync(folder).sort();
    assert.deepEqual(
      names.filter((name) => !name.startsWith('.')),
      [
        `factory_${manifest.timestamp}.manifest.json`,
        `factory_complete_backup_${manifest.timestamp}.sql.age`,
        `factory_data_backup_${manifest.timestamp}.sql.age`,
        `factory_schema_backup_${manifest.timestamp}.sql.age`,
      ],
    );
    assert.deepEqual(manifest.encryption, { format: 'age', method: 'passphrase' });
    for (const file of manifest.files) {
      const bytes = readFileSync(join(folder, file.name));
      assert.equal(bytes.toString('latin1', 0, 22), 'age-encryption.org/v1\n', file.name);
      assert.match(bytes.toString('latin1', 0, 100), /^age-encryption\.org\/v1\n-> scrypt \S+ 18\n/, `${file.name}: age's work factor`);
      assert.ok(!bytes.includes('PostgreSQL database dump'), `${file.name} holds no SQL in clear`);
      assert.equal(file.bytes, bytes.length, `${file.name}: the size as stored`);
      assert.equal(file.sha256, sha256(join(folder, file.name)), `${file.name}: the sha256 as stored`);
    }
    assert.ok(manifest.digests && manifest.digests.tables.length > 0, 'content digests of the SQL inside');
    const manifestText = readFileSync(join(folder, `factory_${manifest.timestamp}.manifest.json`), 'utf8');
    assert.ok(!manifestText.includes(PASSPHRASE), 'the manifest does not hold the passphrase');
  });

  it('lists as a complete set', async function () {
    const [set] = await listSets(folder);
    assert.equal(set.status, 'complete', set.problems.join('; '));
    assert.deepEqual(
      set.files.map((file) => file.name),
      manifest.files.map((file) => file.name),
    );
  });

  // Every mode, each in a test of its own: a restore of an encrypted set runs three scrypts at age's work factor.
  it('restores complete into an empty database equal to the source, row counts as recorded', async function () {
    await server.createDatabase('enc_complete');
    const complete = await runCli(
      ['restore', manifest.id, '--mode', 'complete', '--db', server.url('enc_complete'), '--dir', folder, '--yes', '--json', '--no-safety-backup'],
      withPassphrase,
    );
    assert.equal(complete.code, 0, complete.stderr);
    assert.equal((JSON.parse(complete.stdout) as RestoreResult).rowCountsMatch, true);
    await assertSameContent(server.url(source), server.url('enc_complete'));
  });

  it('restores schema then data into an empty database equal to the source', async function () {
    await server.createDatabase('enc_split');
    for (const mode of ['schema', 'data']) {
      const result = await runCli(
        ['restore', manifest.id, '--mode', mode, '--db', server.url('enc_split'), '--dir', folder, '--yes', '--json', '--no-safety-backup'],
        withPassphrase,
      );
      assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
    }
    await assertSameContent(server.url(source), server.url('enc_split'));
  });

  it('restores data --clean over a changed copy, after a safety backup, equal to the source', async function () {
    await server.createDatabase('enc_changed', { template: source });
    await server.query('enc_changed', 'DELETE FROM public.stock_movements WHERE id % 3 = 0');
    const data = await runCli(['restore', manifest.id, '--mode', 'data', '--clean', '--db', server.url('enc_changed'), '--dir', folder, '--yes', '--json'], withPassphrase);
    assert.equal(data.code, 0, data.stderr);
    assert.ok((JSON.parse(data.stdout) as RestoreResult).safetyBackup, 'a safety backup was taken');
    await assertSameContent(server.url(source), server.url('enc_changed'));
  });

  it('restores complete --clean over a changed copy equal to the source', async function () {
    await server.createDatabase('enc_changed_complete', { template: source });
    await server.query('enc_changed_complete', 'DELETE FROM public.stock_movements WHERE id % 2 = 1');
    const cleaned = await runCli(
      ['restore', manifest.id, '--mode', 'complete', '--clean', '--db', server.url('enc_changed_complete'), '--dir', folder, '--yes', '--no-safety-backup'],
      withPassphrase,
    );
    assert.equal(cleaned.code, 0, cleaned.stderr);
    await assertSameContent(server.url(source), server.url('enc_changed_complete'));
  });

  it('verify passes every check, reading the files decrypted', async function () {
    const verify = await runCli(['verify', manifest.id, '--dir', folder, '--json'], withPassphrase);
    assert.equal(verify.code, 0, verify.stderr);
    const report = JSON.parse(verify.stdout) as VerificationReport;
    const checks = report.groups.flatMap((group) => group.checks);
    assert.deepEqual(
      checks.filter((check) => check.status !== 'pass').map((check) => `${check.id}: ${check.detail}`),
      [],
    );
    assert.match(checks.find((check) => check.id === 'content')!.detail, /rows of \d+ tables in the data and complete files, as recorded/);
  });

  it('prove passes, both ways, loading the files decrypted', async function () {
    const prove = await runCli(['prove', manifest.id, '--db', server.url(source), '--dir', folder, '--json'], withPassphrase);
    assert.equal(prove.code, 0, prove.stderr);
    assert.equal((JSON.parse(prove.stdout) as ProofRecord).outcome, 'proved');
  });

  it('diff reads the set decrypted: after known changes, exactly those', async function () {
    await server.createDatabase('enc_diff', { template: source });
    await server.query('enc_diff', 'DELETE FROM public.stock_movements WHERE id IN (SELECT id FROM public.stock_movements ORDER BY id LIMIT 2)');
    const result = await runCli(['diff', manifest.id, '--db', server.url('enc_diff'), '--dir', folder, '--json'], withPassphrase);
    assert.equal(result.code, 0, result.stderr);
    const diff = JSON.parse(result.stdout) as { tables: { schema: string; name: string; state: string; rows?: { removed: number } }[] };
    const changed = diff.tables.filter((table) => table.state !== 'same');
    assert.deepEqual(
      changed.map((table) => `${table.schema}.${table.name}: ${table.state}, ${table.rows?.removed} removed`),
      ['public.stock_movements: changed, 2 removed'],
    );
  });

  it('without the passphrase, verify and restore say in one line what they need, and change nothing', async function () {
    const verify = await runCli(['verify', manifest.id, '--dir', folder]);
    assertOneLineError(verify);
    assert.match(verify.stderr, /encrypted with a passphrase: give it: pass --passphrase-file FILE \(or set PULSE_BACKUP_PASSPHRASE\)/);
    await server.createDatabase('enc_nokey');
    const restore = await restoreSet(server, manifest.id, folder, 'enc_nokey', 'complete');
    assertOneLineError(restore);
    assert.equal((await server.query('enc_nokey', "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace"))[0].n, 0);
  });

  it('a wrong passphrase is one line before anything is restored, and changes nothing: no safety backup, the target as it was', async function () {
    await server.createDatabase('enc_wrong', { template: source });
    await server.query('enc_wrong', 'DELETE FROM public.stock_movements WHERE id % 2 = 0');
    const before = await fingerprintDatabase(server.url('enc_wrong'));
    const setsBefore = (await listSets(folder)).map((set) => set.id);
    const passphraseFile = join(newFolder(), 'wrong.txt');
    writeFileSync(passphraseFile, 'not the passphrase\n', { mode: 0o600 });
    const attempts: { extra: string[]; options: CliOptions }[] = [
      { extra: [], options: { env: { PULSE_BACKUP_PASSPHRASE: 'not it' } } },
      { extra: ['--passphrase-file', passphraseFile], options: {} },
    ];
    for (const attempt of attempts) {
      const result = await runCli(
        ['restore', manifest.id, '--mode', 'data', '--clean', '--db', server.url('enc_wrong'), '--dir', folder, '--yes', ...attempt.extra],
        attempt.options,
      );
      assertOneLineError(result);
      assert.match(result.stderr, /^pulse-backup: the passphrase does not decrypt factory_\w+_backup_\d{8}_\d{6}\.sql\.age: give the passphrase it was encrypted with/);
    }
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('enc_wrong'))), []);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      setsBefore,
      'no safety backup was taken',
    );
    const verify = await runCli(['verify', manifest.id, '--dir', folder], { env: { PULSE_BACKUP_PASSPHRASE: 'not it' } });
    assertOneLineError(verify);
  });

  it('a tampered .age file fails verify (checksum and decryption), and no restore loads it', async function () {
    const damaged = newFolder();
    copySetFiles(folder, damaged, manifest);
    const data = manifest.files.find((file) => file.type === 'data')!;
    const path = join(damaged, data.name);
    flipMiddleByte(path);
    const verify = await runCli(['verify', manifest.id, '--dir', damaged, '--json'], withPassphrase);
    assert.equal(verify.code, 1, verify.stderr);
    const checks = (JSON.parse(verify.stdout) as VerificationReport).groups.flatMap((group) => group.checks);
    const status = (id: string) => checks.find((check) => check.id === id);
    assert.equal(status('checksums')?.status, 'fail');
    assert.equal(status('dump-format')?.status, 'fail');
    assert.match(status('dump-format')!.detail, new RegExp(`${data.name.replace(/\./g, '\\.')} is damaged or cut short: chunk \\d+ does not authenticate`));
    await server.createDatabase('enc_tampered');
    const restore = await runCli(['restore', manifest.id, '--mode', 'data', '--db', server.url('enc_tampered'), '--dir', damaged, '--yes', '--no-safety-backup'], withPassphrase);
    assertOneLineError(restore);
    assert.match(restore.stderr, /failed verification/);
  });

  it("a changed character of the complete file's passphrase salt is a damaged file, not a wrong passphrase: verify gives its checks, restore and diff say so", async function () {
    const damaged = newFolder();
    copySetFiles(folder, damaged, manifest);
    const complete = manifest.files.find((file) => file.type === 'complete')!;
    const path = join(damaged, complete.name);
    changeSaltCharacter(path);
    const said = new RegExp(
      `${complete.name.replace(/\./g, '\\.')} is damaged: its age header does not open with the passphrase that opens the set's other files, and its checksum does not match the manifest`,
    );
    const verify = await runCli(['verify', manifest.id, '--dir', damaged, '--json'], withPassphrase);
    assert.equal(verify.code, 1, verify.stderr);
    const report = JSON.parse(verify.stdout) as VerificationReport;
    assert.ok(report.groups, `a check list, not an error: ${verify.stdout}`);
    const checks = report.groups.flatMap((group) => group.checks);
    const status = (id: string) => checks.find((check) => check.id === id);
    assert.equal(status('checksums')?.status, 'fail');
    assert.match(status('checksums')!.detail, new RegExp(complete.name.replace(/\./g, '\\.')));
    assert.equal(status('dump-format')?.status, 'fail');
    assert.match(status('dump-format')!.detail, said);
    const history = JSON.parse(readFileSync(join(damaged, `${manifest.id}.history.json`), 'utf8')) as { verifications: VerificationReport[] };
    assert.equal(history.verifications.at(-1)?.outcome, 'fail', 'the failed verification is recorded');
    await server.createDatabase('enc_salt');
    for (const args of [
      ['restore', manifest.id, '--mode', 'complete', '--db', server.url('enc_salt'), '--dir', damaged, '--yes', '--no-safety-backup'],
      ['diff', manifest.id, '--db', server.url(source), '--dir', damaged],
    ]) {
      const result = await runCli(args, withPassphrase);
      assertOneLineError(result);
      assert.match(result.stderr, said, args[0]);
      assert.doesNotMatch(result.stderr, /passphrase does not decrypt/, args[0]);
    }
    assert.equal((await server.query('enc_salt', "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace"))[0].n, 0);
  });

  it('two files with a damaged salt before the one that opens are two damaged files, not a wrong passphrase', async function () {
    const damaged = newFolder();
    copySetFiles(folder, damaged, manifest);
    const broken = manifest.files.filter((file) => file.type !== 'complete');
    for (const file of broken) {
      changeSaltCharacter(join(damaged, file.name));
    }
    const verify = await runCli(['verify', manifest.id, '--dir', damaged, '--json'], withPassphrase);
    assert.equal(verify.code, 1, verify.stderr);
    const report = JSON.parse(verify.stdout) as VerificationReport;
    assert.ok(report.groups, `a check list, not an error: ${verify.stdout}`);
    const format = report.groups.flatMap((group) => group.checks).find((check) => check.id === 'dump-format');
    assert.equal(format?.status, 'fail');
    for (const file of broken) assert.match(format?.detail ?? '', new RegExp(`${file.name.replace(/\./g, '\\.')} is damaged: its age header does not open`));
  });

  it('prove of a set with a tampered .age file records a failed proof that names the file, as it does for a plain set', async function () {
    const damaged = newFolder();
    copySetFiles(folder, damaged, manifest);
    const complete = manifest.files.find((file) => file.type === 'complete')!;
    const path = join(damaged, complete.name);
    flipMiddleByte(path);
    const prove = await runCli(['prove', manifest.id, '--db', server.url(source), '--dir', damaged, '--json'], withPassphrase);
    assert.equal(prove.code, 1, prove.stderr);
    const record = JSON.parse(prove.stdout) as ProofRecord;
    assert.equal(record.outcome, 'failed', prove.stdout);
    assert.ok(
      record.differences.some((difference) => difference.object === 'complete file' && difference.detail.includes(`${complete.name} is damaged or cut short`)),
      JSON.stringify(record.differences),
    );
    const history = JSON.parse(readFileSync(join(damaged, `${manifest.id}.history.json`), 'utf8')) as { proofs: ProofRecord[] };
    assert.equal(history.proofs.at(-1)?.outcome, 'failed', 'the failed proof is recorded');
  });

  it("Debian's age decrypts the files with the passphrase, and the report's psql command restores the complete file by hand", async function () {
    const why = agePassphraseMissing();
    if (why) skipBecause(this, why);
    const complete = manifest.files.find((file) => file.type === 'complete')!;
    const out = join(newFolder(), 'complete.sql');
    await runAgeOnTerminal(['-d', '-o', out, join(folder, complete.name)], `${PASSPHRASE}\n`);
    assert.match(readFileSync(out, 'utf8').slice(0, 200), /-- PostgreSQL database dump/);

    const summary = await runCli(['summary', manifest.id, '--dir', folder, '--format', 'json']);
    assert.equal(summary.code, 0, summary.stderr);
    const report = JSON.parse(summary.stdout) as BackupReport;
    assert.equal(report.security.encryption.encrypted, true);
    assert.match(report.security.encryption.summary, /^Encryption: age \(passphrase\)\./);
    const command = report.restore.options.find((option) => option.mode === 'complete')!.psql[0].command;
    assert.match(command, /^\{ echo 'BEGIN;'; age -d \S+\.sql\.age && echo 'COMMIT;'; \} \| psql /);
    await server.createDatabase('enc_by_hand', { template: 'template0' });
    await runOnTerminal(command, 'enc_by_hand', `${PASSPHRASE}\n`);
    await assertSameContent(server.url(source), server.url('enc_by_hand'));

    // A wrong passphrase typed there: age fails, psql never gets COMMIT, the database stays empty.
    await server.createDatabase('enc_by_hand_wrong', { template: 'template0' });
    await assert.rejects(runOnTerminal(command, 'enc_by_hand_wrong', 'wrong\n'));
    assert.equal((await server.query('enc_by_hand_wrong', "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace"))[0].n, 0);
  });

  /** Runs a printed command line in a pseudo-terminal (age asks there), typing `typed`; the target in $DATABASE, its password in PGPASSWORD. */
  function runOnTerminal(command: string, database: string, typed: string): Promise<void> {
    const target = new URL(server.url(database));
    target.password = '';
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        env: { PATH: process.env.PATH, SHELL: '/bin/sh', PGPASSWORD: server.password, DATABASE: target.href },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 && !/ERROR|error:/.test(output) ? resolve() : reject(new Error(`${command} exited with ${code}: ${output.trim()}`))));
      child.stdin.end(typed);
    });
  }

  describe('to age recipients', function () {
    const key = generateIdentity();
    let keyFolder: string;
    let keyFile: string;
    let recipientsFolder: string;
    let set: Manifest;

    before(async function () {
      keyFolder = newFolder();
      keyFile = join(keyFolder, 'key.txt');
      writeFileSync(keyFile, `# created by the test\n# public key: ${key.identity.recipient.text}\n${key.text}\n`, { mode: 0o600 });
      recipientsFolder = newFolder();
      const other = generateIdentity().identity.recipient.text;
      set = await backupSet(server, source, recipientsFolder, 'factory', ['--encrypt', '--recipient', key.identity.recipient.text, '--recipient', other]);
    });

    it('records the recipients, public keys only, and restores equal with an identity file', async function () {
      assert.equal(set.encryption?.method, 'recipients');
      assert.deepEqual(set.encryption?.method === 'recipients' ? set.encryption.recipients.length : 0, 2);
      const manifestText = readFileSync(join(recipientsFolder, `${set.id}.manifest.json`), 'utf8');
      assert.ok(!manifestText.includes(key.text), 'no identity in the manifest');
      await server.createDatabase('enc_r_complete');
      const result = await restoreSet(server, set.id, recipientsFolder, 'enc_r_complete', 'complete', ['--no-safety-backup', '--identity-file', keyFile]);
      assert.equal(result.code, 0, result.stderr);
      await assertSameContent(server.url(source), server.url('enc_r_complete'));
      const prove = await runCli(['prove', set.id, '--db', server.url(source), '--dir', recipientsFolder, '--identity-file', keyFile, '--json']);
      assert.equal(prove.code, 0, prove.stderr);
    });

    it('without a matching identity, one line and nothing changed', async function () {
      const otherKey = join(keyFolder, 'other.txt');
      writeFileSync(otherKey, `${generateIdentity().text}\n`, { mode: 0o600 });
      await server.createDatabase('enc_r_wrong');
      const wrong = await restoreSet(server, set.id, recipientsFolder, 'enc_r_wrong', 'complete', ['--identity-file', otherKey]);
      assertOneLineError(wrong);
      assert.match(wrong.stderr, /the identity given does not decrypt/);
      const none = await restoreSet(server, set.id, recipientsFolder, 'enc_r_wrong', 'complete');
      assertOneLineError(none);
      assert.match(none.stderr, /is encrypted to age recipients: give a matching identity: pass --identity-file FILE/);
      assert.equal((await server.query('enc_r_wrong', "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace"))[0].n, 0);
    });

    it('backup --prove to recipients reads a matching identity before it writes anything, and proves with it', async function () {
      const folder = newFolder();
      const otherKey = join(keyFolder, 'other-prove.txt');
      writeFileSync(otherKey, `${generateIdentity().text}\n`, { mode: 0o600 });
      const args = ['backup', '--db', server.url(source), '--dir', folder, '--prefix', 'proved', '--encrypt', '--recipient', key.identity.recipient.text, '--prove'];
      const none = await runCli(args);
      assertOneLineError(none, 2);
      assert.match(none.stderr, /--prove restores the new set, which is encrypted to age recipients: it needs --identity-file FILE to decrypt it/);
      const wrong = await runCli([...args, '--identity-file', otherKey]);
      assertOneLineError(wrong, 2);
      assert.match(wrong.stderr, /none of the identities in \S+other-prove\.txt belongs to a recipient the new set is encrypted to/);
      assert.deepEqual(readdirSync(folder), [], 'nothing written before the refusal');
      const proved = await runCli([...args, '--identity-file', keyFile]);
      assert.equal(proved.code, 0, proved.stderr);
      assert.match(proved.stdout, /^Proved restorable: /m);
      assert.equal((await listSets(folder)).length, 1);
    });

    it("Debian's age decrypts them with the identity, and the report's schema-then-data command restores by hand", async function () {
      const why = ageMissing();
      if (why) skipBecause(this, why);
      const summary = await runCli(['summary', set.id, '--dir', recipientsFolder, '--format', 'json']);
      const report = JSON.parse(summary.stdout) as BackupReport;
      assert.match(report.security.encryption.summary, /^Encryption: age \(2 recipients\)\./);
      const command = report.restore.options.find((option) => option.mode === 'data')!.psql[1].command;
      assert.match(command, /age -d -i "\$AGE_IDENTITY_FILE" \S+schema\S+ && age -d -i "\$AGE_IDENTITY_FILE" \S+data\S+ && echo 'COMMIT;'/);
      await server.createDatabase('enc_r_by_hand', { template: 'template0' });
      const target = new URL(server.url('enc_r_by_hand'));
      target.password = '';
      const { execa } = await import('execa');
      const result = await execa('sh', ['-c', command], {
        env: { PATH: process.env.PATH, PGPASSWORD: server.password, DATABASE: target.href, AGE_IDENTITY_FILE: keyFile },
        extendEnv: false,
        reject: false,
      });
      assert.equal(result.exitCode, 0, String(result.stderr));
      await assertSameContent(server.url(source), server.url('enc_r_by_hand'));
    });
  });

  it('backup --encrypt with no passphrase to be had (no terminal) is one line, and writes nothing', async function () {
    const empty = newFolder();
    const result = await runCli(['backup', '--db', server.url(source), '--dir', empty, '--prefix', 'factory', '--encrypt']);
    assertOneLineError(result);
    assert.match(result.stderr, /encrypting needs a passphrase or age recipients: pass --passphrase-file FILE \(or set PULSE_BACKUP_PASSPHRASE\), or give --recipient/);
    assert.deepEqual(readdirSync(empty), []);
  });

  // A secret file's last newline in the variable, or a BOM in a file Notepad saved, made a set only that exact
  // value could open: neither typing the passphrase at age's prompt nor a passphrase file could give it back.
  it('backup --encrypt refuses a passphrase with a line break, a control character or a byte-order mark, in one line, writing nothing', async function () {
    const markFile = join(newFolder(), 'passphrase.txt');
    writeFileSync(markFile, '\uFEFFhunter2\r\n', { mode: 0o600 });
    const cases: [string[], CliOptions, RegExp][] = [
      [[], { env: { PULSE_BACKUP_PASSPHRASE: 'hunter2\n' } }, /^pulse-backup: PULSE_BACKUP_PASSPHRASE holds a line break: /],
      [[], { env: { PULSE_BACKUP_PASSPHRASE: 'line one\nline two' } }, /^pulse-backup: PULSE_BACKUP_PASSPHRASE holds a line break: /],
      [[], { env: { PULSE_BACKUP_PASSPHRASE: 'bell\u0007' } }, /^pulse-backup: PULSE_BACKUP_PASSPHRASE holds a control character: /],
      [['--passphrase-file', markFile], {}, new RegExp(`^pulse-backup: the passphrase file ${markFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds a byte-order mark`)],
    ];
    for (const [flags, options, words] of cases) {
      const folder = newFolder();
      const result = await runCli(['backup', '--db', server.url(source), '--dir', folder, '--prefix', 'factory', '--encrypt', ...flags], options);
      assertOneLineError(result);
      assert.match(result.stderr, words);
      assert.match(result.stderr, /never by typing the passphrase or a passphrase file: .*nothing was encrypted$/m);
      assert.ok(!result.stderr.includes('hunter2') && !result.stderr.includes('bell'), 'the passphrase is never repeated');
      assert.deepEqual(readdirSync(folder), []);
    }
    // A tab is typed like any other character: it is kept.
    const folder = newFolder();
    const tabbed = await runCli(['backup', '--db', server.url(source), '--dir', folder, '--prefix', 'factory', '--encrypt'], { env: { PULSE_BACKUP_PASSPHRASE: 'a\ttab' } });
    assert.equal(tabbed.code, 0, tabbed.stderr);
  });

  it('a Supabase-profile set encrypts its filtered complete file too, and verifies', async function () {
    const supabase = sampleCases().find((sample) => sample.name === 'supabase')!;
    await server.createDatabase('enc_supabase');
    await loadSample(server, 'enc_supabase', supabase);
    const supabaseFolder = newFolder();
    const set = await backupSet(server, 'enc_supabase', supabaseFolder, 'shop', ['--encrypt'], withPassphrase);
    assert.equal(set.profile?.name, 'supabase');
    assert.deepEqual(
      readdirSync(supabaseFolder).filter((name) => name.endsWith('.sql')),
      [],
    );
    const verify = await runCli(['verify', set.id, '--dir', supabaseFolder, '--json'], withPassphrase);
    assert.equal(verify.code, 0, verify.stderr);
  });
});
