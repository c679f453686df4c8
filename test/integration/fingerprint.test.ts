import { strict as assert } from 'node:assert';
import { loadSample, sampleCases } from '../samples';
import { assertSameContent, diffFingerprints, fingerprintDatabase, type Fingerprint } from '../support/fingerprint';
import { createFactoryDatabase, useServer } from '../support/integration';
import { hasServerMajor, startServer } from '../support/pgServer';

/** Facts that must not depend on the server version: the data itself. */
function dataFacts(fingerprint: Fingerprint): Map<string, string> {
  const isData = (key: string): boolean => key.startsWith('rows of ') || key.startsWith('value of sequence ') || /^large object \d+$/.test(key);
  return new Map([...fingerprint.facts].filter(([key]) => isData(key)));
}

describe('database fingerprints', function () {
  const server = useServer();
  let original: Fingerprint;
  const first = 'fingerprint_first';
  const second = 'fingerprint_second';

  before(async function () {
    for (const database of [first, second]) {
      // An external TEST_DATABASE_URL server may still hold them from an aborted run.
      await server.dropDatabase(database);
      await createFactoryDatabase(server, database);
    }
    original = await fingerprintDatabase(server.url(first));
  });

  it('two loads of factory.sql hold the same content', async function () {
    await assertSameContent(server.url(first), server.url(second));
  });

  it('covers every kind of object that factory.sql has', function () {
    const expected: Record<string, string | RegExp> = {
      'rows of table public.users': /^40 rows, hash [0-9a-f]{32}$/,
      'rows of table public.customer_returns': /^0 rows, /,
      'rows of table "shop floor".machine_events_later': /^\d+ rows, /,
      'value of sequence public.invoice_number_seq': 'last_value 900000, not called yet',
      'value of sequence public.messages_id_seq': 'last_value 1600, called',
      'materialized view public.project_overview': 'populated',
      'rows of materialized view public.project_overview': /^60 rows, /,
      'materialized view public.reorder_suggestions': 'not populated',
      'state of trigger inventory_items_warn_when_stock_runs_low on public.inventory_items': 'disabled',
      'table public.notifications': 'row level security forced',
      'policy notifications_hide_archived on public.notifications': /^restrictive for select to pulse_sample_reader/,
      'constraint stock_movements_delta_not_zero on table public.stock_movements': 'CHECK ((delta <> 0)) NOT VALID',
      'column public.work_orders.line_total': /generated always as .* stored$/,
      'column public.users.id': /generated always as identity$/,
      'index public.users_email_lower_idx': /lower\(\(email\)::text\)/,
      'function public.project_digest(integer)': /-- Data for Name: messages; Type: TABLE DATA/,
      'comment on large object 424242': /welding procedure/,
      'large object 424243': /^4096 bytes, md5 [0-9a-f]{32}$/,
      'privileges on large object 424243': /pulse_sample_reader=r\/postgres/,
      'privileges on column public.users.full_name': 'pulse_sample_reader=r/postgres',
      'default privileges of postgres on tables in schema "shop floor"': 'pulse_sample_reader=r/postgres',
      'enum type public.work_order_status': /^'draft', 'released'/,
      'table "shop floor".machine_events_later': 'partition of "shop floor".machine_events DEFAULT',
    };
    for (const [key, value] of Object.entries(expected)) {
      const actual = original.facts.get(key);
      assert.ok(actual !== undefined, `the fingerprint has no fact "${key}"`);
      if (typeof value === 'string') assert.equal(actual, value, key);
      else assert.match(actual, value, key);
    }
  });

  describe('notices a single change in the second database', function () {
    const changes: { change: string; sql: string; object: string }[] = [
      {
        change: 'one updated row',
        sql: `UPDATE public.projects SET title = title || ' (revised)' WHERE id = 7`,
        object: 'rows of table public.projects',
      },
      {
        change: 'a sequence moved by setval',
        sql: `SELECT setval('public.invoice_number_seq', 900000, true)`,
        object: 'value of sequence public.invoice_number_seq',
      },
      {
        change: 'a dropped index',
        sql: 'DROP INDEX public.projects_tags_idx',
        object: 'index public.projects_tags_idx',
      },
      {
        change: 'a disabled trigger',
        sql: 'ALTER TABLE public.messages DISABLE TRIGGER messages_note_sender_activity',
        object: 'trigger messages_note_sender_activity on public.messages',
      },
      {
        change: 'a changed large object',
        sql: `SELECT lo_put(424242, 0, convert_to('w', 'UTF8'))`,
        object: 'large object 424242',
      },
      {
        change: 'a revoked grant',
        sql: 'REVOKE SELECT ON public.projects FROM pulse_sample_reader',
        object: 'privileges on table public.projects',
      },
      {
        change: 'a materialized view left unpopulated',
        sql: 'REFRESH MATERIALIZED VIEW public.project_overview WITH NO DATA',
        object: 'materialized view public.project_overview',
      },
      {
        change: 'a changed comment',
        sql: `COMMENT ON TABLE public.users IS 'Somebody rewrote this comment.'`,
        object: 'comment on table public.users',
      },
    ];

    changes.forEach(({ change, sql, object }, index) => {
      it(`${change}, naming ${object}`, async function () {
        const changed = `fingerprint_changed_${index}`;
        await server.dropDatabase(changed);
        await server.createDatabase(changed, { template: second });
        try {
          await server.query(changed, sql);
          const differences = diffFingerprints(original, await fingerprintDatabase(server.url(changed)));
          assert.ok(differences.length > 0, `the fingerprint did not notice ${change}`);
          for (const difference of differences) {
            assert.ok(difference.includes(object), `a difference that does not name ${object}: ${difference}`);
          }
        } finally {
          await server.dropDatabase(changed);
        }
      });
    });
  });

  describe('sample databases', function () {
    for (const sample of sampleCases()) {
      const origin = sample.shared ? 'shared fixture' : 'our sample';
      it(`${sample.name} (${origin}) loads into a fresh database`, async function () {
        const database = `sample_${sample.name}`;
        await server.dropDatabase(database);
        await server.createDatabase(database);
        try {
          await loadSample(server, database, sample);
          const fingerprint = await fingerprintDatabase(server.url(database));
          const tablesWithRows = [...fingerprint.facts].filter(([key, value]) => key.startsWith('rows of table ') && !value.startsWith('0 rows'));
          assert.ok(tablesWithRows.length > 0, `${sample.file} loaded without error but no table has rows`);
        } finally {
          await server.dropDatabase(database);
        }
      });
    }
  });

  describe('on PostgreSQL 18', function () {
    it('factory.sql loads and holds the same rows, sequence values and large objects as on 15', async function () {
      if (!hasServerMajor(18)) this.skip();
      const server18 = await startServer({ major: 18 });
      try {
        await createFactoryDatabase(server18, 'factory');
        const on18 = await fingerprintDatabase(server18.url('factory'));
        assert.deepEqual(dataFacts(on18), dataFacts(original));
      } finally {
        await server18.stop();
      }
    });
  });
});
