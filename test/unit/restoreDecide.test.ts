import { strict as assert } from 'node:assert';
import { columnMismatches, decideReplaced, loadsDirectly, pgDumpNewerThanServer, restoredSubscriptionsNote, type ReplaceInput } from '../../src/core/restore/decide';
import type { ExistingObject } from '../../src/core/restore/target';

function table(schema: string, name: string, rows: number, kind: ExistingObject['kind'] = 'table'): ExistingObject {
  return { kind, schema, name, rows, dropName: `${schema}.${name}` };
}

const orders = table('public', 'orders', 120);
const parts = table('public', 'parts', 0);
const NO_PLATFORM = { tables: [], attached: [], references: [] };

function input(overrides: Partial<ReplaceInput>): ReplaceInput {
  return {
    mode: 'complete',
    clean: false,
    objects: [
      { type: 'TABLE', schema: 'public', name: 'orders' },
      { type: 'TABLE', schema: 'public', name: 'parts' },
    ],
    existing: [],
    platform: NO_PLATFORM,
    maySilenceTriggers: true,
    user: 'app',
    ...overrides,
  };
}

function refusal(given: ReplaceInput): string {
  try {
    decideReplaced(given);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the restore was not refused');
}

describe('what a restore replaces, or why it must not run', () => {
  it('complete into an empty target: nothing replaced, nothing to check', () => {
    assert.deepEqual(decideReplaced(input({})), { replaced: [], silenceTriggers: false, check: undefined, emptied: [] });
  });

  it('complete over objects the target has: refused without --clean, replaced with it after the outside check', () => {
    assert.match(refusal(input({ existing: [orders] })), /the target already has 1 of the backup's objects \(public\.orders\)/);
    const decided = decideReplaced(input({ existing: [orders, table('public', 'public', 0, 'schema')], clean: true }));
    assert.deepEqual(decided.replaced, [orders], 'a schema the target has is kept, not replaced');
    assert.equal(decided.check, 'replace');
  });

  it('data needs every table in place, and empty ones unless --clean', () => {
    assert.match(refusal(input({ mode: 'data', existing: [orders] })), /the target lacks 1 of the backup's tables \(public\.parts\)/);
    assert.match(refusal(input({ mode: 'data', existing: [orders, parts] })), /1 of the backup's tables already hold rows \(public\.orders/);
    const clean = decideReplaced(input({ mode: 'data', existing: [orders, parts], clean: true }));
    assert.deepEqual(clean, { replaced: [orders, parts], silenceTriggers: true, check: 'empty', emptied: ['public.orders', 'public.parts'] });
    assert.deepEqual(decideReplaced(input({ mode: 'data', existing: [parts, table('public', 'orders', 0)] })).replaced, []);
  });

  it('a Supabase complete restore loads the platform rows with triggers quiet, which the role must be allowed', () => {
    const users = table('auth', 'users', 0, 'platform table');
    const platform = { tables: [users], attached: [], references: [] };
    assert.equal(decideReplaced(input({ platform })).silenceTriggers, true);
    assert.match(refusal(input({ platform, maySilenceTriggers: false })), /app may not set session_replication_role/);
    assert.match(refusal(input({ platform: { ...platform, tables: [{ ...users, rows: 3 }] } })), /already has 1 of the backup's objects \(auth\.users\)/);
    assert.deepEqual(decideReplaced(input({ mode: 'schema', platform })).replaced, [], 'a schema restore leaves the platform tables alone');
  });

  it('psql reads the file itself only when nothing in it needs rewriting', () => {
    const plain = { container: false, hasManifest: true, largeObjects: 0, olderServer: false, mode: 'complete' as const, existingSchemas: 0 };
    assert.equal(loadsDirectly(plain), true);
    assert.equal(loadsDirectly({ ...plain, largeObjects: 2 }), false);
    assert.equal(loadsDirectly({ ...plain, existingSchemas: 1 }), false);
    assert.equal(loadsDirectly({ ...plain, mode: 'data', existingSchemas: 1 }), true);
    assert.equal(loadsDirectly({ ...plain, container: true }), false);
    assert.equal(loadsDirectly({ ...plain, hasManifest: false }), false);
    assert.equal(loadsDirectly({ ...plain, encoded: true }), false, 'psql reads SQL only: an encrypted file is decrypted on the way');
    assert.equal(loadsDirectly({ ...plain, defaultTablespace: true }), false, 'its SET default_tablespace lines are rewritten on the way');
  });

  it('a set from pg_dump 17 into a server before 17 needs its newer settings guarded', () => {
    assert.equal(pgDumpNewerThanServer('17.2', 160004), true);
    assert.equal(pgDumpNewerThanServer('17.2', 170002), false);
    assert.equal(pgDumpNewerThanServer('15.8', 150008), false);
    assert.equal(pgDumpNewerThanServer(undefined, 150008), true, 'a set without a manifest may come from any pg_dump');
  });

  it('names the columns a data restore would not fit: gone, generated, required and left empty; a table without rows needs no value', () => {
    const target = new Map([
      [
        'public.machines',
        [
          { name: 'id', required: true, generated: false },
          { name: 'name', required: false, generated: true },
          { name: 'site', required: true, generated: false },
          { name: 'notes', required: false, generated: false },
        ],
      ],
      [
        'public.retired',
        [
          { name: 'id', required: true, generated: false },
          { name: 'site', required: true, generated: false },
        ],
      ],
    ]);
    assert.deepEqual(
      columnMismatches(
        [
          { schema: 'public', name: 'machines', columns: ['id', 'name', 'legacy_code'], rows: 2 },
          { schema: 'public', name: 'retired', columns: ['id'], rows: 0 },
          { schema: 'public', name: 'absent', columns: ['id'], rows: 5 },
        ],
        target,
      ),
      [
        'public.machines has no column legacy_code, which the rows hold',
        'public.machines.name is a generated column now',
        'public.machines.site is NOT NULL without a default, and the rows have no value for it',
      ],
    );
  });

  it("a set's subscriptions get a note on what enabling or dropping them where they are restored would do; a set without any, none", () => {
    const table = { type: 'TABLE', schema: 'public', name: 'readings' };
    assert.equal(restoredSubscriptionsNote([table, { type: 'PUBLICATION', schema: '-', name: 'readings_out' }]), undefined);
    assert.equal(
      restoredSubscriptionsNote([table, { type: 'SUBSCRIPTION', schema: '-', name: 'Feed In' }, { type: 'SUBSCRIPTION', schema: '-', name: 'orders_in' }]),
      'the backup has the subscriptions Feed In, orders_in, which come back disabled and still name the replication slots at their publishers that the backed-up database streams from: ' +
        'enable them only where that stream should now arrive; otherwise first detach each (ALTER SUBSCRIPTION "Feed In" SET (slot_name = NONE)), then drop them or give each a slot of its own',
    );
  });
});
