import { strict as assert } from 'node:assert';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { useServer } from '../support/integration';

/** One of each kind fingerprintUncommon.ts compares, as PostgreSQL's regression database has them. */
const uncommonObjects = `
  CREATE TYPE public.pair AS (a integer, b integer);
  CREATE FUNCTION public.pair_eq(public.pair, public.pair) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1.a = $2.a';
  CREATE OPERATOR public.=== (LEFTARG = public.pair, RIGHTARG = public.pair, FUNCTION = public.pair_eq, COMMUTATOR = OPERATOR(public.===));
  CREATE DOMAIN public.small AS integer;
  CREATE FUNCTION public.small_eq(public.small, public.small) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1::integer = $2::integer';
  CREATE OPERATOR public.= (LEFTARG = public.small, RIGHTARG = public.small, FUNCTION = public.small_eq);
  ALTER OPERATOR FAMILY integer_ops USING btree ADD OPERATOR 3 public.= (public.small, public.small);
  CREATE FUNCTION public.pair_text(public.pair) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1.a::text';
  CREATE CAST (public.pair AS text) WITH FUNCTION public.pair_text(public.pair);
  CREATE COLLATION public.plain_c FROM "C";
  CREATE TEXT SEARCH CONFIGURATION public.plain_english (COPY = pg_catalog.english);
  CREATE TABLE public.readings (id integer PRIMARY KEY, a integer, b integer, note text);
  ALTER TABLE public.readings ALTER COLUMN a SET STATISTICS 500, ALTER COLUMN note SET STORAGE EXTERNAL;
  CREATE STATISTICS public.readings_ab (dependencies) ON a, b FROM public.readings;
  CREATE PUBLICATION readings_out FOR TABLE public.readings WITH (publish = 'insert');
  CREATE FOREIGN DATA WRAPPER plain_wrapper;
  CREATE SERVER plain_server FOREIGN DATA WRAPPER plain_wrapper OPTIONS (host 'nowhere');
  CREATE USER MAPPING FOR CURRENT_USER SERVER plain_server OPTIONS (user 'someone');
  CREATE FOREIGN TABLE public.remote_readings (id integer) SERVER plain_server OPTIONS (table_name 'readings');
  CREATE ACCESS METHOD heap_again TYPE TABLE HANDLER heap_tableam_handler;
  CREATE TABLE public.other_heap (id integer) USING heap_again;
`;

describe('database fingerprints of uncommon objects (uncommonObjects)', function () {
  const server = useServer();
  const database = 'fingerprint_uncommon';

  before(async function () {
    await server.dropDatabase(database);
    await server.createDatabase(database, { template: 'template0' });
    await server.query(database, uncommonObjects);
  });

  it('names each kind, unless turned off', async function () {
    const everyday = await fingerprintDatabase(server.url(database), { uncommonObjects: false });
    const full = await fingerprintDatabase(server.url(database));
    const expected: Record<string, string | RegExp> = {
      'operator public.===(public.pair,public.pair)': /^function public\.pair_eq\(public\.pair,public\.pair\); commutator public\.===\(public\.pair,public\.pair\);/,
      'cast (public.pair AS pg_catalog.text)': 'function public.pair_text(public.pair); context e; method f',
      'collation public.plain_c': /^provider c; collate C; ctype C/,
      'text search configuration public.plain_english': /^parser pg_catalog\."default"; owner \S+; 1:1=/,
      'statistics object public.readings_ab': /^CREATE STATISTICS public\.readings_ab \(dependencies\) ON a, b FROM public\.readings/,
      'publication readings_out': /^publishes insert; owner /,
      'publication relation public.readings in publication readings_out': '',
      'foreign-data wrapper plain_wrapper': /^options ; owner \S+; privileges /,
      'server plain_server': /^options host=nowhere; owner /,
      'server of foreign table public.remote_readings': 'plain_server; options table_name=readings',
      'settings of column public.readings.a': 'statistics 500',
      'settings of column public.readings.note': 'storage e',
      'access method heap_again': 'type t; handler heap_tableam_handler(internal)',
      'access method of public.other_heap': 'heap_again',
      // A member added to a built-in family: pg_dump leaves it out, so a restore must be seen to lose it.
      'operator of access method operator 3 (public.small, public.small) of pg_catalog.integer_ops USING btree': '',
    };
    for (const [key, value] of Object.entries(expected)) {
      const fact = full.facts.get(key);
      assert.ok(fact !== undefined, `no fact "${key}" among: ${[...full.facts.keys()].filter((name) => !everyday.facts.has(name)).join(' | ')}`);
      if (typeof value === 'string') assert.equal(fact, value, key);
      else assert.match(fact, value, key);
      assert.equal(everyday.facts.has(key), false, `"${key}" is in the everyday fingerprint`);
    }
    assert.ok(
      [...full.facts.keys()].some((key) => key.startsWith('user mapping postgres on server plain_server')),
      'the user mapping',
    );
  });

  it('sees an operator, a cast and a publication go', async function () {
    const before = await fingerprintDatabase(server.url(database), { uncommonObjects: true });
    const copy = `${database}_changed`;
    await server.createDatabase(copy, { template: database });
    await server.query(copy, 'DROP CAST (public.pair AS text); DROP OPERATOR public.=== (public.pair, public.pair); DROP PUBLICATION readings_out');
    const after = await fingerprintDatabase(server.url(copy), { uncommonObjects: true });
    const differences = diffFingerprints(before, after).join('\n');
    for (const gone of ['cast (public.pair AS pg_catalog.text)', 'operator public.===(public.pair,public.pair)', 'publication readings_out']) {
      assert.match(differences, new RegExp(`^${gone.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: only in the first database`, 'm'));
    }
  });
});
