import { strict as assert } from 'node:assert';
import { compareNatural, compareText, formatCount } from '../../src/core/format';

describe('formatting numbers for people', () => {
  it('groups counts in thousands exactly as en-US does, without starting ICU for whole numbers', () => {
    for (const value of [0, 7, 999, 1000, 3166, 440_031, 1_234_567, -1_234_567, 123_456_789_012, 12.5, 1e21]) {
      assert.equal(formatCount(value), value.toLocaleString('en-US'), String(value));
    }
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
