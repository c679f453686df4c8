/**
 * The report model from folders made by hand: a set with its manifest,
 * history and pin, the old script's sets, broken sets, and folders inside
 * and outside git. No database: the model reads only files.
 */
import { cliHint } from '../../src/core/commandLineWords';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PulseError } from '../../src/core/errors';
import { HISTORY_FORMAT, type SetHistory } from '../../src/core/sets/history';
import type { Manifest } from '../../src/core/sets/manifest';
import { buildReport } from '../../src/core/report/build';
import type { BackupReport } from '../../src/core/report/types';
import { renderReportHtml } from '../../src/core/report/html';
import { renderReportMarkdown } from '../../src/core/report/markdown';
import { richTextPlain } from '../../src/core/report/text';
import { syntheticManifest, syntheticVerification } from '../support/syntheticSet';

const TS = '20250901_173948';
const LEGACY_TS = '20250801_120000';
const SECRET = 'Tr0ub4dor-and-3';

function dumpText(kind: string): string {
  return [
    '--',
    '-- PostgreSQL database dump',
    '--',
    '',
    '\\restrict abc123',
    '',
    '-- Dumped from database version 15.18',
    '-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)',
    '',
    `-- ${kind}`,
    '',
    '\\unrestrict abc123',
    '',
  ].join('\n');
}

function writeDumps(folder: string, prefix: string, timestamp: string, mode: number): Record<'schema' | 'data' | 'complete', string> {
  const names = {
    schema: `${prefix}_schema_backup_${timestamp}.sql`,
    data: `${prefix}_data_backup_${timestamp}.sql`,
    complete: `${prefix}_complete_backup_${timestamp}.sql`,
  };
  for (const [kind, name] of Object.entries(names)) {
    writeFileSync(join(folder, name), dumpText(kind));
    chmodSync(join(folder, name), mode);
  }
  return names;
}

function manifestFor(folder: string, prefix: string, timestamp: string, names: Record<'schema' | 'data' | 'complete', string>): Manifest {
  return syntheticManifest({
    prefix,
    timestamp,
    startedAt: '2025-09-01T15:39:48.000Z',
    durationMs: 1234,
    database: { host: '127.0.0.1', port: 54322, name: 'postgres', user: 'postgres', sizeBytes: 10_485_760 },
    files: (['schema', 'data', 'complete'] as const).map((type) => ({
      type,
      name: names[type],
      bytes: statSync(join(folder, names[type])).size,
      sha256: 'cd'.repeat(32),
    })),
    tables: [
      { schema: 'public', name: 'users', kind: 'table', rows: 40, bytes: 163_840 },
      { schema: 'public', name: 'messages', kind: 'table', rows: 600, bytes: 204_800 },
      { schema: 'shop floor', name: 'machine_events', kind: 'partitioned table', rows: null, bytes: 0 },
      { schema: 'shop floor', name: 'machine_events_2024', kind: 'table', rows: 150, bytes: 65_536 },
    ],
    materializedViews: [{ schema: 'public', name: 'project_overview', populated: true }],
    largeObjects: 2,
    sequences: 11,
    foreignKeyCycles: [{ tables: ['public.messages', 'public.users'] }, { tables: ['public.users'] }],
    pgDumpWarnings: [`pg_dump: warning: could not use postgresql://postgres:${SECRET}@db.example:5432/postgres`, `pg_dump: detail: password=${SECRET}`],
  });
}

describe('the report model', () => {
  let folder: string;
  let manifest: Manifest;
  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, PGPASSWORD: SECRET });

  beforeEach(() => {
    folder = join(mkdtempSync(join(tmpdir(), 'pulse-report-')), 'My Backups');
    mkdirSync(folder, { mode: 0o700 });
    chmodSync(folder, 0o700);
    const names = writeDumps(folder, 'factory_pulse', TS, 0o600);
    manifest = manifestFor(folder, 'factory_pulse', TS, names);
    writeFileSync(join(folder, `factory_pulse_${TS}.manifest.json`), JSON.stringify(manifest), { mode: 0o600 });
    writeDumps(folder, 'factory_pulse', LEGACY_TS, 0o644);
  });

  afterEach(() => {
    rmSync(join(folder, '..'), { recursive: true, force: true });
  });

  const build = (setId = `factory_pulse_${TS}`, extraEnv: NodeJS.ProcessEnv = {}): Promise<BackupReport> =>
    buildReport({ folder, setId, env: { ...env(), ...extraEnv }, now: new Date('2025-09-02T08:00:00Z') });

  it('describes a set from its manifest: files, figures, tables by schema, cycles', async () => {
    const report = await build();
    assert.equal(report.format, 'pulse-backup-report');
    assert.equal(report.set.status, 'complete');
    assert.equal(report.set.madeBy, 'pulse-backup');
    assert.deepEqual(
      report.overview.files.map((file) => [file.kind, file.present]),
      [
        ['complete', true],
        ['schema', true],
        ['data', true],
        ['manifest', true],
      ],
    );
    assert.equal(report.overview.files[0].sha256, 'cd'.repeat(32));
    assert.equal(report.overview.durationMs, 1234);
    assert.equal(report.overview.databaseAtBackup.reachable, true);
    assert.equal(report.database.address, '127.0.0.1:54322');
    assert.equal(report.database.usesRestrict, true);
    assert.deepEqual(
      report.schema.schemas.map((group) => [group.name, group.tables.map((table) => `${table.name}:${table.rows ?? '-'}`), group.rows]),
      [
        ['public', ['messages:600', 'users:40'], 640],
        ['shop floor', ['machine_events:-', 'machine_events_2024:150'], 150],
      ],
    );
    assert.deepEqual(
      report.warnings.foreignKeyCycles.map((cycle) => cycle.text),
      ['public.messages ↔ public.users', 'public.users (references itself)'],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(report)) as unknown, report, 'the model is plain JSON');
  });

  it("says where sizes are the catalog's estimates, in the model, the Markdown and the HTML, and nowhere else", async () => {
    const exact = await build();
    assert.equal(exact.database.sizeEstimated, false);
    assert.equal(exact.schema.sizesEstimated, false);
    assert.doesNotMatch(renderReportMarkdown(exact), /≈|estimate/);
    writeFileSync(join(folder, `factory_pulse_${TS}.manifest.json`), JSON.stringify({ ...manifest, sizes: 'estimated' }), { mode: 0o600 });
    const estimated = await build();
    assert.equal(estimated.database.sizeEstimated, true);
    assert.equal(estimated.overview.databaseAtBackup.sizeEstimated, true);
    assert.equal(estimated.schema.sizesEstimated, true);
    assert.match(estimated.overview.databaseAtBackup.summary, /\(≈ 10\.0 MB on disk, estimated\)/);
    const markdown = renderReportMarkdown(estimated);
    assert.match(markdown, /Size at backup time \| ≈ 10\.0 MB/);
    assert.match(markdown, /sizes \(≈\) are the catalog's estimates/);
    assert.match(markdown, /\| `users` \| table \| 40 \| ≈ 160 KB \|/);
    assert.match(markdown, /2 tables, 640 rows, ≈ 360 KB/);
    const html = renderReportHtml(estimated);
    assert.match(html, /≈ 160 KB/);
    assert.match(html, /sizes \(≈\) are the catalog&#39;s estimates|sizes \(≈\) are the catalog's estimates/);
  });

  it('quotes the restore commands for the shell and points them at absolute paths', async () => {
    const report = await build();
    const complete = report.restore.options.find((option) => option.mode === 'complete')!;
    assert.equal(complete.pulseBackup.command, `pulse-backup restore factory_pulse_${TS} --mode complete --dir '${folder}'`);
    assert.equal(complete.psql[0].command, `psql -X -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE" -f '${folder}/factory_pulse_complete_backup_${TS}.sql'`);
    const data = report.restore.options.find((option) => option.mode === 'data')!;
    assert.equal(
      data.psql[1].command,
      `psql -X -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE" -f '${folder}/factory_pulse_schema_backup_${TS}.sql' -f '${folder}/factory_pulse_data_backup_${TS}.sql'`,
    );
    assert.equal(report.restore.targetExample, 'DATABASE=postgresql://postgres@127.0.0.1:54322/postgres_restored');
  });

  it("quotes the example database of the restore notes for the shell, whatever the source database's name", async () => {
    const id = `factory_pulse_${TS}`;
    writeFileSync(join(folder, `${id}.manifest.json`), JSON.stringify({ ...manifest, database: { ...manifest.database, name: 'shop;echo hacked;#' } }), { mode: 0o600 });
    const report = await build();
    const codes = report.restore.notes.flat().flatMap((part) => (typeof part === 'object' && 'code' in part ? [part.code] : []));
    assert.ok(codes.includes("createdb -T template0 'shop;echo hacked;#_restored'"), codes.join('\n'));
    assert.equal(report.restore.targetExample, 'DATABASE=postgresql://postgres@127.0.0.1:54322/shop%3Becho%20hacked%3B%23_restored');
  });

  it('never shows a password where it stands, even one pg_dump printed', async () => {
    const report = await build(undefined, { DATABASE_URL: `postgresql://postgres:${SECRET}x@127.0.0.1:54322/postgres` });
    for (const text of [JSON.stringify(report), renderReportMarkdown(report), renderReportHtml(report)]) {
      assert.ok(!text.includes(SECRET), 'the password is not in the output');
    }
    assert.match(report.warnings.pgDumpStderr[0], /postgresql:\/\/postgres:\*\*\*\*@db\.example/);
    assert.equal(report.warnings.pgDumpStderr[1], 'pg_dump: detail: password=****');
    assert.equal(report.database.user, 'postgres');
  });

  it("keeps names readable when the password is one of them (Supabase's postgres/postgres)", async () => {
    const report = await build(undefined, { PGPASSWORD: 'postgres' });
    assert.equal(report.database.user, 'postgres');
    assert.equal(report.database.name, 'postgres');
  });

  it('shows the last verification of each kind, retention at creation, and the pin', async () => {
    const history: SetHistory = {
      format: HISTORY_FORMAT,
      formatVersion: 1,
      setId: `factory_pulse_${TS}`,
      verifications: [
        syntheticVerification(
          `factory_pulse_${TS}`,
          [{ name: 'post-backup', title: 'After the backup', checks: [{ id: 'checksums', title: 'Checksums', status: 'fail', detail: 'old' }] }],
          {
            checkedAt: '2025-09-01T16:00:00.000Z',
            durationMs: 900,
          },
        ),
        syntheticVerification(
          `factory_pulse_${TS}`,
          [{ name: 'post-backup', title: 'After the backup', checks: [{ id: 'checksums', title: 'Checksums', status: 'pass', detail: '3 files match' }] }],
          { checkedAt: '2025-09-01T17:00:00.000Z', durationMs: 700 },
        ),
      ],
      retention: [{ at: '2025-09-01T15:40:00.000Z', keep: 10, removed: ['factory_pulse_20240101_000000'], protected: [] }],
    };
    writeFileSync(join(folder, `factory_pulse_${TS}.history.json`), JSON.stringify(history));
    writeFileSync(join(folder, `factory_pulse_${TS}.pinned`), '');
    const report = await build();
    assert.equal(report.verification.postBackup?.checkedAt, '2025-09-01T17:00:00.000Z');
    assert.deepEqual(
      report.verification.postBackup?.checks.map((check) => [check.id, check.status, check.statusText]),
      [['checksums', 'pass', 'passed']],
    );
    assert.equal(report.verification.preRestore, null);
    assert.equal(report.verification.runs, 2);
    assert.deepEqual(
      report.overview.retentionAtCreation.map((event) => event.removed),
      [['factory_pulse_20240101_000000']],
    );
    assert.match(report.overview.retentionAtCreation[0].summary, /removed 1 set/);
    assert.equal(report.set.pinned, true);
    assert.deepEqual(report.history.pinned, [`factory_pulse_${TS}`]);
    assert.deepEqual(
      report.overview.files.map((file) => file.kind),
      ['complete', 'schema', 'data', 'manifest', 'history', 'pin'],
    );
    assert.match(renderReportMarkdown(report), /### After the backup\n\nPassed, /);
  });

  it('says a set was not verified yet and how to verify it', async () => {
    const report = await build();
    assert.equal(report.verification.postBackup, null);
    assert.equal(report.verification.verifyCommand, `pulse-backup verify factory_pulse_${TS} --dir '${folder}'`);
    assert.ok(report.attention.some((item) => item.text.some((part) => typeof part !== 'string' && part.code === report.verification.verifyCommand)));
  });

  it("still describes the old script's set: versions from the dump header, nothing invented", async () => {
    const report = await build(`factory_pulse_${LEGACY_TS}`);
    assert.equal(report.set.status, 'legacy');
    assert.equal(report.set.madeBy, 'old script');
    assert.equal(report.schema.recorded, false);
    assert.match(report.schema.note ?? '', /row counts/);
    assert.equal(report.database.serverVersion, '15.18');
    assert.equal(report.database.serverVersionSource, 'dump header');
    assert.equal(report.database.user, null);
    assert.equal(report.warnings.recorded, false);
    assert.equal(report.overview.durationMs, null);
    const data = report.restore.options.find((option) => option.mode === 'data')!;
    assert.match(data.psql[0].command, /^PGOPTIONS='-c session_replication_role=replica' psql /);
    assert.match(renderReportMarkdown(report), /row counts and sizes are unknown/);
  });

  it('flags files every user of the machine can read, and says how to fix it', async () => {
    const report = await build(`factory_pulse_${LEGACY_TS}`);
    assert.deepEqual(
      report.security.permissions.map((entry) => [entry.name, entry.mode, entry.readableByOthers]),
      (['complete', 'schema', 'data'] as const).map((kind) => [`factory_pulse_${kind}_backup_${LEGACY_TS}.sql`, '0644', true]),
    );
    assert.equal(report.security.folderPermission?.mode, '0700');
    assert.equal(
      report.security.permissionFix,
      `chmod 600 '${folder}/factory_pulse_complete_backup_${LEGACY_TS}.sql' '${folder}/factory_pulse_schema_backup_${LEGACY_TS}.sql' '${folder}/factory_pulse_data_backup_${LEGACY_TS}.sql'`,
    );
    assert.ok(report.attention.some((item) => item.level === 'warn' && /every user/.test(richTextPlain(item.text))));

    const mine = await build();
    assert.deepEqual(mine.security.readableByOthers, []);
    assert.equal(mine.security.permissionFix, null);
    assert.equal(mine.security.encryption.encrypted, false);
  });

  it('describes an incomplete set instead of failing', async () => {
    unlinkSync(join(folder, `factory_pulse_data_backup_${TS}.sql`));
    const report = await build();
    assert.equal(report.set.status, 'incomplete');
    assert.match(report.set.problems.join(), /factory_pulse_data_backup_20250901_173948\.sql is missing/);
    const data = report.overview.files.find((file) => file.kind === 'data')!;
    assert.deepEqual([data.present, data.bytes], [false, null]);
    assert.equal(report.restore.options.find((option) => option.mode === 'data')?.available, false);
    assert.ok(report.attention.some((item) => item.level === 'warn' && /incomplete/.test(richTextPlain(item.text))));
    renderReportHtml(report);
    renderReportMarkdown(report);
  });

  it('describes a set whose manifest is damaged as incomplete, with what the files still say', async () => {
    writeFileSync(join(folder, `factory_pulse_${TS}.manifest.json`), '{"format": "pulse-backup-manifest", "formatV');
    const report = await build();
    assert.equal(report.set.status, 'incomplete');
    assert.equal(report.set.madeBy, 'unknown');
    assert.equal(report.schema.recorded, false);
    assert.equal(report.database.serverVersion, '15.18');
    assert.match(report.set.problems.join(), /not valid JSON/);
  });

  it('names the sets that exist when the set id is unknown', async () => {
    await assert.rejects(build('factory_pulse_20200101_000000'), (error: unknown) => {
      assert.ok(error instanceof PulseError);
      assert.equal(error.code, 'unknown-set');
      assert.match(cliHint(error.hint ?? []), /factory_pulse_20250901_173948/);
      return true;
    });
  });

  describe('git', () => {
    let repository: string;
    beforeEach(() => {
      repository = realpathSync(join(folder, '..'));
      execFileSync('git', ['init', '-q', repository]);
    });

    it('warns when the folder is in a repository that does not ignore it, and says what to add to .gitignore', async () => {
      const report = await build();
      assert.equal(report.security.git.state, 'not-ignored');
      assert.equal(report.security.git.repositoryRoot, repository);
      assert.deepEqual(
        report.security.git.advice?.find((part) => typeof part !== 'string'),
        { code: '/My Backups/' },
      );
      assert.ok(report.attention.some((item) => item.level === 'warn' && /does not ignore/.test(richTextPlain(item.text))));
    });

    it('is content when git ignores the folder', async () => {
      writeFileSync(join(repository, '.gitignore'), 'My Backups/\n');
      const report = await build();
      assert.equal(report.security.git.state, 'ignored');
      assert.equal(report.security.git.advice, null);
    });

    it('is content when git ignores every dump file even though the folder itself is not ignored', async () => {
      writeFileSync(join(repository, '.gitignore'), '*.sql\n');
      assert.equal((await build()).security.git.state, 'ignored');
    });

    it('names the files git already tracks, ignored or not', async () => {
      writeFileSync(join(repository, '.gitignore'), 'My Backups/\n');
      execFileSync('git', ['-C', repository, 'add', '-f', `My Backups/factory_pulse_${TS}.manifest.json`]);
      const report = await build();
      assert.equal(report.security.git.state, 'not-ignored');
      assert.deepEqual(report.security.git.trackedFiles, [`factory_pulse_${TS}.manifest.json`]);
    });
  });

  it('says when the folder is not in a git repository', async () => {
    assert.equal((await build()).security.git.state, 'not-in-repository');
  });

  it('runs no git at all when asked not to (Restricted Mode), and says the check was skipped', async () => {
    // A "git" that leaves a mark when run: proof of what ran, without trusting the report's word.
    const bin = mkdtempSync(join(tmpdir(), 'pulse-marking-git-'));
    const mark = join(bin, 'ran');
    writeFileSync(join(bin, 'git'), `#!/bin/sh\n: > '${mark}'\nexit 128\n`, { mode: 0o755 });
    try {
      const report = await buildReport({ folder, setId: `factory_pulse_${TS}`, env: { ...env(), PATH: bin }, git: false });
      assert.equal(report.security.git.state, 'not-checked');
      assert.match(report.security.git.summary, /not checked/);
      assert.ok(!existsSync(mark), 'git ran although asked not to');
      await build(undefined, { PATH: bin });
      assert.ok(existsSync(mark), 'the marking git works: a normal report runs it');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('says when git is not installed', async () => {
    const emptyBin = mkdtempSync(join(tmpdir(), 'pulse-no-git-'));
    try {
      const report = await build(undefined, { PATH: emptyBin });
      assert.equal(report.security.git.state, 'git-not-installed');
      assert.match(report.security.git.summary, /git is not installed/);
    } finally {
      rmSync(emptyBin, { recursive: true, force: true });
    }
  });
});
