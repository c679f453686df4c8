/**
 * A data restore loads its rows with session_replication_role = replica,
 * which keeps ordinary triggers quiet. A trigger of the target set to fire
 * always (ENABLE ALWAYS TRIGGER), or in replica mode (ENABLE REPLICA
 * TRIGGER), ran on every row anyway: a restore that upper-cased a column
 * ended "matches the manifest" with every row changed. It is refused before
 * anything, naming the triggers, and verify --db warns of it.
 */
import { strict as assert } from 'node:assert';
import { assertOneLineError, runCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, listSets, restoreArgs, useServer, useTempFolders } from '../support/integration';
import type { Manifest } from '../../src/core/sets/manifest';
import type { VerificationReport } from '../../src/core/verify/results';

describe('a trigger of the target that fires while a data restore loads rows', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-load-triggers-');
  const source = 'load_triggers_source';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await server.query(source, `CREATE TABLE public.notes (id int PRIMARY KEY, note text NOT NULL); INSERT INTO public.notes VALUES (1, 'one'), (2, 'two');`);
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'load_triggers');
  });

  async function targetWithTrigger(database: string, enable: string): Promise<void> {
    await server.createDatabase(database, { template: source });
    await server.query(
      database,
      `CREATE FUNCTION public.shout() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := upper(NEW.note); RETURN NEW; END$$;
       CREATE TRIGGER shout BEFORE INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.shout();
       ALTER TABLE public.notes ${enable} TRIGGER shout;`,
    );
  }

  async function notes(database: string): Promise<string[]> {
    return (await server.query<{ note: string }>(database, 'SELECT note FROM public.notes ORDER BY id')).map((row) => row.note);
  }

  for (const [enable, words] of [
    ['ENABLE ALWAYS', 'ENABLE ALWAYS'],
    ['ENABLE REPLICA', 'ENABLE REPLICA'],
  ] as const) {
    it(`${enable}: data --clean is refused before anything (no safety backup), naming the trigger and what to do`, async function () {
      const database = `load_triggers_${enable.split(' ')[1].toLowerCase()}`;
      await targetWithTrigger(database, enable);
      const before = await fingerprintDatabase(server.url(database));
      const refused = await runCli(restoreArgs(manifest.id, 'data', server.url(database), folder, ['--clean']));
      assertOneLineError(refused);
      assert.equal(
        refused.stderr.trim(),
        `pulse-backup: cannot restore ${manifest.id} into postgres@127.0.0.1:${server.port}/${database}: ` +
          `the target has 1 trigger that fires on the rows the set loads and may change them: trigger shout on public.notes (${words}); ` +
          'the load keeps only ordinary triggers quiet (session_replication_role = replica): ' +
          `disable it for the restore (ALTER TABLE "public"."notes" DISABLE TRIGGER "shout";) and set it back after (ALTER TABLE "public"."notes" ${enable} TRIGGER "shout";), ` +
          'or make it an ordinary trigger, which the load keeps quiet (ALTER TABLE "public"."notes" ENABLE TRIGGER "shout";); nothing was changed',
      );
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(database))), []);
      assert.deepEqual(
        (await listSets(folder)).map((set) => set.id),
        [manifest.id],
        'no safety set',
      );

      // Made an ordinary trigger, it stays quiet while the rows load: they are the backup's.
      await server.query(database, 'ALTER TABLE public.notes ENABLE TRIGGER shout');
      const restored = await runCli(restoreArgs(manifest.id, 'data', server.url(database), folder, ['--clean', '--no-safety-backup']));
      assert.equal(restored.code, 0, restored.stderr);
      assert.deepEqual(await notes(database), ['one', 'two']);
    });
  }

  it('an UPDATE or DELETE trigger set to fire always never fires while rows load, and an AFTER one cannot change them: the restore goes ahead', async function () {
    const database = 'load_triggers_update';
    await server.createDatabase(database, { template: source });
    await server.query(
      database,
      `CREATE FUNCTION public.stamp() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := NEW.note || ' (edited)'; RETURN NEW; END$$;
       CREATE TRIGGER stamp BEFORE UPDATE OR DELETE ON public.notes FOR EACH ROW EXECUTE FUNCTION public.stamp();
       CREATE TRIGGER after_stamp AFTER INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.stamp();
       ALTER TABLE public.notes ENABLE ALWAYS TRIGGER stamp;
       ALTER TABLE public.notes ENABLE ALWAYS TRIGGER after_stamp;`,
    );
    const restored = await runCli(restoreArgs(manifest.id, 'data', server.url(database), folder, ['--clean', '--no-safety-backup']));
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await notes(database), ['one', 'two']);
    const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url(database), '--json']);
    const check = (JSON.parse(verified.stdout) as VerificationReport).groups.flatMap((group) => group.checks).find((found) => found.id === 'load-triggers');
    assert.equal(check?.status, 'pass', verified.stdout);
  });

  it('verify --db warns that a data restore would be refused, and passes once the trigger is ordinary', async function () {
    const database = 'load_triggers_verify';
    await targetWithTrigger(database, 'ENABLE ALWAYS');
    const warned = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url(database), '--json']);
    assert.equal(warned.code, 0, warned.stderr);
    const check = (JSON.parse(warned.stdout) as VerificationReport).groups.flatMap((group) => group.checks).find((found) => found.id === 'load-triggers');
    assert.equal(check?.status, 'warn', warned.stdout);
    assert.match(
      check.detail,
      /^a data restore would be refused: the target has 1 trigger that fires on the rows the set loads and may change them: trigger shout on public\.notes \(ENABLE ALWAYS\)/,
    );

    await server.query(database, 'ALTER TABLE public.notes ENABLE TRIGGER shout');
    const passed = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url(database), '--json']);
    const after = (JSON.parse(passed.stdout) as VerificationReport).groups.flatMap((group) => group.checks).find((found) => found.id === 'load-triggers');
    assert.equal(after?.status, 'pass', passed.stdout);
  });
});
