/**
 * A database that only speaks TLS, as hosted Supabase does (port 5432 or its
 * session pooler with `sslmode=require`, or `verify-full` and the project's
 * CA file): a real server with a certificate the tests make, refusing every
 * connection without TLS. Backup, verify --db and restore work over it with
 * the TLS parameters in the URL or in the PG* variables; a certificate for
 * another name, from another authority, or none to check against fails in
 * one line that says what to do; pg_dump and psql (libpq) and the engine's
 * own session (the pg driver) accept and refuse the same servers; the
 * password and the CA never reach a command line or a file.
 */
import { commandLineWords } from '../../src/core/commandLineWords';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { parseConnectionUrl, type ConnectionTarget } from '../../src/core/connection/target';
import { describeConnectionError } from '../../src/core/connection/failures';
import { childProcessEnv, pgClientConfig } from '../../src/core/connection/session';
import { formatError, toPulseError } from '../../src/core/errors';
import type { Manifest } from '../../src/core/sets/manifest';
import type { RestoreResult } from '../../src/core/restore/types';
import type { VerificationReport } from '../../src/core/verify/results';
import { assertOneLineError, runCli as runCliAnywhere, startCli as startCliAnywhere, type CliOptions } from '../support/cli';
import { assertSameContent } from '../support/fingerprint';
import { restoreArgs } from '../support/integration';
import { startServer, type TestServer } from '../support/pgServer';
import { hasProc, processes } from '../support/proc';
import { holdTable } from '../support/tableLock';
import { certificatesUnavailableReason, makeCertificates, type TestCertificates } from '../support/tls';
import { waitFor } from '../support/wait';
import { factorySample } from '../samples';

interface SeenProcess {
  commandLine: string;
  environment: string[];
}

/** The first `tool` process whose environment points at `port`, as /proc shows it to every user. */
function clientTool(tool: 'pg_dump' | 'psql', port: number): SeenProcess | undefined {
  const view = processes().find((candidate) => (candidate.argv[0]?.endsWith(`/${tool}`) || candidate.argv[0] === tool) && candidate.env().includes(`PGPORT=${port}`));
  return view && { commandLine: view.argv.join(' '), environment: view.env() };
}

/** Waits for `tool` to run for the CLI; when the CLI ends first, says what it said. */
async function whileRunning(cli: Promise<{ stderr: unknown }>, tool: 'pg_dump' | 'psql', port: number): Promise<SeenProcess> {
  let ended: string | undefined;
  void cli.then((result) => (ended = String(result.stderr)));
  return waitFor(`${tool} to start`, () => {
    if (ended !== undefined) throw new Error(`the CLI ended before ${tool} started: ${ended}`);
    return clientTool(tool, port);
  });
}

/** Every file under `folder`, recursively, with its text. */
function filesUnder(folder: string): { file: string; text: string }[] {
  const found: { file: string; text: string }[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const file = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(file));
    else found.push({ file, text: readFileSync(file, 'utf8') });
  }
  return found;
}

/** The body of a PEM file: what would show if the certificate itself were copied somewhere. */
function pemBody(file: string): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----'))
    .join('');
}

/**
 * libpq reads ~/.postgresql/root.crt when no CA is named, and so does the
 * engine: every run here gets a home without one (unless a test gives its
 * own), so that a developer's own CA file changes nothing.
 */
let emptyHome: string;
const isolated = (options: CliOptions = {}): CliOptions => ({ ...options, env: { HOME: emptyHome, ...options.env } });
const runCli = (args: readonly string[], options?: CliOptions) => runCliAnywhere(args, isolated(options));
const startCli = (args: readonly string[], options?: CliOptions) => startCliAnywhere(args, isolated(options));

describe('over TLS (a hosted database)', function () {
  this.timeout(240_000);
  let certificates: TestCertificates;
  let strangerCertificates: TestCertificates;
  let server: TestServer;
  let plainServer: TestServer;
  let parent: string;
  const source = 'app';
  const factory = factorySample();

  before(async function () {
    const unavailable = certificatesUnavailableReason();
    if (unavailable !== undefined) {
      console.log(`    skipped: the TLS tests make their certificates with openssl, and ${unavailable}`);
      this.skip();
    }
    certificates = makeCertificates(['localhost']);
    // Another authority, with a certificate for the same name: what a server in the middle would show.
    strangerCertificates = makeCertificates(['localhost'], 'Someone else');
    [server, plainServer] = await Promise.all([startServer({ ssl: { ...certificates, hostName: 'localhost' } }), startServer()]);
    await server.createDatabase(source);
    await server.loadSql(source, factory.file);
    await plainServer.createDatabase(source);
    parent = mkdtempSync(join(tmpdir(), 'pulse-backup-tls-'));
    emptyHome = mkdtempSync(join(parent, 'home-'));
  });

  after(async function () {
    await Promise.all([server?.stop(), plainServer?.stop()]);
    certificates?.remove();
    strangerCertificates?.remove();
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  /** A URL to the TLS server as `postgres`, with these query parameters. */
  function url(host: string, database: string, query: string): string {
    return `postgresql://postgres:${encodeURIComponent(server.password)}@${host}:${server.port}/${database}${query === '' ? '' : `?${query}`}`;
  }
  const verifyFull = (): string => `sslmode=verify-full&sslrootcert=${encodeURIComponent(certificates.caFile)}`;

  /** The PG* variables for the TLS server, as a shell profile or a CI job would set them. */
  function pgEnvironment(database: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { PGHOST: 'localhost', PGPORT: String(server.port), PGUSER: 'postgres', PGPASSWORD: server.password, PGDATABASE: database, ...extra };
  }

  /** Neither the password nor the CA (its path or its text) is in any file under `folder`. */
  function assertNoSecretsIn(folder: string): void {
    const files = filesUnder(folder);
    assert.ok(
      files.some((entry) => entry.file.endsWith('.manifest.json')),
      'the folder holds a set',
    );
    for (const { file, text } of files) {
      assert.ok(!text.includes(server.password), `${file} holds the password`);
      assert.ok(!text.includes(certificates.caFile) && !text.includes(certificates.folder), `${file} names the CA file`);
      assert.ok(!text.includes(pemBody(certificates.caFile).slice(0, 64)), `${file} holds the CA certificate`);
    }
  }

  async function roundTrip(name: string, how: { db?: (database: string) => string; env?: (database: string) => NodeJS.ProcessEnv }): Promise<string> {
    const folder = join(parent, name);
    const target = `${name}_target`;
    await server.createDatabase(target);
    const connect = (database: string): { args: string[]; env: NodeJS.ProcessEnv } => ({
      args: how.db ? ['--db', how.db(database)] : [],
      env: how.env ? how.env(database) : {},
    });

    const fromSource = connect(source);
    const backup = await runCli(['backup', ...fromSource.args, '--dir', folder, '--prefix', name, '--json'], { env: fromSource.env });
    assert.equal(backup.code, 0, backup.stderr);
    const manifest = JSON.parse(backup.stdout) as Manifest;
    assert.equal(manifest.database.host, 'localhost');

    // verify reads a database only from --db: the URL may leave the TLS settings to the PG* variables.
    const verifyDb = how.db ? how.db(target) : `postgresql://postgres@localhost:${server.port}/${target}`;
    const verify = await runCli(['verify', manifest.id, '--db', verifyDb, '--dir', folder, '--json'], { env: connect(target).env });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /"id": ?"target-reachable",[^}]*"status": ?"pass"/);

    const intoTarget = connect(target);
    const restore = await runCli(['restore', manifest.id, '--mode', 'complete', ...intoTarget.args, '--dir', folder, '--yes', '--json'], { env: intoTarget.env });
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal((JSON.parse(restore.stdout) as RestoreResult).rowCountsMatch, true);
    await assertSameContent(server.url(source), server.url(target));

    for (const format of ['md', 'html', 'json']) {
      const summary = await runCli(['summary', manifest.id, '--dir', folder, '--out', join(folder, `summary.${format}`)]);
      assert.equal(summary.code, 0, summary.stderr);
    }
    assertNoSecretsIn(folder);
    return manifest.id;
  }

  it('with sslmode=require: backup, verify --db and restore round-trip equal (the server refuses anything but TLS)', async function () {
    await roundTrip('require', { db: (database) => url('localhost', database, 'sslmode=require') });
  });

  it('with sslmode=verify-full and sslrootcert in the URL: backup, verify --db and restore (to localhost) round-trip equal', async function () {
    await roundTrip('verify_url', { db: (database) => url('localhost', database, verifyFull()) });
  });

  it('with sslmode=verify-full through PGSSLMODE and PGSSLROOTCERT: backup, verify --db and restore round-trip equal', async function () {
    await roundTrip('verify_env', { env: (database) => pgEnvironment(database, { PGSSLMODE: 'verify-full', PGSSLROOTCERT: certificates.caFile }) });
  });

  it('pg_dump and psql get the password and the CA only through their environment, never their command line', async function () {
    if (!hasProc) this.skip();
    const folder = join(parent, 'argv');
    const db = url('localhost', source, verifyFull());
    // A lock held elsewhere keeps pg_dump waiting (up to the backup's --lock-timeout) until we have looked at it.
    const held = await holdTable(server.url(source), 'public.messages');
    let manifest: Manifest;
    try {
      const { subprocess } = await startCli(['backup', '--db', db, '--dir', folder, '--prefix', 'argv', '--json']);
      const pgDump = await whileRunning(subprocess, 'pg_dump', server.port);
      await held.release();
      assertSecretsOnlyInEnvironment(pgDump);
      const result = await subprocess;
      assert.equal(result.exitCode, 0, String(result.stderr));
      manifest = JSON.parse(String(result.stdout)) as Manifest;
    } finally {
      await held.release();
    }

    // The same for psql: emptying a table waits (up to --lock-timeout) for a busy reader of it.
    const target = 'argv_target';
    await server.createDatabase(target, { template: source });
    const reader = await holdTable(server.url(target), 'public.messages', { mode: 'ACCESS SHARE', busy: true });
    try {
      const { subprocess } = await startCli(
        restoreArgs(manifest.id, 'data', url('localhost', target, verifyFull()), folder, ['--clean', '--lock-timeout', '60', '--no-safety-backup']),
      );
      const psql = await whileRunning(subprocess, 'psql', server.port);
      await reader.release();
      assertSecretsOnlyInEnvironment(psql);
      const result = await subprocess;
      assert.equal(result.exitCode, 0, String(result.stderr));
    } finally {
      await reader.release();
    }
    await assertSameContent(server.url(source), server.url(target));
  });

  function assertSecretsOnlyInEnvironment(seen: SeenProcess): void {
    assert.ok(!seen.commandLine.includes(server.password), `the password is on the command line: ${seen.commandLine}`);
    assert.ok(!seen.commandLine.includes(certificates.folder), `the CA is on the command line: ${seen.commandLine}`);
    assert.ok(seen.environment.includes(`PGPASSWORD=${server.password}`), 'the password travels in the environment');
    assert.ok(seen.environment.includes(`PGSSLROOTCERT=${certificates.caFile}`), 'the CA travels in the environment');
    assert.ok(seen.environment.includes('PGSSLMODE=verify-full'));
  }

  describe('what fails fails in one line, for backup, verify --db and restore alike', function () {
    let setId: string;
    let folder: string;

    before(async function () {
      folder = join(parent, 'failures');
      const backup = await runCli(['backup', '--db', url('localhost', source, 'sslmode=require'), '--dir', folder, '--prefix', 'failing', '--json']);
      assert.equal(backup.code, 0, backup.stderr);
      setId = (JSON.parse(backup.stdout) as Manifest).id;
    });

    /**
     * Runs backup, verify --db and restore against `db` and returns what each
     * says: backup's and restore's one-line error, verify's failed target check.
     */
    async function allFail(db: string, env: NodeJS.ProcessEnv = {}, exitCode = 1): Promise<string[]> {
      const unchanged = (): string[] =>
        readdirSync(folder)
          .filter((name) => !name.endsWith('.history.json'))
          .sort();
      const before = unchanged();
      const [backup, verify, restore] = await Promise.all([
        runCli(['backup', '--db', db, '--dir', folder, '--prefix', 'failing'], { env }),
        runCli(['verify', setId, '--db', db, '--dir', folder, '--json'], { env }),
        runCli(['restore', setId, '--mode', 'complete', '--db', db, '--dir', folder, '--yes'], { env }),
      ]);
      assertOneLineError(backup, exitCode);
      assertOneLineError(restore, exitCode);
      assert.equal(verify.code, 1, verify.stderr);
      const report = JSON.parse(verify.stdout) as VerificationReport;
      const reachable = report.groups.flatMap((group) => group.checks).find((check) => check.id === 'target-reachable');
      assert.equal(reachable?.status, 'fail');
      assert.deepEqual(unchanged(), before, 'nothing written but the verify history');
      for (const result of [backup, verify, restore]) assert.ok(!(result.stdout + result.stderr).includes(server.password));
      assertNoSecretsIn(folder);
      return [backup.stderr.trim(), reachable.detail, restore.stderr.trim()];
    }

    it('verify-full to 127.0.0.1 when the certificate names localhost: says the certificate is for localhost, use that name', async function () {
      for (const line of await allFail(url('127.0.0.1', source, verifyFull()))) {
        assert.match(line, /TLS certificate of PostgreSQL at 127\.0\.0\.1:\d+ is for localhost, not 127\.0\.0\.1/);
        assert.match(line, /connect to localhost/);
      }
    });

    it('verify-full with the CA of another authority: says the certificate is not signed by the CA in sslrootcert', async function () {
      const lines = await allFail(url('localhost', source, `sslmode=verify-full&sslrootcert=${encodeURIComponent(strangerCertificates.caFile)}`));
      for (const line of lines) {
        assert.match(line, /TLS certificate of PostgreSQL at localhost:\d+ is not signed by the certificate authority in sslrootcert/);
        assert.match(line, /CA certificate/);
        assert.ok(!line.includes(strangerCertificates.folder), 'the CA file is not named');
      }
    });

    it('verify-full with no CA file at all: says to give one in sslrootcert, as libpq would', async function () {
      // The home of every run here has no ~/.postgresql/root.crt, libpq's default CA file.
      for (const line of await allFail(url('localhost', source, 'sslmode=verify-full'), {}, 2)) {
        assert.match(line, /sslmode=verify-full checks the server's certificate, but no CA certificate was given/);
        assert.match(line, /sslrootcert=/);
      }
    });

    it('verify-full through the PG* variables to 127.0.0.1: the same clear line', async function () {
      const env = { PGSSLMODE: 'verify-full', PGSSLROOTCERT: certificates.caFile };
      for (const line of await allFail(`postgresql://postgres:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/${source}`, env)) {
        assert.match(line, /is for localhost, not 127\.0\.0\.1/);
      }
    });

    it('a connection without TLS (sslmode=disable) to the server that requires it: says to add sslmode=require', async function () {
      for (const line of await allFail(url('localhost', source, 'sslmode=disable'))) {
        assert.match(line, /does not accept unencrypted connections/);
        assert.match(line, /use sslmode=require instead of sslmode=disable/);
      }
    });

    it('sslmode=require to a server without TLS: says the server has no TLS', async function () {
      const db = `postgresql://postgres:${encodeURIComponent(plainServer.password)}@127.0.0.1:${plainServer.port}/${source}?sslmode=require`;
      for (const line of await allFail(db)) {
        assert.match(line, /PostgreSQL at 127\.0\.0\.1:\d+ does not accept SSL connections, but sslmode=require asks for SSL/);
      }
    });
  });

  describe("pg_dump and psql (libpq) accept and refuse the same servers as the engine's own session", function () {
    /** Connects as the engine does: the pg driver with pgClientConfig. */
    async function throughDriver(db: string, env: NodeJS.ProcessEnv): Promise<string> {
      let target: ConnectionTarget | undefined;
      try {
        target = parseConnectionUrl(db, { env });
        const client = new Client(pgClientConfig(target));
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query('SELECT 1');
          return 'connected';
        } finally {
          await client.end().catch(() => undefined);
        }
      } catch (error) {
        return formatError(target === undefined ? toPulseError(error) : describeConnectionError(error, target), commandLineWords);
      }
    }

    /** Connects as pg_dump and psql do: libpq, with childProcessEnv. */
    function throughLibpq(db: string, env: NodeJS.ProcessEnv): string {
      const target = parseConnectionUrl(db, { env });
      const result = spawnSync('psql', ['-X', '-q', '-A', '-t', '-c', 'SELECT 1'], { env: childProcessEnv(target, { PATH: process.env.PATH, ...env }), encoding: 'utf8' });
      if (result.status === 0) return 'connected';
      return formatError(describeConnectionError(Object.assign(new Error(result.stderr), { stderr: result.stderr }), target), commandLineWords);
    }

    const cases: { name: string; db: () => string; env?: () => NodeJS.ProcessEnv; connects: boolean }[] = [
      { name: 'sslmode=require', db: () => url('localhost', source, 'sslmode=require'), connects: true },
      { name: 'sslmode=require to 127.0.0.1 (no certificate check)', db: () => url('127.0.0.1', source, 'sslmode=require'), connects: true },
      { name: 'verify-full, the right CA, localhost', db: () => url('localhost', source, verifyFull()), connects: true },
      { name: 'verify-full, the right CA, 127.0.0.1', db: () => url('127.0.0.1', source, verifyFull()), connects: false },
      {
        name: 'verify-ca, the right CA, 127.0.0.1 (the name is not checked)',
        db: () => url('127.0.0.1', source, `sslmode=verify-ca&sslrootcert=${encodeURIComponent(certificates.caFile)}`),
        connects: true,
      },
      {
        name: 'verify-full, another authority',
        db: () => url('localhost', source, `sslmode=verify-full&sslrootcert=${encodeURIComponent(strangerCertificates.caFile)}`),
        connects: false,
      },
      // libpq: with a CA file, require checks the chain as verify-ca does.
      {
        name: 'require with the CA of another authority',
        db: () => url('localhost', source, `sslmode=require&sslrootcert=${encodeURIComponent(strangerCertificates.caFile)}`),
        connects: false,
      },
      { name: 'verify-full without a CA file', db: () => url('localhost', source, 'sslmode=verify-full'), connects: false },
      {
        name: 'verify-full with the CA in ~/.postgresql/root.crt',
        db: () => url('localhost', source, 'sslmode=verify-full'),
        env: () => ({ HOME: certificates.folder }),
        connects: true,
      },
      { name: 'verify-full through PGSSLROOTCERT', db: () => url('localhost', source, 'sslmode=verify-full'), env: () => ({ PGSSLROOTCERT: certificates.caFile }), connects: true },
      { name: 'sslmode=disable', db: () => url('localhost', source, 'sslmode=disable'), connects: false },
    ];

    before(function () {
      // libpq's default CA file, for the case that relies on it.
      const postgresFolder = join(certificates.folder, '.postgresql');
      mkdirSync(postgresFolder);
      copyFileSync(certificates.caFile, join(postgresFolder, 'root.crt'));
    });

    for (const testCase of cases) {
      it(`${testCase.name}: ${testCase.connects ? 'both connect' : 'both refuse, with the same line'}`, async function () {
        const env = { HOME: emptyHome, ...testCase.env?.() };
        const db = testCase.db();
        const driver = await throughDriver(db, env);
        const libpq = throughLibpq(db, env);
        if (testCase.connects) {
          assert.equal(driver, 'connected');
          assert.equal(libpq, 'connected');
        } else {
          assert.notEqual(driver, 'connected');
          // The engine's session connects first, but the tools must not say something else.
          assert.equal(libpq, driver);
        }
      });
    }
  });
});
