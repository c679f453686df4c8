/**
 * What runs in a restore's transaction before the set's file, decided from
 * plain data: the bounded lock wait, the locks taken first, the check and
 * drops of --clean, the sequences made transactional; and how many locks a
 * restore needs against the server's room for them.
 */
import * as assert from 'node:assert/strict';
import { cleanGuardStatement, recreatedParts } from '../../src/core/restore/cleanPlan';
import { dollarTag } from '../../src/core/sql';
import { cliError } from '../../src/core/commandLineWords';
import { checkLockBudget, estimateLocks, recommendedLockSlots } from '../../src/core/restore/lockBudget';
import { lockStatements, restoreProlog, transactionalSequences, type PrologInput } from '../../src/core/restore/prolog';
import type { ExistingObject } from '../../src/core/restore/target';

const table = (name: string, kind: ExistingObject['kind'] = 'table'): ExistingObject => ({ kind, schema: 'public', name, rows: 3, dropName: `public.${name}` });
const noPlatform: PrologInput['platform'] = { tables: [], attached: [], references: [] };

function prolog(overrides: Partial<PrologInput>): string[] {
  return restoreProlog({
    mode: 'complete',
    clean: false,
    lockTimeoutMs: 10_000,
    existing: [],
    objects: [],
    parts: [],
    serverVersionNum: 150000,
    platform: noPlatform,
    silenceTriggers: false,
    sequences: [],
    resetDefaultPrivileges: [],
    ...overrides,
  });
}

describe('the restore prolog', () => {
  it('starts with a bounded lock wait and quiet notices, whatever the mode', () => {
    for (const mode of ['complete', 'schema', 'data'] as const) {
      const statements = prolog({ mode });
      assert.deepEqual(statements.slice(0, 2), ['SET lock_timeout = 10000;', 'SET client_min_messages = warning;']);
    }
  });

  it('complete --clean: locks the tables, checks for outside dependents, then drops with CASCADE', () => {
    const statements = prolog({
      clean: true,
      existing: [table('users'), table('status_view', 'view'), table('app', 'schema')],
      objects: [{ type: 'TABLE', schema: 'public', name: 'users' }],
    });
    assert.equal(statements[2], 'LOCK TABLE public.users IN ACCESS EXCLUSIVE MODE;');
    assert.match(statements[3], /^DO \$pulse_guard\$/);
    assert.deepEqual(statements.slice(4), ['DROP VIEW IF EXISTS public.status_view CASCADE;', 'DROP TABLE IF EXISTS public.users CASCADE;']);
  });

  it('data: rows only need the tables for inserting, which are checked to be empty still; --clean empties them in one TRUNCATE under an exclusive lock', () => {
    const loading = prolog({ mode: 'data', silenceTriggers: true, existing: [table('users'), table('messages')] }).slice(2);
    assert.equal(loading[0], 'SET session_replication_role = replica;');
    // Against other writers where the role may take that lock (LOCK's rule: UPDATE, DELETE or TRUNCATE), else for inserting.
    assert.match(loading[1], /^DO \$pulse_lock\$/);
    assert.match(loading[1], /ARRAY\['public\.users', 'public\.messages'\]::text\[\]/);
    assert.match(
      loading[1],
      /has_table_privilege\(name, 'UPDATE, DELETE, TRUNCATE'\) THEN\n\s+EXECUTE pg_catalog\.format\('LOCK TABLE %s IN EXCLUSIVE MODE', name\);\n\s+ELSE\n\s+EXECUTE pg_catalog\.format\('LOCK TABLE %s IN ROW EXCLUSIVE MODE', name\);/,
    );
    // Once the locks are held: the tables are still as empty as the plan found them.
    assert.equal(loading.length, 3);
    assert.match(loading[2], /^DO \$pulse_rows\$/);
    assert.match(loading[2], /ARRAY\['public\.users', 'public\.messages'\]/);
    const clean = prolog({ mode: 'data', clean: true, existing: [table('users'), table('messages')] }).slice(2);
    assert.equal(clean.length, 3);
    assert.equal(clean[0], 'LOCK TABLE public.users, public.messages IN ACCESS EXCLUSIVE MODE;');
    // Once the locks are held, before TRUNCATE: nothing outside the backup (a foreign key, a partition, a child) hangs on them.
    assert.match(clean[1], /^DO \$pulse_guard\$/);
    assert.match(clean[1], /\["public\.users","public\.messages"\]/);
    assert.equal(clean[2], 'TRUNCATE TABLE public.users, public.messages;');
  });

  it('--clean of a Supabase set checks, once its locks are held and before anything changes, that no table it does not reload points into the platform tables it empties', () => {
    const users: ExistingObject = { kind: 'platform table', schema: 'auth', name: 'users', rows: 4, dropName: '"auth"."users"' };
    const identities: ExistingObject = { kind: 'platform table', schema: 'auth', name: 'identities', rows: 4, dropName: '"auth"."identities"' };
    const platform = { tables: [users, identities], attached: [], references: [{ from: 'auth.identities', to: 'auth.users' }] };
    const data = prolog({ mode: 'data', clean: true, silenceTriggers: true, existing: [table('profiles')], platform }).slice(4);
    // After the check on the set's own tables (emptyGuardStatement).
    assert.match(data[0], /pulse-backup: outside references:/);
    assert.match(data[1], /^DO \$pulse_guard\$/);
    assert.match(data[1], /RAISE EXCEPTION 'pulse-backup: rows referencing the emptied platform tables: %'/);
    // The emptied platform tables, and the set's own tables besides: their references are reloaded with them.
    assert.match(data[1], /\["\\"auth\\"\.\\"users\\"","\\"auth\\"\.\\"identities\\""\]/);
    assert.match(data[1], /\["public\.profiles"\]/);
    assert.deepEqual(data.slice(2), ['TRUNCATE TABLE public.profiles;', 'DELETE FROM "auth"."identities";', 'DELETE FROM "auth"."users";']);
    const complete = prolog({ mode: 'complete', clean: true, silenceTriggers: true, existing: [table('profiles')], platform }).slice(4);
    assert.match(complete[0], /pulse-backup: outside dependents:/);
    assert.match(complete[1], /^DO \$pulse_guard\$[^]*rows referencing the emptied platform tables/);
    assert.deepEqual(complete.slice(2), ['DROP TABLE IF EXISTS public.profiles CASCADE;', 'DELETE FROM "auth"."identities";', 'DELETE FROM "auth"."users";']);
    // Without --clean nothing is emptied, and a schema restore loads no rows.
    for (const [mode, clean] of [
      ['data', false],
      ['complete', false],
      ['schema', true],
    ] as const) {
      assert.doesNotMatch(prolog({ mode, clean, existing: [table('profiles')], platform: mode === 'schema' ? noPlatform : platform }).join('\n'), /platform tables/);
    }
  });

  it('a schema restore without --clean locks nothing and drops nothing', () => {
    assert.deepEqual(prolog({ mode: 'schema' }).slice(2), []);
  });

  it('locks the platform tables the application puts triggers and policies on, exclusively', () => {
    const attached: ExistingObject = { kind: 'trigger', schema: 'auth', name: 'users on_signup', rows: null, dropName: '"on_signup" ON "auth"."users"' };
    const platformTable: ExistingObject = { kind: 'platform table', schema: 'auth', name: 'identities', rows: 4, dropName: '"auth"."identities"' };
    const platform = { tables: [platformTable], attached: [attached], references: [] };
    const [exclusive, rows, ...more] = lockStatements({ mode: 'complete', clean: false, existing: [], platform, serverVersionNum: 150000 });
    assert.equal(exclusive, 'LOCK TABLE "auth"."users" IN ACCESS EXCLUSIVE MODE;');
    assert.match(rows, /ARRAY\['"auth"\."identities"'\]::text\[\]/);
    assert.deepEqual(more, []);
    // Before 15, LOCK checks its mode's privilege on every partition too: rows only load under ROW EXCLUSIVE there, as pg_dump | psql would.
    assert.deepEqual(lockStatements({ mode: 'complete', clean: false, existing: [], platform, serverVersionNum: 140011 }), [
      'LOCK TABLE "auth"."users" IN ACCESS EXCLUSIVE MODE;',
      'LOCK TABLE "auth"."identities" IN ROW EXCLUSIVE MODE;',
    ]);
  });

  it('gives each sequence the file sets new storage in the transaction, keeping its value', () => {
    assert.deepEqual(transactionalSequences([]), []);
    const [block] = transactionalSequences(['public.users_id_seq', 'public."o\'dd"']);
    assert.match(block, /unnest\(ARRAY\['public\.users_id_seq', 'public\."o''dd"'\]::text\[\]\)/);
    assert.match(block, /ALTER SEQUENCE %s RESTART/);
    assert.match(block, /pg_catalog\.setval\(sequence_name, value, called\)/);
    assert.equal(prolog({ mode: 'data', sequences: ['public.users_id_seq'] }).at(-1), block.replace(", 'public.\"o''dd\"'", ''));
  });
});

describe('the check inside the transaction', () => {
  it('quotes what it carries with a dollar tag that appears nowhere in it', () => {
    assert.equal(dollarTag('pulse_guard', ['plain text']), '$pulse_guard$');
    assert.equal(dollarTag('pulse_guard', ['a $pulse_guard$ b', 'c $pulse_guard_1$']), '$pulse_guard_2$');
    const statement = cleanGuardStatement([{ type: 'TABLE', schema: 'odd', name: 'has $pulse_objects$ in it' }], [], 150000);
    assert.match(statement, /\$pulse_objects_1\$\[\{"type":"TABLE","schema":"odd","name":"has \$pulse_objects\$ in it"\}\]\$pulse_objects_1\$/);
    assert.match(statement, /RAISE EXCEPTION 'pulse-backup: outside dependents: %'/);
  });

  it('knows the parts a dump recreates on a table: triggers, policies, rules, publication memberships', () => {
    const parts = recreatedParts([
      { type: 'TRIGGER', schema: 'auth', name: 'users on_auth_user_created' },
      { type: 'POLICY', schema: 'storage', name: 'objects "avatars are public"' },
      { type: 'RULE', schema: 'public', name: 'shoelace shoelace_ins' },
      { type: 'PUBLICATION TABLE', schema: 'public', name: 'supabase_realtime posts' },
      { type: 'TABLE', schema: 'public', name: 'posts' },
    ]);
    assert.deepEqual(parts, [
      { type: 'TRIGGER', schema: 'auth', table: 'users', name: 'on_auth_user_created' },
      { type: 'POLICY', schema: 'storage', table: 'objects', name: 'avatars are public' },
      { type: 'RULE', schema: 'public', table: 'shoelace', name: 'shoelace_ins' },
      { type: 'PUBLICATION TABLE', schema: 'public', table: 'posts', name: 'supabase_realtime' },
    ]);
  });
});

describe('the locks a restore needs', () => {
  const entries = (type: string, count: number) => Array.from({ length: count }, (_, index) => ({ type, schema: 'public', name: `${type.toLowerCase()}${index}` }));

  it('counts a table with its TOAST table and index, and each index, key and sequence', () => {
    const schema = [...entries('TABLE', 10), ...entries('CONSTRAINT', 10), ...entries('INDEX', 5), ...entries('SEQUENCE', 10), ...entries('VIEW', 2), ...entries('FUNCTION', 7)];
    assert.equal(estimateLocks(schema, 'complete'), 30 + 10 + 5 + 10 + 2);
    assert.equal(estimateLocks(schema, 'data'), 30 + 10 + 5 + 10);
    // Each large object is locked as the data file gives it its owner: complete and data restores, not schema.
    assert.equal(estimateLocks(schema, 'complete', 20_000), 30 + 10 + 5 + 10 + 2 + 20_000);
    assert.equal(estimateLocks(schema, 'data', 20_000), 30 + 10 + 5 + 10 + 20_000);
    assert.equal(estimateLocks(schema, 'schema', 20_000), 30 + 10 + 5 + 10 + 2);
  });

  it('names the large objects among what a refused restore would lock', () => {
    assert.throws(
      () => checkLockBudget({ needed: 20_004, largeObjects: 20_000, slotsPerSession: 64, sessions: 122 }),
      (error: unknown) =>
        /would lock about 20,004 objects \(20,000 large objects, the rest tables, indexes and sequences\) in one transaction, more than the server has room for \(max_locks_per_transaction = 64\): set max_locks_per_transaction to at least 256 /.test(
          cliError(error),
        ),
    );
  });

  it('names what --clean drops among what a refused restore would lock, and large objects beside it', () => {
    assert.throws(
      () => checkLockBudget({ needed: 60_000, dropped: 40_000, slotsPerSession: 256, sessions: 122 }),
      (error: unknown) =>
        /would lock about 60,000 objects \(40,000 the target's, which --clean drops with their indexes, row types and constraints, the rest tables, indexes and sequences it creates\) in one transaction, more than the server has room for \(max_locks_per_transaction = 256\): set max_locks_per_transaction to at least 640 /.test(
          cliError(error),
        ),
    );
    assert.throws(
      () => checkLockBudget({ needed: 60_000, dropped: 30_000, largeObjects: 20_000, slotsPerSession: 64, sessions: 122 }),
      (error: unknown) =>
        /would lock about 60,000 objects \(30,000 the target's, which --clean drops with their indexes, row types and constraints, 20,000 large objects, the rest tables, indexes and sequences it creates\)/.test(
          cliError(error),
        ),
    );
  });

  it('refuses what cannot fit in the lock table and names a value of max_locks_per_transaction that fits it', () => {
    // A default server: 64 slots for 122 backend slots.
    assert.doesNotThrow(() => checkLockBudget({ needed: 12_000, slotsPerSession: 64, sessions: 122 }));
    assert.throws(
      () => checkLockBudget({ needed: 25_000, slotsPerSession: 64, sessions: 122 }),
      /would lock about 25,000 tables, indexes and sequences in one transaction, more than the server has room for \(max_locks_per_transaction = 64\)/,
    );
    const recommended = recommendedLockSlots({ needed: 25_000, slotsPerSession: 64, sessions: 122 });
    assert.equal(recommended % 64, 0);
    assert.ok(recommended * 122 >= 25_000, 'the sized table alone holds it');
    assert.doesNotThrow(() => checkLockBudget({ needed: 25_000, slotsPerSession: recommended, sessions: 122 }));
  });
});
