/**
 * The order the suite's tests run in: as written, reversed, or shuffled by
 * a seed (PULSE_TEST_ORDER = `reverse`, `shuffle` or `shuffle:SEED`), to
 * show that no test lives off what an earlier one left behind. Hooks stay
 * where they are; tests move within their `describe`, and `describe`s among
 * their siblings.
 */
export type TestOrder = { kind: 'written' } | { kind: 'reverse' } | { kind: 'shuffle'; seed: number };

export function parseTestOrder(value: string | undefined): TestOrder {
  const text = (value ?? '').trim();
  if (text === '' || text === 'written') return { kind: 'written' };
  if (text === 'reverse') return { kind: 'reverse' };
  const shuffle = /^shuffle(?::(\d+))?$/.exec(text);
  if (shuffle) return { kind: 'shuffle', seed: shuffle[1] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(shuffle[1]) };
  throw new Error(`PULSE_TEST_ORDER=${text} is not an order: use written, reverse, shuffle or shuffle:SEED`);
}

export function describeTestOrder(order: TestOrder): string {
  if (order.kind === 'shuffle') return `shuffled with seed ${order.seed} (PULSE_TEST_ORDER=shuffle:${order.seed} repeats it)`;
  return order.kind === 'reverse' ? 'reversed' : 'as written';
}

/** What of a mocha suite the order moves. */
export interface OrderableSuite {
  tests: unknown[];
  suites: OrderableSuite[];
}

/** Reorders the suite's tests and child suites in place, recursively. */
export function applyTestOrder(suite: OrderableSuite, order: TestOrder): void {
  if (order.kind === 'written') return;
  const random = order.kind === 'shuffle' ? seededRandom(order.seed) : undefined;
  const reorder = <T>(items: T[]): void => {
    if (!random) {
      items.reverse();
      return;
    }
    // Fisher–Yates with the seeded generator: the same seed, the same order.
    for (let index = items.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [items[index], items[other]] = [items[other], items[index]];
    }
  };
  const visit = (node: OrderableSuite): void => {
    reorder(node.tests);
    reorder(node.suites);
    for (const child of node.suites) visit(child);
  };
  visit(suite);
}

/** mulberry32: small, and enough to spread tests around. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
