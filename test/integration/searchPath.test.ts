/**
 * A database whose owner (not a superuser) put their own schema before
 * pg_catalog in its search_path and planted a function there with the name
 * of one the tool's queries call, current_setting: whoever backs up or
 * restores as a superuser would run it with a superuser's rights. pg_dump
 * guards its own sessions against this; so does every session of the tool
 * (an empty search_path before anything else), and every command runs
 * without the planted function ever being called.
 */
import { strict as assert } from 'node:assert';
import { runCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, restoreArgs, useServer, useTempFolders } from '../support/integration';

const OWNER = 'pulse_schemer';
const PASSWORD = 'Schemer-Pass-9';

describe("a database owner's functions shadowing pg_catalog's", function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-search-path-');
  const database = 'schemed';
  let folder: string;
  let setId: string;

  before(async function () {
    await server.query('postgres', `CREATE ROLE ${OWNER} LOGIN PASSWORD '${PASSWORD}'`);
    await server.query('postgres', `CREATE DATABASE ${database} OWNER ${OWNER}`);
    // As the owner: what a non-superuser may do in a database of their own.
    await server.query(
      database,
      `SET ROLE ${OWNER};
       CREATE TABLE public.orders (id integer PRIMARY KEY, placed timestamptz NOT NULL);
       INSERT INTO public.orders SELECT g, timestamptz '2026-01-01' + g * interval '1 hour' FROM generate_series(1, 500) g;
       CREATE FUNCTION public.current_setting(text) RETURNS text LANGUAGE plpgsql AS $$
       BEGIN
         IF session_user <> '${OWNER}' THEN RAISE EXCEPTION 'planted current_setting ran as %', session_user; END IF;
         RETURN pg_catalog.current_setting($1);
       END $$;
       ALTER DATABASE ${database} SET search_path = public, pg_catalog;
       RESET ROLE`,
    );
    // The trap is set: a superuser's session with the database's search_path calls it.
    await assert.rejects(server.query(database, "SELECT current_setting('server_version_num')"), /planted current_setting ran as postgres/);
    folder = newFolder();
  });

  it('backup, verify --db, diff and prove run as a superuser without calling it', async function () {
    this.timeout(120_000);
    const set = await backupSet(server, database, folder, 'schemed', ['--jobs', '2'], { env: { PULSE_BACKUP_PARALLEL_MIN_BYTES: '0' } });
    setId = set.id;
    for (const args of [
      ['verify', setId, '--db', server.url(database), '--dir', folder],
      ['diff', setId, '--db', server.url(database), '--dir', folder],
      ['prove', setId, '--db', server.url(database), '--dir', folder],
    ]) {
      const result = await runCli(args);
      assert.equal(result.code, 0, `${args[0]}: ${result.stderr}${result.stdout}`);
      assert.doesNotMatch(result.stdout + result.stderr, /planted/);
    }
  });

  for (const [mode, extra] of [
    ['complete', ['--clean']],
    ['data', ['--clean']],
  ] as const) {
    it(`restore --mode ${mode} ${extra.join(' ')} as a superuser, with its safety backup, without calling it: the database is as before`, async function () {
      this.timeout(120_000);
      const before = await fingerprintDatabase(server.url(database));
      const result = await runCli(restoreArgs(setId, mode, server.url(database), folder, [...extra]));
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stdout + result.stderr, /planted/);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(database))), []);
    });
  }

  it('restore --jobs 2 into an empty database of the same owner, without calling it', async function () {
    this.timeout(120_000);
    const copy = 'schemed_copy';
    await server.query('postgres', `CREATE DATABASE ${copy} OWNER ${OWNER}`);
    await server.query('postgres', `ALTER DATABASE ${copy} SET search_path = public, pg_catalog`);
    const result = await runCli(restoreArgs(setId, 'complete', server.url(copy), folder, ['--jobs', '2', '--no-safety-backup']));
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(diffFingerprints(await fingerprintDatabase(server.url(database)), await fingerprintDatabase(server.url(copy))), []);
  });
});
