import { strict as assert } from 'node:assert';
import { formatCount } from '../../src/core/format';

describe('formatting numbers for people', () => {
  it('groups counts in thousands exactly as en-US does, without starting ICU for whole numbers', () => {
    for (const value of [0, 7, 999, 1000, 3166, 440_031, 1_234_567, -1_234_567, 123_456_789_012, 12.5, 1e21]) {
      assert.equal(formatCount(value), value.toLocaleString('en-US'), String(value));
    }
  });
});
