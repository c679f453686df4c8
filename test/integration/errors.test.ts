/**
 * Every bad input gets one line saying what happened and what to do, exit
 * code 1 (2 for usage), never a stack trace and never the password — checked
 * against real servers, real ports and the real client tools.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { assertOneLineError, runCli } from '../support/cli';
import { useServer, useTempFolders } from '../support/integration';
import { hasServerMajor, startServer } from '../support/pgServer';
import { closedPort, silentServer } from '../support/ports';

/** An operating-system user without root's powers, for permission tests run as root. */
function unprivilegedUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  // pgServer.ts creates this user to run PostgreSQL when the tests run as root.
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('pulse_pg:'));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

describe('clear errors', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-errors-');
  let folder: string;

  before(async function () {
    await server.createDatabase('app');
    await server.query('app', 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)');
    folder = newFolder();
  });

  const backupInto = (dir: string, db: string, extra: string[] = []) => runCli(['backup', '--db', db, '--dir', dir, '--prefix', 'app', ...extra]);

  it('a server that is down: connection refused, fast, and nothing written', async function () {
    const dir = join(folder, 'down');
    const result = await backupInto(dir, `postgresql://postgres:secret-pw@127.0.0.1:${await closedPort()}/app`);
    assertOneLineError(result);
    assert.match(result.stderr, /connection refused/i);
    assert.match(result.stderr, /start the database|--db/);
    assert.ok(result.durationMs < 10_000, `took ${result.durationMs} ms`);
    assert.ok(!result.stderr.includes('secret-pw'));
    assert.ok(!existsSync(dir), 'a failed backup does not even create the folder');
  });

  it('a server that accepts but never answers: gives up within about 10 seconds', async function () {
    this.timeout(30_000);
    const silent = await silentServer();
    try {
      const result = await backupInto(join(folder, 'silent'), `postgresql://postgres:pw@127.0.0.1:${silent.port}/app`);
      assertOneLineError(result);
      assert.match(result.stderr, /no answer within 10 seconds/);
      assert.ok(result.durationMs < 13_000, `took ${result.durationMs} ms`);
    } finally {
      silent.close();
    }
  });

  it('a wrong password: says so, without echoing it', async function () {
    const result = await backupInto(join(folder, 'auth'), `postgresql://postgres:Wrong-Pass-123@${server.host}:${server.port}/app`);
    assertOneLineError(result);
    assert.match(result.stderr, /rejected the password for user "postgres"/);
    assert.ok(!result.stderr.includes('Wrong-Pass-123'));
  });

  it('no such database: names it and says how to pick another', async function () {
    const result = await backupInto(join(folder, 'nodb'), server.url('no_such_db'));
    assertOneLineError(result);
    assert.match(result.stderr, /no_such_db/);
    assert.match(result.stderr, /does not exist/);
    assert.ok(!result.stderr.includes(server.password));
  });

  it('a client-tools folder without pg_dump: says where it looked', async function () {
    const empty = join(folder, 'empty-bin');
    mkdirSync(empty);
    const result = await backupInto(join(folder, 'nobin'), server.url('app'), ['--pg-bin-dir', empty]);
    assertOneLineError(result);
    assert.match(result.stderr, /no pg_dump in/);
    assert.match(result.stderr, /pg-bin-dir/);
  });

  it('a backups folder that is a file: says so', async function () {
    const file = join(folder, 'a-file');
    writeFileSync(file, 'not a folder');
    const result = await backupInto(file, server.url('app'));
    assertOneLineError(result);
    assert.match(result.stderr, /is a file, not a folder/);
  });

  it('a backups folder that cannot be written: says so', async function () {
    const readOnly = join(folder, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o500);
    const user = unprivilegedUser();
    if (user) chownSync(readOnly, user.uid, user.gid);
    else if (userInfo().uid === 0) this.skip(); // root ignores permissions and no other user exists
    const result = await runCli(['backup', '--db', server.url('app'), '--dir', readOnly, '--prefix', 'app'], {
      uid: user?.uid,
      gid: user?.gid,
      cwd: tmpdir(),
    });
    assertOneLineError(result);
    assert.match(result.stderr, /cannot write to the backups folder/);
    assert.deepEqual(readdirSync(readOnly), []);
  });

  it('a role without SELECT on a table or USAGE on its schema: names which and the GRANT that lets it, and writes nothing', async function () {
    this.timeout(60_000);
    await server.createDatabase('guarded');
    await server.query(
      'guarded',
      `CREATE SCHEMA "Private Area"; CREATE TABLE "Private Area".ledger (id int PRIMARY KEY); CREATE TABLE public.open_data (id int);
       CREATE ROLE reader_role LOGIN PASSWORD 'Reader-Pass-77'; GRANT USAGE ON SCHEMA public TO reader_role; GRANT SELECT ON public.open_data TO reader_role`,
    );
    const dir = join(folder, 'guarded');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'keep me\n');
    const before = folderListing(dir);
    const asReader = (extra: string[] = []) =>
      runCli(['backup', '--db', server.url('guarded', 'reader_role'), '--dir', dir, '--prefix', 'guarded', ...extra], { env: { PGPASSWORD: 'Reader-Pass-77' } });

    const noSchema = await asReader();
    assertOneLineError(noSchema);
    assert.match(
      noSchema.stderr,
      /^pulse-backup: user "reader_role" may not read the schema Private Area \(of "Private Area".ledger\), and pg_dump reads everything it backs up: back up as the database owner or a superuser, or let the owner run GRANT USAGE ON SCHEMA "Private Area" TO "reader_role"; nothing was written; older backups are untouched$/m,
    );
    assert.deepEqual(folderListing(dir), before);

    await server.query('guarded', 'GRANT USAGE ON SCHEMA "Private Area" TO reader_role');
    for (const extra of [[], ['--jobs', '2']]) {
      const noTable = await asReader(extra);
      assertOneLineError(noTable);
      assert.match(
        noTable.stderr,
        /may not read the table "Private Area".ledger, .*or let the owner run GRANT SELECT ON "Private Area".ledger TO "reader_role"; nothing was written/,
      );
      assert.ok(!noTable.stderr.includes('Reader-Pass-77'));
      assert.deepEqual(folderListing(dir), before, `a refused backup with ${extra.join(' ') || 'no flags'} changed the folder`);
    }

    // The GRANT the message names is all the role lacked.
    await server.query('guarded', 'GRANT SELECT ON "Private Area".ledger TO reader_role');
    const granted = await asReader(['--json']);
    assert.equal(granted.code, 0, granted.stderr);

    // diff reads the live database as the same role: the same words, with what it does instead of backing up.
    await server.query('guarded', 'REVOKE SELECT ON "Private Area".ledger FROM reader_role');
    const setId = (JSON.parse(granted.stdout) as { id: string }).id;
    const diff = await runCli(['diff', setId, '--db', server.url('guarded', 'reader_role'), '--dir', dir], { env: { PGPASSWORD: 'Reader-Pass-77' } });
    assertOneLineError(diff);
    // pg_dump (the schema) or psql (the rows), whichever the server refuses first: both name the table with its schema.
    assert.match(
      diff.stderr,
      /^pulse-backup: user "reader_role" may not read the table "Private Area"\.("?)ledger\1, and every table is read to compare it with the set: connect as the database owner or a superuser, or let the owner run GRANT SELECT ON "Private Area"\."?ledger"? TO "reader_role"$/m,
    );
  });

  it('row-level security that applies to the role: names the table and what lets the role read every row, writes nothing; the owner a table forces its policies on is told of NO FORCE', async function () {
    this.timeout(60_000);
    await server.createDatabase('policed');
    await server.query(
      'policed',
      `CREATE ROLE ledger_owner LOGIN PASSWORD 'Owner-Pass-61'; CREATE ROLE ledger_reader LOGIN PASSWORD 'Reader-Pass-62';
       GRANT CREATE, USAGE ON SCHEMA public TO ledger_owner; GRANT USAGE ON SCHEMA public TO ledger_reader;
       CREATE TABLE public."Shop Ledger" (id int PRIMARY KEY, site text NOT NULL);
       INSERT INTO public."Shop Ledger" VALUES (1, 'north'), (2, 'south'), (3, 'south');
       ALTER TABLE public."Shop Ledger" OWNER TO ledger_owner;
       ALTER TABLE public."Shop Ledger" ENABLE ROW LEVEL SECURITY; ALTER TABLE public."Shop Ledger" FORCE ROW LEVEL SECURITY;
       CREATE POLICY own_site ON public."Shop Ledger" USING (site = current_user);
       GRANT SELECT ON public."Shop Ledger" TO ledger_reader`,
    );
    const dir = join(folder, 'policed');
    mkdirSync(dir);
    const as = (role: string, password: string, args: string[]) => runCli([...args, '--db', server.url('policed', role), '--dir', dir], { env: { PGPASSWORD: password } });
    for (const extra of [[], ['--jobs', '2']]) {
      const reader = await as('ledger_reader', 'Reader-Pass-62', ['backup', '--prefix', 'policed', ...extra]);
      assertOneLineError(reader);
      assert.match(
        reader.stderr,
        /^pulse-backup: row-level security keeps user "ledger_reader" from reading every row of the table public\."Shop Ledger", and pg_dump reads everything it backs up: back up as the table's owner, a superuser or a role with BYPASSRLS \(a superuser may run ALTER ROLE "ledger_reader" BYPASSRLS\); nothing was written; older backups are untouched$/m,
      );
      const owner = await as('ledger_owner', 'Owner-Pass-61', ['backup', '--prefix', 'policed', ...extra]);
      assertOneLineError(owner);
      assert.match(
        owner.stderr,
        /^pulse-backup: row-level security keeps user "ledger_owner" from reading every row of the table public\."Shop Ledger", and pg_dump reads everything it backs up: back up as a superuser or a role with BYPASSRLS, or, as "ledger_owner" owns the table, stop forcing its policies on its owner: ALTER TABLE public\."Shop Ledger" NO FORCE ROW LEVEL SECURITY; nothing was written; older backups are untouched$/m,
      );
      assert.deepEqual(readdirSync(dir), [], `a refused backup with ${extra.join(' ') || 'no flags'} wrote something`);
    }

    // What the line names is all the owner lacked: then every row is in the set, not only those the policy lets through.
    await server.query('policed', 'ALTER TABLE public."Shop Ledger" NO FORCE ROW LEVEL SECURITY');
    const owned = await as('ledger_owner', 'Owner-Pass-61', ['backup', '--prefix', 'policed', '--json']);
    assert.equal(owned.code, 0, owned.stderr);
    const manifest = JSON.parse(owned.stdout) as { id: string; tables: { name: string; rows: number }[] };
    assert.deepEqual(
      manifest.tables.map((table) => [table.name, table.rows]),
      [['Shop Ledger', 3]],
    );

    // diff reads the live database as the role: the same words, with what it does instead of backing up.
    const diff = await as('ledger_reader', 'Reader-Pass-62', ['diff', manifest.id]);
    assertOneLineError(diff);
    assert.match(
      diff.stderr,
      /^pulse-backup: row-level security keeps user "ledger_reader" from reading every row of the table "?public"?\."Shop Ledger", and every table is read to compare it with the set: connect as the table's owner, a superuser or a role with BYPASSRLS \(a superuser may run ALTER ROLE "ledger_reader" BYPASSRLS\)$/m,
    );
  });

  it('failures into a backups folder that exists leave it exactly as it was, hidden files included', async function () {
    this.timeout(60_000);
    const dir = join(folder, 'existing');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'keep me\n');
    const good = await backupInto(dir, server.url('app'));
    assert.equal(good.code, 0, good.stderr);
    const before = folderListing(dir);
    const emptyBin = join(folder, 'empty-bin-existing');
    mkdirSync(emptyBin);
    const failures: [string, string, string[]][] = [
      ['connection refused', `postgresql://postgres:pw@127.0.0.1:${await closedPort()}/app`, []],
      ['wrong password', `postgresql://postgres:Wrong-Pass-123@${server.host}:${server.port}/app`, []],
      ['no such database', server.url('no_such_db'), []],
      ['no pg_dump', server.url('app'), ['--pg-bin-dir', emptyBin]],
    ];
    for (const [what, db, extra] of failures) {
      const result = await backupInto(dir, db, extra);
      assertOneLineError(result);
      assert.deepEqual(folderListing(dir), before, `${what} changed the folder`);
    }
  });

  it('a pg_dump older than the server: names both versions and how to get the right one', async function () {
    if (!hasServerMajor(18)) this.skip();
    this.timeout(120_000);
    const newer = await startServer({ major: 18 });
    try {
      await newer.createDatabase('app');
      const result = await backupInto(join(folder, 'too-old'), newer.url('app'));
      assertOneLineError(result);
      assert.match(result.stderr, /pg_dump 15\.\d+/);
      assert.match(result.stderr, /PostgreSQL 18\.\d+ server/);
      assert.match(result.stderr, /PostgreSQL 18 client tools/);
      assert.ok(!result.stderr.includes(newer.password));
      assert.ok(!existsSync(join(folder, 'too-old')));
      // Into a folder that exists, the set's hidden files are created while
      // connecting: the version check that fails afterwards removes them.
      const existing = join(folder, 'too-old-existing');
      mkdirSync(existing);
      writeFileSync(join(existing, 'notes.txt'), 'keep me\n');
      const again = await backupInto(existing, newer.url('app'));
      assertOneLineError(again);
      assert.match(again.stderr, /PostgreSQL 18 client tools/);
      assert.deepEqual(folderListing(existing), [['notes.txt', 8]]);
    } finally {
      await newer.stop();
    }
  });

  it('a restore whose target is missing, refuses the password or is down: blames the target, not the set', async function () {
    const sets = join(folder, 'restore-target');
    const made = await backupInto(sets, server.url('app'), ['--json']);
    assert.equal(made.code, 0, made.stderr);
    const setId = (JSON.parse(made.stdout) as { id: string }).id;
    const downPort = await closedPort();
    const targets: [string, string, RegExp][] = [
      [server.url('no_such_db'), `postgres@${server.host}:${server.port}/no_such_db`, /database "no_such_db" does not exist.*CREATE DATABASE/],
      [`postgresql://postgres:Wrong-Pass-123@${server.host}:${server.port}/app`, `postgres@${server.host}:${server.port}/app`, /rejected the password for user "postgres"/],
      [`postgresql://postgres:pw@127.0.0.1:${downPort}/app`, `postgres@127.0.0.1:${downPort}/app`, /connection refused/],
    ];
    for (const [url, described, why] of targets) {
      const result = await runCli(['restore', setId, '--mode', 'complete', '--db', url, '--dir', sets, '--yes']);
      assertOneLineError(result);
      assert.ok(result.stderr.startsWith(`pulse-backup: cannot restore ${setId} into ${described}: `), result.stderr);
      assert.match(result.stderr, why);
      assert.match(result.stderr, /; nothing was changed$/m);
      assert.doesNotMatch(result.stderr, /failed verification|restore another set|Wrong-Pass-123/);
    }
  });

  it('an unknown set id: names it and points at the list', async function () {
    const result = await runCli(['show', 'nope_20250101_000000', '--dir', folder]);
    assertOneLineError(result);
    assert.match(result.stderr, /no backup set nope_20250101_000000/);
    assert.match(result.stderr, /pulse-backup (list|backup)/);
    const missing = join(folder, 'no-such-folder');
    const inMissing = await runCli(['show', 'nope_20250101_000000', '--dir', missing]);
    assertOneLineError(inMissing);
    assert.equal(inMissing.stderr.trim(), `pulse-backup: no backup set nope_20250101_000000: the folder ${missing} does not exist: check --dir and run again`);
    assert.ok(!existsSync(missing));
  });

  it('an unknown command or flag: usage error, exit code 2', async function () {
    const command = await runCli(['bakup']);
    assertOneLineError(command, 2);
    assert.match(command.stderr, /unknown command "bakup"/);
    const flag = await runCli(['backup', '--dbb', 'x']);
    assertOneLineError(flag, 2);
    assert.match(flag.stderr, /unknown flag --dbb/);
    const missingValue = await runCli(['backup', '--db']);
    assertOneLineError(missingValue, 2);
    const negative = await runCli(['prune', '--keep', '-1', '--dir', folder]);
    assertOneLineError(negative, 2);
    assert.match(negative.stderr, /^pulse-backup: --keep takes a whole number of at least 1: usage: pulse-backup prune \[FLAGS\]; pulse-backup help prune lists the flags$/m);
  });

  it('with --json, a failure is also a JSON document on stdout, with the code, the line and the exit code', async function () {
    const unknown = await runCli(['verify', 'no_such_20250101_000000', '--dir', folder, '--json']);
    assertOneLineError(unknown);
    assert.deepEqual(JSON.parse(unknown.stdout), {
      error: { code: 'unknown-set', message: `no backup set no_such_20250101_000000 in ${folder}`, hint: unknown.stderr.replace(/^pulse-backup: [^:]*: /, '').trim(), exitCode: 1 },
    });
    const down = await runCli(['backup', '--db', `postgresql://postgres:Secret-Pw-9@127.0.0.1:${await closedPort()}/app`, '--dir', join(folder, 'json-down'), '--json']);
    assertOneLineError(down);
    const error = (JSON.parse(down.stdout) as { error: { code: string; message: string; exitCode: number } }).error;
    assert.deepEqual([error.code, error.exitCode], ['connection-refused', 1]);
    assert.ok(!down.stdout.includes('Secret-Pw-9'));
    const usage = await runCli(['list', '--json', '--bogus']);
    assertOneLineError(usage, 2);
    assert.deepEqual((JSON.parse(usage.stdout) as { error: { code: string; exitCode: number } }).error.exitCode, 2);
    // Without --json, stdout stays empty; guard's --json after -- is its command's, not ours.
    assert.equal((await runCli(['verify', 'no_such_20250101_000000', '--dir', folder])).stdout, '');
    const guard = await runCli(['guard', '--db', `postgresql://postgres:pw@127.0.0.1:${await closedPort()}/app`, '--dir', join(folder, 'json-guard'), '--', 'echo', '--json']);
    assert.equal(guard.code, 125, guard.stderr);
    assert.equal(guard.stdout, '');
  });

  it('a malformed URL: usage error that does not repeat the password', async function () {
    const result = await runCli(['backup', '--db', 'postgresql://postgres:Hunter2-Secret@host:notaport/db', '--dir', folder]);
    assert.ok(result.code === 2 || result.code === 1, result.stderr);
    assertOneLineError(result, result.code);
    assert.ok(!result.stderr.includes('Hunter2-Secret'));
  });
});

/** Every entry of a folder, hidden ones too, with its size: what a failed backup must leave alone. */
function folderListing(dir: string): [string, number][] {
  return readdirSync(dir)
    .sort()
    .map((name) => [name, statSync(join(dir, name)).size]);
}
