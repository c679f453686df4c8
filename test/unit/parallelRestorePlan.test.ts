import { strict as assert } from 'node:assert';
import { assignTables, entryPlacer } from '../../src/core/restore/parallel';
import type { EntryHeader } from '../../src/core/pg/dumpReader';

const entry = (type: string, name: string, isData = false): EntryHeader => ({ isData, name, type, schema: 'public', owner: 'postgres' });

describe('restore --jobs: where each entry loads', () => {
  it('gives tables to sessions biggest first, each to the least loaded one; tables without rows to none', () => {
    const assignment = assignTables(
      [
        { schema: 'public', name: 'small', bytes: 10, rows: 1 },
        { schema: 'public', name: 'big', bytes: 1000, rows: 100 },
        { schema: 'public', name: 'middle', bytes: 600, rows: 50 },
        { schema: 'public', name: 'other', bytes: 500, rows: 40 },
        { schema: 'public', name: 'parent', bytes: 0, rows: null },
      ],
      2,
    );
    assert.deepEqual(Object.fromEntries(assignment), { 'public.big': 0, 'public.middle': 1, 'public.other': 1, 'public.small': 0 });
  });

  it('steps: definitions before the first rows, rows while entries load rows, then indexes side by side and the rest in one session', () => {
    const place = entryPlacer(new Map([['public.b', 1]]), 2);
    const steps = [
      entry('TABLE', 'a'),
      entry('SEQUENCE', 'a_id_seq'),
      entry('TABLE DATA', 'a', true),
      entry('TABLE DATA', 'b', true),
      entry('TABLE DATA', 'c', true),
      entry('SEQUENCE SET', 'a_id_seq', true),
      entry('CONSTRAINT', 'a a_pkey'),
      entry('INDEX', 'b_idx'),
      entry('INDEX', 'c_idx'),
      entry('FK CONSTRAINT', 'b b_a_fkey'),
      entry('MATERIALIZED VIEW DATA', 'totals', true),
    ].map((header) => place(header));
    assert.deepEqual(
      steps.map((step) => `${step.phase}${step.sideBySide ? '*' : ''}:${step.session}`),
      ['pre:0', 'pre:0', 'data:0', 'data:1', 'data:1', 'data:0', 'post*:0', 'post*:1', 'post*:0', 'post:0', 'post:0'],
    );
  });
});
