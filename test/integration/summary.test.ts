/**
 * `pulse-backup summary` on real sets: one made by the real CLI from the
 * factory sample (circular keys users ↔ messages, and tables with hostile
 * names), and one made the old script's way with three pg_dump runs. The
 * restore commands it prints are run as printed, through a shell.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadExeca } from '../support/execa';
import { formatCount } from '../../src/core/format';
import type { Manifest } from '../../src/core/sets/manifest';
import type { BackupReport } from '../../src/core/report/types';
import { assertOneLineError, runCli, type CliResult } from '../support/cli';
import { assertSameContent } from '../support/fingerprint';
import { backupSet, createFactoryDatabase, useServer, useTempFolders } from '../support/integration';
import { writeOldScriptSet } from '../support/oldScript';

const HOSTILE_TABLE = '<img src=x onerror=alert(1)>';
const HOSTILE_SCHEMA = '"a&b"';
const SCRIPT_TABLE = '<script>alert(1)</script>';
const LEGACY_TS = '20250901_173948';

describe('pulse-backup summary', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-summary-');
  let parent: string;
  let folder: string;
  let manifest: Manifest;
  const outputs: CliResult[] = [];

  /** The CLI as a person runs it, with the server's password in their environment. */
  async function summary(args: string[]): Promise<CliResult> {
    const result = await runCli(['summary', ...args], { env: { PGPASSWORD: server.password, DATABASE_URL: server.url('factory_pulse') } });
    outputs.push(result);
    return result;
  }

  before(async function () {
    await createFactoryDatabase(server, 'factory_pulse');
    await server.query('factory_pulse', `CREATE TABLE "${HOSTILE_TABLE}" (id int)`);
    await server.query('factory_pulse', `CREATE SCHEMA "${HOSTILE_SCHEMA.replace(/"/g, '""')}"`);
    await server.query('factory_pulse', `CREATE TABLE "${HOSTILE_SCHEMA.replace(/"/g, '""')}"."${SCRIPT_TABLE}" AS SELECT generate_series(1, 3) AS id`);
    parent = newFolder();
    // A space and a quote: every path in the printed commands has to be quoted.
    folder = join(parent, "team's backups");

    manifest = await backupSet(server, 'factory_pulse', folder, 'factory_pulse');

    // The old script's way: three pg_dump runs, no manifest. Its split files
    // cannot restore a CHECK constraint added NOT VALID over rows that break
    // it, triggers off or not (the schema file creates it before the data),
    // so its source is the sample without that one constraint.
    await server.createDatabase('factory_legacy', { template: 'factory_pulse' });
    await server.query('factory_legacy', 'ALTER TABLE public.stock_movements DROP CONSTRAINT stock_movements_delta_not_zero');
    await writeOldScriptSet(server, 'factory_legacy', folder, 'factory_pulse', LEGACY_TS);
  });

  describe('in Markdown', function () {
    let markdown: string;
    before(async function () {
      const result = await summary([manifest.id, '--dir', folder]);
      assert.equal(result.code, 0, result.stderr);
      markdown = result.stdout;
    });

    it('lists every table with its exact row count', async function () {
      const [{ count }] = await server.query<{ count: string }>('factory_pulse', 'SELECT count(*)::text AS count FROM public.users');
      assert.match(markdown, new RegExp(`^\\| \`users\` \\| table \\| ${formatCount(Number(count))} \\| `, 'm'));
      for (const table of manifest.tables) {
        const rows = table.rows === null ? '—' : formatCount(table.rows);
        const line = markdown.split('\n').find((candidate) => candidate.startsWith(`| \`${table.name.replace(/\|/g, '\\|')}\` | ${table.kind} | ${rows} |`));
        assert.ok(line, `${table.schema}.${table.name} with ${rows} rows`);
      }
      assert.ok(markdown.includes(`| \`${SCRIPT_TABLE}\` | table | 3 |`));
      assert.ok(markdown.includes(`### Schema \`${HOSTILE_SCHEMA}\``));
    });

    it('explains the circular foreign keys between users and messages', function () {
      const cycle = markdown.split('\n').find((line) => line.includes('public.users') && line.includes('public.messages') && line.includes('↔'));
      assert.ok(cycle, 'a users ↔ messages cycle');
      assert.match(markdown, /session_replication_role = replica/);
      assert.match(markdown, /--disable-triggers/);
    });

    it('gives the three restore commands for this set, with the folder quoted for the shell', function () {
      for (const mode of ['complete', 'schema', 'data']) {
        assert.ok(markdown.includes(`\`\`\`sh\npulse-backup restore ${manifest.id} --mode ${mode} --dir '${folder.replace(/'/g, "'\\''")}'\n\`\`\``), mode);
      }
      assert.ok(
        markdown.includes(
          `psql -X -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE" -f '${join(folder, manifest.files.find((file) => file.type === 'complete')!.name).replace(/'/g, "'\\''")}'`,
        ),
      );
    });

    it('shows the figures of the manifest: server, sizes, duration', function () {
      assert.ok(markdown.includes(`| Server | \`${server.host}:${server.port}\` |`));
      assert.match(markdown, new RegExp(`PostgreSQL version \\| ${manifest.server.version.replace(/\./g, '\\.')}`));
      assert.match(markdown, /Not verified yet: run `pulse-backup verify/);
    });
  });

  it('prints the model itself as JSON', async function () {
    const result = await summary([manifest.id, '--dir', folder, '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as BackupReport;
    assert.equal(report.format, 'pulse-backup-report');
    assert.equal(report.set.id, manifest.id);
    assert.equal(report.schema.tableCount, manifest.tables.length);
    assert.equal(report.database.name, 'factory_pulse');
    assert.equal(report.security.git.state, 'not-in-repository');
    assert.deepEqual(
      report.history.sets.map((set) => [set.id, set.status]),
      [
        [manifest.id, 'complete'],
        [`factory_pulse_${LEGACY_TS}`, 'legacy'],
      ],
    );
  });

  it('writes HTML in which hostile table names are only text', async function () {
    const result = await summary([manifest.id, '--dir', folder, '--format', 'html']);
    assert.equal(result.code, 0, result.stderr);
    const html = result.stdout;
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('&quot;a&amp;b&quot;'));
    assert.doesNotMatch(html, /<script|<img/i);
    assert.doesNotMatch(html, /<[^>]*\s(?:src|on[a-z]+)\s*=/i);
    assert.doesNotMatch(html, /<[^>]*\shref\s*=\s*"(?!#)/i);
  });

  it('writes to --out as a private file and says where', async function () {
    const out = join(parent, 'summary.html');
    const result = await summary([manifest.id, '--dir', folder, '--format', 'html', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `Wrote the HTML summary of ${manifest.id} to ${out}`);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
  });

  it('takes the format from the --out file name when --format is not given', async function () {
    const out = join(parent, 'summary.json');
    const result = await summary([manifest.id, '--dir', folder, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(readFileSync(out, 'utf8')) as BackupReport).set.id, manifest.id);
    assert.equal(statSync(out).mode & 0o777, 0o600);
  });

  it('fails with one line when --out cannot be written', async function () {
    const result = await summary([manifest.id, '--dir', folder, '--out', join(parent, 'missing', 'summary.md')]);
    assertOneLineError(result);
    assert.match(result.stderr, /cannot write the summary to/);
  });

  it("describes the old script's set, saying what was not recorded", async function () {
    const result = await summary([`factory_pulse_${LEGACY_TS}`, '--dir', folder]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /legacy \(made by the old backup script, no manifest\)/);
    assert.match(result.stdout, /row counts and sizes are unknown/);
    assert.match(result.stdout, /PostgreSQL version \| 15\.\d+ \(from the dump header\)/);
    const json = await summary([`factory_pulse_${LEGACY_TS}`, '--dir', folder, '--format', 'json']);
    assert.equal((JSON.parse(json.stdout) as BackupReport).set.status, 'legacy');
  });

  it('with the password "public", still shows the schema public and every name in it, and masks nothing that is not a password', async function () {
    const env = { PGPASSWORD: 'public', DATABASE_URL: `postgresql://postgres:public@127.0.0.1:${server.port}/factory_pulse` };
    for (const format of ['md', 'json']) {
      const result = await runCli(['summary', manifest.id, '--dir', folder, '--format', format], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /public\.users/);
      assert.match(result.stdout, /public\.messages/);
      assert.ok(!result.stdout.includes('****'), 'nothing in the summary is a password, so nothing is masked');
    }
  });

  it('names the sets there are when the set id is unknown', async function () {
    const result = await summary(['factory_pulse_20000101_000000', '--dir', folder]);
    assertOneLineError(result);
    assert.match(result.stderr, /no backup set factory_pulse_20000101_000000/);
  });

  describe('the psql commands it prints, run as printed', function () {
    async function runPrinted(command: string, database: string): Promise<void> {
      const execa = await loadExeca();
      const target = new URL(server.url(database));
      target.password = '';
      const result = await execa('sh', ['-c', command], {
        env: { PATH: process.env.PATH, PGPASSWORD: server.password, DATABASE: target.href },
        extendEnv: false,
        reject: false,
      });
      assert.equal(result.exitCode, 0, `${command}\n${String(result.stderr)}`);
    }

    async function report(id: string): Promise<BackupReport> {
      const result = await summary([id, '--dir', folder, '--format', 'json']);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as BackupReport;
    }

    it('restore the complete file into an empty database', async function () {
      const option = (await report(manifest.id)).restore.options.find((entry) => entry.mode === 'complete')!;
      await server.createDatabase('printed_complete', { template: 'template0' });
      await runPrinted(option.psql[0].command, 'printed_complete');
      await assertSameContent(server.url('factory_pulse'), server.url('printed_complete'));
    });

    it('restore schema then data into an empty database', async function () {
      const option = (await report(manifest.id)).restore.options.find((entry) => entry.mode === 'data')!;
      await server.createDatabase('printed_split', { template: 'template0' });
      await runPrinted(option.psql[1].command, 'printed_split');
      await assertSameContent(server.url('factory_pulse'), server.url('printed_split'));
    });

    it("load the old script's data file despite the circular keys", async function () {
      const legacy = await report(`factory_pulse_${LEGACY_TS}`);
      const schema = legacy.restore.options.find((entry) => entry.mode === 'schema')!;
      const data = legacy.restore.options.find((entry) => entry.mode === 'data')!;
      await server.createDatabase('printed_legacy', { template: 'template0' });
      await runPrinted(schema.psql[0].command, 'printed_legacy');
      await runPrinted(data.psql[0].command, 'printed_legacy');
      // Materialized views are not part of a data-only dump: the report says to refresh them.
      await server.query('printed_legacy', 'REFRESH MATERIALIZED VIEW public.project_overview');
      await assertSameContent(server.url('factory_legacy'), server.url('printed_legacy'));
    });
  });

  // Last of the suites, so it sees what every other test printed.
  describe('everything it printed', function () {
    it('never contains the server password', function () {
      assert.ok(outputs.length >= 10, `${outputs.length} outputs`);
      for (const output of outputs) {
        assert.ok(!output.stdout.includes(server.password) && !output.stderr.includes(server.password), 'no output contains the server password');
      }
    });
  });
});
