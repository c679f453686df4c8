/**
 * What `restore --clean` promises over a real database, and what stops it.
 * What the backup holds is replaced, with everything that depends on it
 * inside the backup; only objects outside the backup that depend on it stop
 * the restore, before anything changes, each named with its kind. A restore
 * never queues for ever behind another session, never needs more locks than
 * the server has without saying so first, and one that does not commit
 * leaves every sequence as it was, whichever way it ends.
 */
import { strict as assert } from 'node:assert';
import { Client } from 'pg';
import type { Manifest } from '../../src/core/sets/manifest';
import { executeRestore } from '../../src/core/restore/load';
import { planRestore } from '../../src/core/restore/plan';
import { parseConnectionUrl } from '../../src/core/connection/target';
import type { PulseError } from '../../src/core/errors';
import { assertOneLineError, runCli, startCli } from '../support/cli';
import { assertSameContent, diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { psqlPids, waitFor } from '../support/processes';
import { backupSet, listSets, restoreArgs, restoreSet, useServer, useTempFolders } from '../support/integration';
import { startServer } from '../support/pgServer';
import { loadSample, sampleCases } from '../samples';

/** A hint of words alone, as one line. */
const hintText = (error: PulseError) => (error.hint ?? []).map((part) => (typeof part === 'string' ? part : '')).join('');

const sample = (name: string) => sampleCases().find((candidate) => candidate.name === name)!;

describe('restore --clean on real schemas', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-clean-');
  const source = 'clean_src';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await loadSample(server, source, sample('dependencies'));
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'deps');
  });

  const restore = (target: string, mode: string, extra: string[] = []) => restoreSet(server, manifest.id, folder, target, mode, ['--no-safety-backup', ...extra]);

  async function copyOfSource(name: string): Promise<string> {
    await server.createDatabase(name, { template: source });
    return name;
  }

  describe('objects outside the backup', function () {
    it('stop a complete --clean before anything changes, each named with its kind and what it depends on', async function () {
      const target = await copyOfSource('outside_complete');
      await server.query(
        target,
        `CREATE VIEW public.heavy_parts AS SELECT id, weight FROM catalogue.parts WHERE weight > 50;
         CREATE TABLE public.orders (id int PRIMARY KEY, part_id bigint REFERENCES catalogue.parts (id), state catalogue.part_state);
         CREATE FUNCTION public.assembly_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM catalogue.assemblies; END;`,
      );
      const before = await fingerprintDatabase(server.url(target));
      const result = await restore(target, 'complete', ['--clean']);
      assertOneLineError(result);
      assert.match(result.stderr, /the target has 4 objects the backup does not have that depend on what --clean would replace/);
      assert.doesNotMatch(result.stderr, /column \w+ of view/, 'a view outside the backup is named once, not with its columns');
      assert.match(result.stderr, /view public\.heavy_parts \(on table catalogue\.parts\)/);
      assert.match(result.stderr, /constraint orders_part_id_fkey on table public\.orders \(on table catalogue\.parts\)/);
      assert.match(result.stderr, /column state of table public\.orders \(on type catalogue\.part_state\)/);
      assert.match(result.stderr, /function public\.assembly_count\(\) \(on table catalogue\.assemblies\)/);
      assert.match(result.stderr, /nothing was changed/);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    });

    it('stop a schema --clean the same way, and nothing the backup has (its rules, views on views, policies) is ever named', async function () {
      const target = await copyOfSource('outside_schema');
      await server.query(target, 'CREATE VIEW public.released_names AS SELECT code FROM catalogue.released_heavy');
      const result = await restore(target, 'schema', ['--clean']);
      assertOneLineError(result);
      assert.match(
        result.stderr,
        /the target has 1 object the backup does not have that depend on what --clean would replace: view public\.released_names \(on view catalogue\.released_heavy\):/,
      );
    });

    it('stop a data --clean when a table outside the backup references one it would empty', async function () {
      const target = await copyOfSource('outside_data');
      await server.query(
        target,
        'CREATE TABLE public.inspections (id int PRIMARY KEY, part_id bigint REFERENCES catalogue.parts (id)); INSERT INTO public.inspections VALUES (1, 3)',
      );
      const before = await fingerprintDatabase(server.url(target));
      const result = await restore(target, 'data', ['--clean']);
      assertOneLineError(result);
      assert.match(
        result.stderr,
        /the target has 1 object the backup does not have that reference the tables --clean would empty: constraint inspections_part_id_fkey on table public\.inspections \(on table catalogue\.parts\)/,
      );
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    });

    it('that appear after the pre-flight fail the restore inside its transaction, and it rolls back', async function () {
      const target = await copyOfSource('outside_late');
      const before = await fingerprintDatabase(server.url(target));
      const options = {
        folder,
        setId: manifest.id,
        mode: 'complete' as const,
        target: parseConnectionUrl(server.url(target)),
        env: {},
        clean: true,
        allowRemote: false,
      };
      const plan = await planRestore(options);
      // Between the confirmation and the load, someone adds a view on a backed-up table.
      await server.query(target, 'CREATE VIEW public.late_view AS SELECT code FROM catalogue.parts');
      const withView = await fingerprintDatabase(server.url(target));
      await assert.rejects(executeRestore(plan, { safetyBackup: false }), (error: Error) => {
        assert.match(error.message, /since the pre-flight, the target has gained 1 object the backup does not have .*view public\.late_view/);
        return true;
      });
      assert.deepEqual(diffFingerprints(withView, await fingerprintDatabase(server.url(target))), []);
      assert.notDeepEqual(diffFingerprints(before, withView), []);
    });
  });

  describe("what hangs on the backup's tables", function () {
    // TRUNCATE of a parent empties its partitions and inheritance children,
    // and is refused by a foreign key into it: those the backup does not
    // have stop the restore, whenever they appear.
    const hanging = 'hanging_src';
    let hangingFolder: string;
    let hangingSet: Manifest;

    before(async function () {
      await server.createDatabase(hanging);
      await server.query(
        hanging,
        `CREATE TABLE public.readings (id serial, taken date NOT NULL, value int) PARTITION BY RANGE (taken);
         CREATE TABLE public.readings_jan PARTITION OF public.readings FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
         INSERT INTO public.readings (taken, value) VALUES ('2024-01-05', 1);
         CREATE TABLE public.notes (id int PRIMARY KEY, body text);
         INSERT INTO public.notes VALUES (1, 'kept in the backup');
         CREATE TABLE public.artists (id int PRIMARY KEY, name text);
         INSERT INTO public.artists VALUES (1, 'a');`,
      );
      hangingFolder = newFolder();
      hangingSet = await backupSet(server, hanging, hangingFolder, 'hanging');
    });

    const restoreHanging = (target: string, mode: string) => restoreSet(server, hangingSet.id, hangingFolder, target, mode, ['--clean', '--no-safety-backup']);

    async function withLaterPartitionAndChild(target: string): Promise<string> {
      await server.createDatabase(target, { template: hanging });
      await server.query(
        target,
        `CREATE TABLE public.readings_feb PARTITION OF public.readings FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
         INSERT INTO public.readings (taken, value) VALUES ('2024-02-05', 2);
         CREATE TABLE public.notes_archive () INHERITS (public.notes);
         INSERT INTO public.notes_archive VALUES (2, 'written since');`,
      );
      return target;
    }

    it('complete --clean names a partition the backup does not have on its table, not on the sequence its column default came with', async function () {
      const target = await withLaterPartitionAndChild('hanging_partition_complete');
      const before = await fingerprintDatabase(server.url(target));
      const result = await restoreHanging(target, 'complete');
      assertOneLineError(result);
      assert.match(result.stderr, /table public\.readings_feb \(on table public\.readings\)/);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    });

    it('a partition or inheritance child the backup does not have stops a data --clean before anything (TRUNCATE would empty it), named as complete --clean names it, with what detaches it', async function () {
      const target = await withLaterPartitionAndChild('hanging_partition_data');
      const before = await fingerprintDatabase(server.url(target));
      const result = await restoreHanging(target, 'data');
      assertOneLineError(result);
      assert.match(
        result.stderr,
        /the target has 2 objects the backup does not have that are partitions or inheritance children of the tables --clean would empty, which would empty them too: table public\.notes_archive \(on table public\.notes\); table public\.readings_feb \(on table public\.readings\): detach them \(ALTER TABLE public\.notes_archive NO INHERIT public\.notes; ALTER TABLE public\.readings DETACH PARTITION public\.readings_feb;\) or drop them first, or restore into a copy without them; nothing was changed/,
      );
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    });

    it('a foreign key into a table it empties stops it with advice that works: drop that constraint (emptying the table would not help), and the restore then runs', async function () {
      const target = 'hanging_reference';
      await server.createDatabase(target, { template: hanging });
      await server.query(target, 'CREATE TABLE public.fans (artist_id int REFERENCES public.artists)');
      const before = await fingerprintDatabase(server.url(target));
      const result = await restoreHanging(target, 'data');
      assertOneLineError(result);
      const advice =
        /drop that constraint \(ALTER TABLE public\.fans DROP CONSTRAINT fans_artist_id_fkey;\) or its table first, or restore into a copy without it; nothing was changed/;
      assert.match(result.stderr, /reference the tables --clean would empty: constraint fans_artist_id_fkey on table public\.fans \(on table public\.artists\)/);
      assert.match(result.stderr, advice);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
      await server.query(target, 'ALTER TABLE public.fans DROP CONSTRAINT fans_artist_id_fkey');
      const followed = await restoreHanging(target, 'data');
      assert.equal(followed.code, 0, followed.stderr);
      // fans, which the backup does not have, was left as it was; the rest is the backup's.
      await server.query(target, 'DROP TABLE public.fans');
      await assertSameContent(server.url(hanging), server.url(target));
    });

    for (const late of [
      {
        what: 'a partition',
        sql: `CREATE TABLE public.readings_feb PARTITION OF public.readings FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
              INSERT INTO public.readings (taken, value) VALUES ('2024-02-05', 2)`,
        found:
          /since the pre-flight, the target has gained 1 object the backup does not have that are partitions or inheritance children of the tables --clean would empty, which would empty them too: table public\.readings_feb \(on table public\.readings\)/,
        advice: /detach it \(ALTER TABLE public\.readings DETACH PARTITION public\.readings_feb;\) or drop it first, or restore into a copy without it; the target is unchanged/,
      },
      {
        what: 'a foreign key',
        sql: 'CREATE TABLE public.fans (artist_id int REFERENCES public.artists)',
        found:
          /since the pre-flight, the target has gained 1 object the backup does not have that reference the tables --clean would empty: constraint fans_artist_id_fkey on table public\.fans \(on table public\.artists\)/,
        advice:
          /drop that constraint \(ALTER TABLE public\.fans DROP CONSTRAINT fans_artist_id_fkey;\) or its table first, or restore into a copy without it; the target is unchanged/,
      },
    ]) {
      it(`${late.what} that appears after the pre-flight fails it inside its transaction, in the same words, and it rolls back`, async function () {
        const target = `hanging_late_${late.what.replace(/\W/g, '_')}`;
        await server.createDatabase(target, { template: hanging });
        const plan = await planRestore({
          folder: hangingFolder,
          setId: hangingSet.id,
          mode: 'data',
          target: parseConnectionUrl(server.url(target)),
          env: {},
          clean: true,
          allowRemote: false,
        });
        // Between the confirmation and the load, someone adds it.
        await server.query(target, late.sql);
        const changed = await fingerprintDatabase(server.url(target));
        await assert.rejects(executeRestore(plan, { safetyBackup: false }), (error: PulseError) => {
          assert.match(error.message, late.found);
          assert.match(hintText(error), late.advice);
          return true;
        });
        assert.deepEqual(diffFingerprints(changed, await fingerprintDatabase(server.url(target))), []);
      });
    }
  });

  describe('lock waits', function () {
    /** A session that holds a lock on a backed-up table; `active`: busy in a statement, else idle in its transaction. */
    async function holdLock(database: string, sql: string, active: boolean): Promise<{ client: Client; pid: number; release: () => Promise<void> }> {
      const client = new Client({ connectionString: server.url(database), application_name: 'warehouse-sync' });
      client.on('error', () => undefined);
      await client.connect();
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await client.query('BEGIN');
      await client.query(sql);
      const busy = active ? client.query('SELECT pg_sleep(60)').catch(() => undefined) : undefined;
      return {
        client,
        pid,
        release: async () => {
          await server.query('postgres', 'SELECT pg_terminate_backend($1)', [pid]);
          await busy;
          await client.end().catch(() => undefined);
        },
      };
    }

    it('an idle transaction holding a table the restore must drop is named by the pre-flight, with no advice to wait longer, and nothing changes', async function () {
      const target = await copyOfSource('idle_holder');
      const holder = await holdLock(target, 'SELECT count(*) FROM catalogue.assemblies', false);
      try {
        const before = await fingerprintDatabase(server.url(target));
        const started = Date.now();
        // However long it may wait, the pre-flight refuses at once: waiting longer is no way through.
        const result = await restore(target, 'complete', ['--clean', '--lock-timeout', '60']);
        assertOneLineError(result);
        assert.match(
          result.stderr,
          new RegExp(
            `another session holds locks on tables this restore must change, in an idle transaction: pid ${holder.pid} \\(warehouse-sync, postgres, idle in transaction for \\d+ s, holds AccessShareLock on catalogue\\.assemblies\\)`,
          ),
        );
        assert.match(result.stderr, new RegExp(`end that transaction \\(or end the session with SELECT pg_terminate_backend\\(${holder.pid}\\);\\); nothing was changed$`, 'm'));
        assert.doesNotMatch(result.stderr, /lock-timeout/);
        assert.ok(Date.now() - started < 8_000, 'refused without waiting for the lock');
        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
      } finally {
        await holder.release();
      }
    });

    it("loading rows is held up only by locks that keep rows out: a reader's idle transaction is no reason to refuse, a writer's exclusive lock is", async function () {
      const target = 'rows_only';
      await server.createDatabase(target);
      const schema = await restore(target, 'schema');
      assert.equal(schema.code, 0, schema.stderr);
      const reader = await holdLock(target, 'SELECT count(*) FROM catalogue.parts', false);
      try {
        const loaded = await restore(target, 'data');
        assert.equal(loaded.code, 0, loaded.stderr);
      } finally {
        await reader.release();
      }
      await server.createDatabase('rows_blocked');
      assert.equal((await restore('rows_blocked', 'schema')).code, 0);
      const writer = await holdLock('rows_blocked', 'LOCK TABLE catalogue.assemblies IN SHARE MODE', false);
      try {
        const refused = await restore('rows_blocked', 'data');
        assertOneLineError(refused);
        assert.match(
          refused.stderr,
          new RegExp(`in an idle transaction: pid ${writer.pid} \\(warehouse-sync, postgres, idle in transaction for \\d+ s, holds ShareLock on catalogue\\.assemblies\\)`),
        );
      } finally {
        await writer.release();
      }
    });

    it('a busy session holding a lock makes the restore give up after --lock-timeout, naming it, and the application is not blocked after', async function () {
      const target = await copyOfSource('busy_holder');
      const holder = await holdLock(target, 'LOCK TABLE catalogue.assemblies IN ROW EXCLUSIVE MODE', true);
      try {
        const before = await fingerprintDatabase(server.url(target));
        const started = Date.now();
        const result = await restore(target, 'complete', ['--clean', '--lock-timeout', '1']);
        assertOneLineError(result);
        // The relation is named when the server's error names it (it does when the wait was on locking that table).
        assert.match(
          result.stderr,
          new RegExp(
            `restore gave up after waiting 1 s for a lock( on catalogue\\.assemblies)? and was rolled back: held by pid ${holder.pid} \\(warehouse-sync, postgres, active`,
          ),
        );
        assert.match(result.stderr, /RowExclusiveLock on catalogue\.assemblies/);
        assert.match(result.stderr, /--lock-timeout SECONDS; the target is unchanged/);
        assert.ok(Date.now() - started < 15_000);
        // The restore's queued lock is gone: the application reads at once.
        const reader = new Client({ connectionString: server.url(target), statement_timeout: 2_000 });
        await reader.connect();
        await reader.query('SELECT count(*) FROM catalogue.parts');
        await reader.end();
        await holder.release();
        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
      } finally {
        await holder.release().catch(() => undefined);
      }
    });
    // A migration under way holds its table in ACCESS EXCLUSIVE mode, which blocks even reading it: the
    // plan's count of what a table holds now waited for it with no end and no word.
    for (const [mode, extra] of [
      ['data', []],
      ['complete', ['--clean']],
    ] as const) {
      it(`a busy session holding a table in ACCESS EXCLUSIVE mode stops the plan of a ${mode} restore${extra.length ? ' --clean' : ''} after --lock-timeout, naming it, and nothing changes`, async function () {
        const target = await copyOfSource(`exclusive_${mode}`);
        const before = await fingerprintDatabase(server.url(target));
        const holder = await holdLock(target, 'LOCK TABLE catalogue.assemblies IN ACCESS EXCLUSIVE MODE', true);
        try {
          const started = Date.now();
          const result = await restore(target, mode, [...extra, '--lock-timeout', '1']);
          assertOneLineError(result);
          assert.match(
            result.stderr,
            new RegExp(
              `restore gave up after waiting 1 s to read catalogue\\.assemblies, before changing anything: held by pid ${holder.pid} \\(warehouse-sync, postgres, active for \\d+ s, holds AccessExclusiveLock on catalogue\\.assemblies\\)`,
            ),
          );
          assert.match(result.stderr, /--lock-timeout SECONDS; nothing was changed$/m);
          assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
        } finally {
          await holder.release();
        }
        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
      });
    }

    it("a table outside the set that another session holds stops the safety backup after the restore's --lock-timeout, not a backup's 60 s, in a restore's words", async function () {
      const target = await copyOfSource('safety_held');
      await server.query(target, 'CREATE TABLE public.import_batches (id int PRIMARY KEY)');
      const before = await fingerprintDatabase(server.url(target));
      const setsBefore = (await listSets(folder)).map((set) => set.id);
      const holder = await holdLock(target, 'LOCK TABLE public.import_batches IN ACCESS EXCLUSIVE MODE', true);
      try {
        const started = Date.now();
        const result = await restoreSet(server, manifest.id, folder, target, 'data', ['--clean', '--lock-timeout', '2']);
        assertOneLineError(result);
        assert.match(
          result.stderr,
          new RegExp(
            `the safety backup failed, so nothing was restored and the target is unchanged: public\\.import_batches is locked by another session, pid ${holder.pid} \\(warehouse-sync, postgres, active .*\\): the safety backup waited 2 s for it and stopped; nothing was written`,
          ),
        );
        assert.match(result.stderr, /then try again \(--lock-timeout SECONDS waits longer\)/);
        assert.doesNotMatch(result.stderr, /run the backup again|older backups/);
        assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
      } finally {
        await holder.release();
      }
      assert.deepEqual(
        (await listSets(folder)).map((set) => set.id),
        setsBefore,
        'no safety set, whole or partial, is left',
      );
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    });
  });

  describe('the rows each table holds now', function () {
    it('are counted for every table the plan names, however many (in batches, in one round trip)', async function () {
      const many = 'many_tables';
      await server.createDatabase(many);
      await server.query(
        many,
        `DO $$BEGIN
           FOR i IN 1..120 LOOP
             EXECUTE format('CREATE TABLE public.%I (id int PRIMARY KEY)', 't_' || lpad(i::text, 3, '0'));
             EXECUTE format('INSERT INTO public.%I SELECT generate_series(1, %s)', 't_' || lpad(i::text, 3, '0'), i);
           END LOOP;
         END$$`,
      );
      const manyFolder = newFolder();
      const set = await backupSet(server, many, manyFolder, 'many');
      const target = 'many_tables_now';
      await server.createDatabase(target, { template: many });
      // What the target holds now differs from the set: each table keeps i % 7 of its rows.
      await server.query(
        target,
        `DO $$BEGIN
           FOR i IN 1..120 LOOP
             EXECUTE format('DELETE FROM public.%I WHERE id > %s', 't_' || lpad(i::text, 3, '0'), i % 7);
           END LOOP;
         END$$`,
      );
      const result = await restoreSet(server, set.id, manyFolder, target, 'data', ['--clean', '--no-safety-backup']);
      assert.equal(result.code, 0, result.stderr);
      const plan = (JSON.parse(result.stdout) as { plan: { replaced: { kind: string; name: string; rows: number | null }[] } }).plan;
      const tables = plan.replaced.filter((object) => object.kind === 'table');
      assert.equal(tables.length, 120);
      for (const table of tables) assert.equal(table.rows, Number(table.name.slice(2)) % 7, table.name);
    });
  });

  describe('a data restore that does not commit leaves every sequence as it was', function () {
    // The data file sets the sequences, then refreshes the materialized
    // view: a session holding the view makes the restore wait right there,
    // after every setval and before COMMIT.
    const endings: { name: string; args?: string[]; releaseFirst?: boolean; end: (cli: { kill(signal: NodeJS.Signals): boolean }, pid: number) => Promise<void> }[] = [
      { name: 'the lock wait times out', args: ['--lock-timeout', '2'], end: () => Promise.resolve() },
      { name: 'the CLI is interrupted (SIGINT)', end: (cli) => Promise.resolve(void cli.kill('SIGINT')) },
      // psql, orphaned, goes on once the lock is free and finds no COMMIT.
      { name: 'the CLI is killed (SIGKILL)', end: (cli) => Promise.resolve(void cli.kill('SIGKILL')), releaseFirst: true },
      { name: 'psql is killed (SIGKILL)', end: (_cli, port) => Promise.resolve(psqlPids(port).forEach((pid) => process.kill(pid, 'SIGKILL'))) },
      {
        name: 'the server ends its session',
        end: async () => {
          await server.query(
            'postgres',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'pulse-backup restore %' AND wait_event_type = 'Lock'",
          );
        },
      },
    ];
    for (const ending of endings) {
      it(`when ${ending.name}`, async function () {
        const target = await copyOfSource(`sequences_${endings.indexOf(ending)}`);
        // The application moved on since the backup: its sequences are ahead.
        await server.query(
          target,
          "INSERT INTO catalogue.assemblies (part_id, component_id) SELECT 1, 2 FROM generate_series(1, 50); INSERT INTO catalogue.parts (code) VALUES ('P-NEW')",
        );
        const before = await fingerprintDatabase(server.url(target));
        const holder = new Client({ connectionString: server.url(target), application_name: 'report-reader' });
        await holder.connect();
        try {
          await holder.query('BEGIN; SELECT count(*) FROM catalogue.released_counts');
          const { subprocess } = await startCli(restoreArgs(manifest.id, 'data', server.url(target), folder, ['--clean', '--no-safety-backup', ...(ending.args ?? [])]));
          // psql waits on the view's lock once every sequence is set.
          await waitFor(
            async () =>
              (
                await server.query<{ waiting: boolean }>(
                  'postgres',
                  "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'REFRESH MATERIALIZED VIEW%') AS waiting",
                )
              )[0].waiting,
            60_000,
            'the restore to wait on the materialized view',
          );
          await ending.end(subprocess, server.port);
          if (ending.releaseFirst) await holder.query('ROLLBACK');
          const result = await subprocess;
          assert.notEqual(result.exitCode, 0, String(result.stderr));
          await waitFor(() => psqlPids(server.port).length === 0, 30_000, 'psql to end');
          if (!ending.releaseFirst) await holder.query('ROLLBACK');
          await new Promise((resolve) => setTimeout(resolve, 200));
          assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
          // The next insert takes a fresh key.
          await server.query(target, "INSERT INTO catalogue.parts (code) VALUES ('P-NEXT')");
        } finally {
          await holder.end().catch(() => undefined);
        }
      });
    }
  });

  describe("a schema larger than the server's lock table", function () {
    // 10 lock slots × 32 backends: room for about 620 locks in one transaction, as 64 × 122 is for about 12,850.
    const small = useServer({ settings: { max_connections: '10', max_locks_per_transaction: '10', superuser_reserved_connections: '2' } });
    let wide: Manifest;
    let wideFolder: string;

    before(async function () {
      await small.createDatabase('wide');
      for (let batch = 0; batch < 3; batch += 1) {
        await small.query(
          'wide',
          `DO $$ BEGIN FOR i IN ${batch * 50 + 1}..${batch * 50 + 50} LOOP EXECUTE format('CREATE TABLE public.t%s (id serial PRIMARY KEY, note text)', i); END LOOP; END $$`,
        );
      }
      wideFolder = newFolder();
      wide = await backupSet(small, 'wide', wideFolder, 'wide');
    });

    it('is refused before anything changes, naming the setting and the value that lets it through, which does', async function () {
      await small.createDatabase('wide_target');
      const result = await runCli(['restore', wide.id, '--mode', 'complete', '--db', small.url('wide_target'), '--dir', wideFolder, '--yes', '--no-safety-backup']);
      assertOneLineError(result);
      const match =
        /would lock about ([\d,]+) tables, indexes and sequences in one transaction, more than the server has room for \(max_locks_per_transaction = 10\): set max_locks_per_transaction to at least (\d+) \(ALTER SYSTEM SET max_locks_per_transaction = \d+; as a superuser, then restart the server\)/.exec(
          result.stderr,
        );
      assert.ok(match, result.stderr);
      const [{ count }] = await small.query<{ count: string }>('wide_target', "SELECT count(*)::text AS count FROM pg_tables WHERE schemaname = 'public'");
      assert.equal(count, '0');
      // The value it names lets the same restore through.
      const roomy = await startServer({ settings: { max_connections: '10', max_locks_per_transaction: match[2], superuser_reserved_connections: '2' } });
      try {
        await roomy.createDatabase('wide_target');
        const again = await runCli(['restore', wide.id, '--mode', 'complete', '--db', roomy.url('wide_target'), '--dir', wideFolder, '--yes', '--no-safety-backup']);
        assert.equal(again.code, 0, again.stderr);
        await assertSameContent(small.url('wide'), roomy.url('wide_target'));
      } finally {
        await roomy.stop();
      }
    });

    it('counts large objects too (each is locked as it gets its owner): a complete or data restore of many is refused before anything, and the value named lets it through', async function () {
      // 700 attachments stored as large objects: one table, but 700 locks in the restore's one transaction.
      await small.createDatabase('attachments');
      await small.query(
        'attachments',
        `CREATE TABLE public.documents (id int PRIMARY KEY, body oid NOT NULL);
         INSERT INTO public.documents SELECT g, lo_from_bytea(0, convert_to(repeat('page ', g % 7 + 1), 'UTF8')) FROM generate_series(1, 700) g;`,
      );
      const folder = newFolder();
      const set = await backupSet(small, 'attachments', folder, 'attachments');
      assert.equal(set.largeObjects, 700);
      await small.createDatabase('attachments_target');
      const refusal =
        /would lock about ([\d,]+) objects \(700 large objects, the rest tables, indexes and sequences\) in one transaction, more than the server has room for \(max_locks_per_transaction = 10\): set max_locks_per_transaction to at least (\d+) .*; nothing was changed$/;
      const complete = await runCli(['restore', set.id, '--mode', 'complete', '--db', small.url('attachments_target'), '--dir', folder, '--yes', '--no-safety-backup']);
      assertOneLineError(complete);
      const match = refusal.exec(complete.stderr.trim());
      assert.ok(match, complete.stderr);
      // A data restore loads the same large objects: refused the same way, once the schema is in place.
      const schema = await runCli(['restore', set.id, '--mode', 'schema', '--db', small.url('attachments_target'), '--dir', folder, '--yes', '--no-safety-backup']);
      assert.equal(schema.code, 0, schema.stderr);
      const data = await runCli(['restore', set.id, '--mode', 'data', '--db', small.url('attachments_target'), '--dir', folder, '--yes', '--no-safety-backup']);
      assertOneLineError(data);
      assert.match(data.stderr.trim(), refusal);
      const [{ count }] = await small.query<{ count: string }>('attachments_target', 'SELECT count(*)::text AS count FROM pg_largeobject_metadata');
      assert.equal(count, '0', 'no large object was created');
      const roomy = await startServer({ settings: { max_connections: '10', max_locks_per_transaction: match[2], superuser_reserved_connections: '2' } });
      try {
        await roomy.createDatabase('attachments_target');
        const again = await runCli(['restore', set.id, '--mode', 'complete', '--db', roomy.url('attachments_target'), '--dir', folder, '--yes', '--no-safety-backup']);
        assert.equal(again.code, 0, again.stderr);
        await assertSameContent(small.url('attachments'), roomy.url('attachments_target'));
      } finally {
        await roomy.stop();
      }
    });

    it('counts what --clean drops with the tables (their row types, constraints, defaults, sequences): a restore that fits into an empty database but not over a copy is refused before anything, and the value named lets it through', async function () {
      // 48 tables with a serial key fit a complete restore into an empty database here (about 240 locks);
      // over a copy, the drops lock every table's row type, array type, key constraint, default and sequence too.
      const folder = newFolder();
      await small.createDatabase('clean48');
      await small.query('clean48', "DO $$ BEGIN FOR i IN 1..48 LOOP EXECUTE format('CREATE TABLE public.k%s (id serial PRIMARY KEY, note text)', i); END LOOP; END $$");
      const set = (await backupSet(small, 'clean48', folder, 'clean48')).id;
      await small.createDatabase('clean48_target');
      const first = await runCli(['restore', set, '--mode', 'complete', '--db', small.url('clean48_target'), '--dir', folder, '--yes', '--no-safety-backup']);
      assert.equal(first.code, 0, first.stderr);
      const before = await fingerprintDatabase(small.url('clean48_target'));
      const result = await runCli(['restore', set, '--mode', 'complete', '--clean', '--db', small.url('clean48_target'), '--dir', folder, '--yes', '--no-safety-backup']);
      assertOneLineError(result);
      const match =
        /would lock about [\d,]+ objects \(([\d,]+) the target's, which --clean drops with their indexes, row types and constraints, the rest tables, indexes and sequences it creates\) in one transaction, more than the server has room for \(max_locks_per_transaction = 10\): set max_locks_per_transaction to at least (\d+) .*; nothing was changed$/.exec(
          result.stderr.trim(),
        );
      assert.ok(match, result.stderr);
      assert.ok(Number(match[1].replace(/,/g, '')) >= 48 * 8, `every table's own objects are counted: ${match[1]}`);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(small.url('clean48_target'))), []);
      // The value it names lets the same restore through.
      const roomy = await startServer({ settings: { max_connections: '10', max_locks_per_transaction: match[2], superuser_reserved_connections: '2' } });
      try {
        await roomy.createDatabase('clean48_target');
        const into = await runCli(['restore', set, '--mode', 'complete', '--db', roomy.url('clean48_target'), '--dir', folder, '--yes', '--no-safety-backup']);
        assert.equal(into.code, 0, into.stderr);
        await roomy.query('clean48_target', 'DELETE FROM public.k1; DROP TABLE public.k2');
        const over = await runCli(['restore', set, '--mode', 'complete', '--clean', '--db', roomy.url('clean48_target'), '--dir', folder, '--yes', '--no-safety-backup']);
        assert.equal(over.code, 0, over.stderr);
        await assertSameContent(small.url('clean48'), roomy.url('clean48_target'));
      } finally {
        await roomy.stop();
      }
    });

    it('running out of lock slots anyway (other sessions hold many) rolls back with the same advice', async function () {
      const narrow = newFolder();
      await small.createDatabase('narrow');
      await small.query('narrow', "DO $$ BEGIN FOR i IN 1..80 LOOP EXECUTE format('CREATE TABLE public.n%s (id serial PRIMARY KEY, note text)', i); END LOOP; END $$");
      const set = (await backupSet(small, 'narrow', narrow, 'narrow')).id;
      await small.createDatabase('narrow_target');
      await small.createDatabase('crowded');
      await small.query('crowded', "DO $$ BEGIN FOR i IN 1..300 LOOP EXECUTE format('CREATE TABLE public.c%s (id int)', i); END LOOP; END $$");
      const crowd = new Client({ connectionString: small.url('crowded') });
      await crowd.connect();
      try {
        // Another session holds locks on 300 tables: the restore's estimate fits, the lock table does not.
        await crowd.query('BEGIN');
        await crowd.query(`LOCK TABLE ${Array.from({ length: 300 }, (_, index) => `public.c${index + 1}`).join(', ')} IN ACCESS SHARE MODE`);
        const result = await runCli(['restore', set, '--mode', 'complete', '--db', small.url('narrow_target'), '--dir', narrow, '--yes', '--no-safety-backup']);
        assertOneLineError(result);
        assert.match(result.stderr, /the server ran out of lock slots \(max_locks_per_transaction = 10\) for its one transaction: set max_locks_per_transaction to at least \d+/);
        assert.match(result.stderr, /the target is unchanged/);
      } finally {
        await crowd.end().catch(() => undefined);
      }
      const [{ count }] = await small.query<{ count: string }>('narrow_target', "SELECT count(*)::text AS count FROM pg_tables WHERE schemaname = 'public'");
      assert.equal(count, '0');
    });
  });

  describe("a subscriber's set", function () {
    const subscriber = 'clean_subscriber';
    let subscriberFolder: string;
    let subscriberSet: Manifest;

    before(async function () {
      await server.createDatabase(subscriber);
      // A publication and a subscription, as pg_dump writes the latter back: no connection now, the slot named as at the publisher (a port nothing answers on).
      await server.query(
        subscriber,
        `CREATE TABLE public.readings (id int PRIMARY KEY, value numeric);
         INSERT INTO public.readings SELECT g, g / 10.0 FROM generate_series(1, 50) g;
         CREATE PUBLICATION readings_out FOR TABLE public.readings;
         CREATE SUBSCRIPTION readings_in CONNECTION 'host=127.0.0.1 port=1 dbname=upstream connect_timeout=2' PUBLICATION upstream_pub WITH (connect = false, slot_name = 'readings_in_slot');`,
      );
      subscriberFolder = newFolder();
      subscriberSet = await backupSet(server, subscriber, subscriberFolder, 'subscriber');
    });

    after(async function () {
      await server.query(subscriber, 'ALTER SUBSCRIPTION readings_in SET (slot_name = NONE)').catch(() => undefined);
      await server.query(subscriber, 'DROP SUBSCRIPTION IF EXISTS readings_in');
      await server.dropDatabase(subscriber);
    });

    it('is refused before anything, with or without --clean, naming the subscription and how to drop it without its slot; no safety backup is taken', async function () {
      const before = await fingerprintDatabase(server.url(subscriber));
      for (const extra of [[], ['--clean']]) {
        const result = await runCli(restoreArgs(subscriberSet.id, 'complete', server.url(subscriber), subscriberFolder, extra));
        assertOneLineError(result);
        assert.match(
          result.stderr,
          /^pulse-backup: the target already has the backup's subscription readings_in, which a restore does not replace: dropping a subscription drops its replication slot at the publisher: drop it yourself first if you mean to \(ALTER SUBSCRIPTION "readings_in" DISABLE; ALTER SUBSCRIPTION "readings_in" SET \(slot_name = NONE\) keeps the slot; DROP SUBSCRIPTION "readings_in"\), or restore into another database; nothing was changed$/,
        );
      }
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(subscriber))), []);
      assert.deepEqual(
        (await listSets(subscriberFolder)).map((set) => set.id),
        [subscriberSet.id],
        'no safety set',
      );
    });

    it('into another database it comes back disabled with its slot, and the plan says what enabling or dropping it there would do; a data restore says nothing of it', async function () {
      const copy = 'clean_subscriber_copy';
      await server.createDatabase(copy);
      try {
        const result = await runCli(restoreArgs(subscriberSet.id, 'complete', server.url(copy), subscriberFolder));
        assert.equal(result.code, 0, result.stderr);
        assert.ok(
          result.stdout.includes(
            '  note     the backup has the subscription readings_in, which comes back disabled and still names the replication slot at its publisher that the backed-up database streams from: enable it only where that stream should now arrive; otherwise first detach it (ALTER SUBSCRIPTION "readings_in" SET (slot_name = NONE)), then drop it or give it a slot of its own\n',
          ),
          result.stdout,
        );
        // What the note says is so: disabled, and the slot the subscriber streams from.
        const rows = await server.query<{ enabled: boolean; slot: string }>(
          copy,
          `SELECT subenabled AS enabled, subslotname::text AS slot FROM pg_subscription
            WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        assert.deepEqual(rows, [{ enabled: false, slot: 'readings_in_slot' }]);
        const data = await runCli(restoreArgs(subscriberSet.id, 'data', server.url(copy), subscriberFolder, ['--clean']));
        assert.equal(data.code, 0, data.stderr);
        assert.doesNotMatch(data.stdout, /subscription/);
      } finally {
        await server
          .query(copy, 'ALTER SUBSCRIPTION readings_in DISABLE; ALTER SUBSCRIPTION readings_in SET (slot_name = NONE); DROP SUBSCRIPTION readings_in')
          .catch(() => undefined);
        await server.dropDatabase(copy);
      }
    });

    it('once the subscription is gone, what is in the way is named with its kind: a publication, not a large object', async function () {
      await server.query(subscriber, 'ALTER SUBSCRIPTION readings_in SET (slot_name = NONE)');
      await server.query(subscriber, 'DROP SUBSCRIPTION readings_in');
      const result = await runCli(restoreArgs(subscriberSet.id, 'complete', server.url(subscriber), subscriberFolder));
      assertOneLineError(result);
      assert.match(result.stderr, /the target already has 2 of the backup's objects \(public\.readings, publication readings_out\)/);
    });
  });
});
