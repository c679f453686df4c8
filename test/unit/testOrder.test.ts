import { strict as assert } from 'node:assert';
import { applyTestOrder, parseTestOrder, type OrderableSuite } from '../extension/suite/order';

function suite(tests: string[], suites: OrderableSuite[] = []): OrderableSuite {
  return { tests: [...tests], suites };
}

describe("the extension suite's test order (PULSE_TEST_ORDER)", function () {
  it('reverses the tests of every describe, and the describes among themselves', function () {
    const root = suite(['a', 'b', 'c'], [suite(['d', 'e']), suite(['f'])]);
    applyTestOrder(root, { kind: 'reverse' });
    assert.deepEqual(root.tests, ['c', 'b', 'a']);
    assert.deepEqual(
      root.suites.map((child) => child.tests),
      [['f'], ['e', 'd']],
    );
  });

  it('shuffles the same way for the same seed, keeps every test, and another seed gives another order', function () {
    const names = Array.from({ length: 20 }, (_, index) => `test ${index}`);
    const once = suite(names);
    const again = suite(names);
    const other = suite(names);
    applyTestOrder(once, { kind: 'shuffle', seed: 42 });
    applyTestOrder(again, { kind: 'shuffle', seed: 42 });
    applyTestOrder(other, { kind: 'shuffle', seed: 7 });
    assert.deepEqual(once.tests, again.tests);
    assert.notDeepEqual(once.tests, names);
    assert.notDeepEqual(once.tests, other.tests);
    assert.deepEqual([...once.tests].sort(), [...names].sort());
  });

  it('reads written, reverse, shuffle and shuffle:SEED, and refuses anything else naming the choices', function () {
    assert.deepEqual(parseTestOrder(undefined), { kind: 'written' });
    assert.deepEqual(parseTestOrder('reverse'), { kind: 'reverse' });
    assert.deepEqual(parseTestOrder('shuffle:123'), { kind: 'shuffle', seed: 123 });
    const random = parseTestOrder('shuffle');
    assert.ok(random.kind === 'shuffle' && Number.isInteger(random.seed));
    assert.throws(() => parseTestOrder('backwards'), /use written, reverse, shuffle or shuffle:SEED/);
  });
});
