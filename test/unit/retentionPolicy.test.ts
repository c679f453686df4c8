/**
 * The retention policy on plain data: which sets the last-N and the hourly,
 * daily, weekly, monthly and yearly rules keep, how a policy is made from
 * what a person gave, and when a run's removals need a person's yes.
 */
import * as assert from 'node:assert/strict';
import { PulseError } from '../../src/core/errors';
import {
  DEFAULT_POLICY,
  applyPolicy,
  bucketOf,
  describePolicy,
  makePolicy,
  policyKey,
  reviewRemovals,
  type PolicySet,
  type RetentionPolicy,
} from '../../src/core/retention/policy';

const policy = (rules: Partial<RetentionPolicy>): RetentionPolicy => ({ last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0, ...rules });

/** Sets named by their timestamps, newest first, as the planner hands them over. */
function sets(...timestamps: string[]): PolicySet[] {
  return [...timestamps]
    .sort()
    .reverse()
    .map((timestamp) => ({ id: `shop_${timestamp}`, timestamp, whole: true }));
}

function kept(list: PolicySet[], rules: Partial<RetentionPolicy>): string[] {
  return [...applyPolicy(list, policy(rules)).keys()].map((id) => id.replace(/^shop_/, '')).sort();
}

describe('the retention policy', () => {
  describe('which sets it keeps', () => {
    it('last N keeps the newest N, whatever their time', () => {
      assert.deepEqual(kept(sets('20250101_000000', '20250101_000001', '20250101_000002', '20250102_000000'), { last: 2 }), ['20250101_000002', '20250102_000000']);
    });

    it('daily keeps the newest set of each of the last N days that have one, skipping empty days', () => {
      const list = sets('20250101_090000', '20250101_180000', '20250103_090000', '20250103_120000', '20250106_080000', '20250106_230000');
      assert.deepEqual(kept(list, { daily: 2 }), ['20250103_120000', '20250106_230000']);
      assert.deepEqual(kept(list, { daily: 7 }), ['20250101_180000', '20250103_120000', '20250106_230000']);
    });

    it('hourly buckets by the hour of the name', () => {
      assert.deepEqual(kept(sets('20250101_090000', '20250101_095959', '20250101_100000'), { hourly: 5 }), ['20250101_095959', '20250101_100000']);
    });

    it('weekly uses ISO weeks: Monday 30 December 2024 is in week 1 of 2025, Sunday 29 December in week 52 of 2024', () => {
      assert.equal(bucketOf('weekly', '20241230_000000'), '2025-W01');
      assert.equal(bucketOf('weekly', '20241229_235959'), '2024-W52');
      assert.equal(bucketOf('weekly', '20210103_000000'), '2020-W53');
      assert.deepEqual(kept(sets('20241229_120000', '20241230_120000', '20250105_120000'), { weekly: 3 }), ['20241229_120000', '20250105_120000']);
    });

    it('monthly and yearly keep the newest of each month and year', () => {
      const list = sets('20230615_000000', '20231231_000000', '20240101_000000', '20240131_000000', '20240201_000000');
      assert.deepEqual(kept(list, { monthly: 2 }), ['20240131_000000', '20240201_000000']);
      assert.deepEqual(kept(list, { yearly: 5 }), ['20231231_000000', '20240201_000000']);
    });

    it('keeps a set when any rule keeps it, and says every rule that does', () => {
      const list = sets('20250101_100000', '20250102_100000', '20250103_100000', '20250103_110000');
      const result = applyPolicy(list, policy({ last: 1, daily: 3 }));
      assert.deepEqual(result.get('shop_20250103_110000'), ['last', 'daily']);
      assert.deepEqual(result.get('shop_20250102_100000'), ['daily']);
      assert.equal(result.get('shop_20250103_100000'), undefined);
      assert.equal(result.size, 3);
    });

    it("keeps one set of a day whose sets do not follow each other: one made later under another time zone's clock", () => {
      // Newest first by when each was made: the newest carries an earlier
      // name (its clock was 17 hours behind), and the day between sits
      // between two sets of one day.
      const list: PolicySet[] = ['20250103_010000', '20250102_230000', '20250103_180000'].map((timestamp) => ({ id: `shop_${timestamp}`, timestamp, whole: true }));
      assert.deepEqual(kept(list, { daily: 3 }), ['20250102_230000', '20250103_010000']);
      assert.deepEqual(kept(list, { daily: 1 }), ['20250103_010000']);
    });

    it('never lets an incomplete set take a day from a whole one, but counts it among the last N', () => {
      const list = sets('20250101_100000', '20250101_200000');
      list[0] = { ...list[0], whole: false };
      assert.deepEqual(kept(list, { daily: 1 }), ['20250101_100000']);
      assert.deepEqual(kept(list, { last: 1 }), ['20250101_200000']);
    });
  });

  describe('making a policy', () => {
    it('nothing given: keep the last 10', () => {
      assert.deepEqual(makePolicy({}), DEFAULT_POLICY);
      assert.equal(describePolicy(DEFAULT_POLICY), 'the last 10');
    });

    it('only bucket rules given: those alone, not also the last 10', () => {
      const made = makePolicy({ daily: 7, weekly: 4 });
      assert.deepEqual(made, policy({ daily: 7, weekly: 4 }));
      assert.equal(describePolicy(made), '7 daily, 4 weekly');
      assert.equal(policyKey(made), 'last=0,hourly=0,daily=7,weekly=4,monthly=0,yearly=0');
    });

    it('refuses a policy that keeps nothing, and numbers that are not whole and at least 0, naming the flag', () => {
      assert.throws(
        () => makePolicy({ last: 0 }),
        (error: unknown) => error instanceof PulseError && error.code === 'usage' && /would keep no set/.test(error.message),
      );
      assert.throws(
        () => makePolicy({ daily: -1 }),
        (error: unknown) => error instanceof PulseError && /--keep-daily must be a whole number/.test(error.message),
      );
      assert.throws(
        () => makePolicy({ weekly: 1.5 }, (rule) => `pulseBackup.retention.keep${rule[0].toUpperCase()}${rule.slice(1)}`),
        (error: unknown) => error instanceof PulseError && /pulseBackup\.retention\.keepWeekly must be/.test(error.message),
      );
    });
  });

  describe('when removals need a person', () => {
    const last3 = policy({ last: 3 });
    const memory = { policy: policyKey(last3), kept: ['a', 'b', 'c', 'd'] };

    it('a routine run needs no one: a few sets, each kept under this policy before', () => {
      assert.deepEqual(reviewRemovals(['c', 'd'], last3, memory), { confirm: false, unseen: [], reasons: [] });
      assert.deepEqual(reviewRemovals([], last3, undefined), { confirm: false, unseen: [], reasons: [] });
    });

    it('more than three at once needs a yes, even when each was seen', () => {
      const review = reviewRemovals(['a', 'b', 'c', 'd'], last3, memory);
      assert.equal(review.confirm, true);
      assert.deepEqual(review.reasons, ['4 sets at once']);
    });

    it('a set never kept under this policy needs a yes: copied in, a changed policy, or no run yet', () => {
      assert.deepEqual(reviewRemovals(['c', 'x'], last3, memory), { confirm: true, unseen: ['x'], reasons: ['1 set this policy has not kept before'] });
      assert.deepEqual(reviewRemovals(['c'], policy({ last: 2 }), memory).reasons, ['1 set this policy has not kept before (the policy changed)']);
      assert.deepEqual(reviewRemovals(['c', 'd'], last3, undefined).reasons, ['2 sets this policy has not kept before (retention has not run in this folder yet)']);
    });
  });
});
