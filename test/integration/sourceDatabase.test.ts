/**
 * A set of one database restored into an unrelated one went through with
 * nothing said: the set's tables were merged into the target's own, the
 * plan said "replaces nothing" and verify --db passed. Restoring into a copy
 * under another name is normal, so it is no refusal: the pre-restore checks
 * warn (and with them the restore's plan) when the target is named otherwise
 * than the set's database and holds tables the set does not have.
 */
import { strict as assert } from 'node:assert';
import { runCli } from '../support/cli';
import { backupSet, restoreArgs, useServer, useTempFolders } from '../support/integration';
import type { Manifest } from '../../src/core/sets/manifest';
import type { RestoreResult } from '../../src/core/restore/types';
import type { CheckResult, VerificationReport } from '../../src/core/verify/results';

describe("a set restored into a database that is not the set's own", function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-source-database-');
  const source = 'source_db_shop';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await server.query(source, 'CREATE TABLE public.orders (id int PRIMARY KEY); CREATE TABLE public.customers (id int PRIMARY KEY); INSERT INTO public.orders VALUES (1);');
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'shop');
  });

  function sourceCheck(report: VerificationReport): CheckResult | undefined {
    return report.groups.flatMap((group) => group.checks).find((check) => check.id === 'source-database');
  }

  const warning = (target: string) =>
    `the set was taken from database ${source} (postgres@127.0.0.1:${server.port}); the target ${target} holds 3 tables the set does not have ` +
    "(music.albums, music.artists, public.customers_archive), and a restore puts the set's beside them";

  it("verify --db and the restore plan warn, naming the set's database and the target's own tables; the restore still goes ahead", async function () {
    const target = 'source_db_music';
    await server.createDatabase(target);
    await server.query(target, 'CREATE SCHEMA music; CREATE TABLE music.albums (id int); CREATE TABLE music.artists (id int); CREATE TABLE public.customers_archive (id int);');

    const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url(target), '--json']);
    assert.equal(verified.code, 0, verified.stderr);
    const check = sourceCheck(JSON.parse(verified.stdout) as VerificationReport);
    assert.equal(check?.status, 'warn', verified.stdout);
    assert.equal(check.detail, `${warning(target)}: make sure ${target} is the database to restore into, or restore into an empty one`);

    const plan = await runCli(restoreArgs(manifest.id, 'complete', server.url(target), folder).filter((arg) => arg !== '--yes'));
    assert.equal(plan.code, 1, plan.stderr);
    assert.ok(
      plan.stdout.includes(`  warning  The target is the set's own database, or holds no tables besides the set's: ${warning(target)}: make sure ${target} is the database`),
      plan.stdout,
    );

    const restored = await runCli(restoreArgs(manifest.id, 'complete', server.url(target), folder, ['--json', '--no-safety-backup']));
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(sourceCheck((JSON.parse(restored.stdout) as RestoreResult).plan.verification)?.status, 'warn');
  });

  it("passes an empty database under another name, and the set's own database", async function () {
    const empty = 'source_db_empty';
    await server.createDatabase(empty);
    for (const target of [empty, source]) {
      const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url(target), '--json']);
      assert.equal(verified.code, 0, verified.stderr);
      assert.equal(sourceCheck(JSON.parse(verified.stdout) as VerificationReport)?.status, 'pass', verified.stdout);
    }
  });
});
