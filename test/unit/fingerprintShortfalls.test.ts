import { strict as assert } from 'node:assert';
import { shortfallsAgainst, type Fingerprint } from '../support/fingerprint';

function fingerprint(facts: Record<string, string>): Fingerprint {
  return { facts: new Map(Object.entries(facts)) };
}

describe('shortfalls of a restore against a bar (test support)', function () {
  const source = fingerprint({
    'table public.a': 'exists',
    'column public.a.x': 'column 1 integer',
    'rows of table public.a': '3 rows, hash aaa',
    'column public.child.a': 'column 3 text',
  });
  // The bar (plain pg_dump | psql) reorders an inherited column, as pg_dump does.
  const bar = fingerprint({ ...Object.fromEntries(source.facts), 'column public.child.a': 'column 1 text' });

  it('finds nothing when the result is the source', function () {
    assert.deepEqual(shortfallsAgainst(source, bar, source), []);
  });

  it('does not ask of the result what the bar gets wrong itself', function () {
    assert.deepEqual(shortfallsAgainst(source, bar, bar), []);
  });

  it('names a fact the bar has and the result lost or changed', function () {
    const result = fingerprint({ 'table public.a': 'exists', 'rows of table public.a': '2 rows, hash bbb', 'column public.child.a': 'column 1 text' });
    assert.deepEqual(shortfallsAgainst(source, bar, result), ['column public.a.x: missing (column 1 integer)', 'rows of table public.a: 3 rows, hash aaa ≠ 2 rows, hash bbb']);
  });

  it('names a fact the result has that neither the source nor the bar has', function () {
    const result = fingerprint({ ...Object.fromEntries(source.facts), 'table public.left_over': 'exists' });
    assert.deepEqual(shortfallsAgainst(source, bar, result), ['table public.left_over: not in the source (exists)']);
  });
});
