import { strict as assert } from 'node:assert';
import { compareNatural, compareText, countOf, formatCount } from '../../src/core/format';
import { rowCountsWords } from '../../src/core/restore/types';

describe('formatting numbers for people', () => {
  it('groups counts in thousands exactly as en-US does, without starting ICU for whole numbers', () => {
    for (const value of [0, 7, 999, 1000, 3166, 440_031, 1_234_567, -1_234_567, 123_456_789_012, 12.5, 1e21]) {
      assert.equal(formatCount(value), value.toLocaleString('en-US'), String(value));
    }
  });

  it('shows a count that is no number (read from a damaged file) as ?, never as it is', () => {
    for (const value of ['12|x', { a: 1 }, undefined, null, Number.NaN]) assert.equal(formatCount(value as number), '?', JSON.stringify(value));
  });
});

describe('counts in words', () => {
  it('puts the noun in the singular for one, and groups thousands', () => {
    assert.equal(countOf(1, 'table'), '1 table');
    assert.equal(countOf(0, 'table'), '0 tables');
    assert.equal(countOf(1234, 'row'), '1,234 rows');
    assert.equal(countOf(2, 'copy', 'copies'), '2 copies');
  });

  it("says how a restore's row counts compare with the manifest, in the singular for one table", () => {
    const tables = (matching: number, differing: number) => [
      ...Array.from({ length: matching }, () => ({ matches: true })),
      ...Array.from({ length: differing }, () => ({ matches: false })),
    ];
    assert.equal(rowCountsWords(tables(1, 0)), 'the 1 table matches the manifest');
    assert.equal(rowCountsWords(tables(3, 0)), 'all 3 tables match the manifest');
    assert.equal(rowCountsWords(tables(0, 1)), '1 of 1 table differs from the manifest');
    assert.equal(rowCountsWords(tables(1200, 2)), '2 of 1,202 tables differ from the manifest');
  });
});

describe('comparing names without the ICU collator', () => {
  it('orders by code point, and digit runs as numbers when asked', () => {
    assert.deepEqual(['b', 'a', 'B', 'a_2'].sort(compareText), ['B', 'a', 'a_2', 'b']);
    assert.deepEqual(['postgresql@9', 'postgresql@17', 'postgresql@15', 'postgresql'].sort(compareNatural), ['postgresql', 'postgresql@9', 'postgresql@15', 'postgresql@17']);
    assert.deepEqual(
      ['15', '9.6', '18', '10'].sort((a, b) => compareNatural(b, a)),
      ['18', '15', '10', '9.6'],
    );
  });
});
