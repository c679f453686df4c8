import { strict as assert } from 'node:assert';
import { findForeignKeyCycles } from '../../src/core/backup/foreignKeyCycles';

describe('foreign-key cycles', () => {
  it('finds users ↔ messages and a table that references itself, as pg_dump warns', () => {
    const cycles = findForeignKeyCycles([
      { from: 'public.users', to: 'public.messages' },
      { from: 'public.messages', to: 'public.users' },
      { from: 'public.messages', to: 'public.messages' },
      { from: 'public.document_categories', to: 'public.document_categories' },
      { from: 'public.orders', to: 'public.users' },
    ]);
    assert.deepEqual(cycles, [{ tables: ['public.document_categories'] }, { tables: ['public.messages'] }, { tables: ['public.messages', 'public.users'] }]);
  });

  it('finds no cycle in a chain of references', () => {
    assert.deepEqual(
      findForeignKeyCycles([
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
      ]),
      [],
    );
  });

  it('handles a long chain and a ring of three without recursion limits', () => {
    const edges = Array.from({ length: 20000 }, (_, i) => ({ from: `t${i}`, to: `t${i + 1}` }));
    edges.push({ from: 'x', to: 'y' }, { from: 'y', to: 'z' }, { from: 'z', to: 'x' });
    assert.deepEqual(findForeignKeyCycles(edges), [{ tables: ['x', 'y', 'z'] }]);
  });
});
