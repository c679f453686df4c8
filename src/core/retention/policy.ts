/**
 * The retention policy people know from restic and borg: keep the last N
 * sets, and the newest set of each of the last N hours, days, weeks, months
 * and years that have one. A set any rule keeps is kept. Pure: it decides on
 * set ids and timestamps, never on files, so retention.ts can plan with it
 * and the tests can run it on plain data.
 *
 * Buckets come from the set's timestamp (the local time in its file names),
 * so a set lands in the same hour, day, ISO week, month and year it is named
 * after, whatever time zone the planner runs in.
 */
import { PulseError } from '../errors';

/** The rules, in the order they are shown. */
export const POLICY_RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

/** How many sets (last) or buckets (the others) each rule keeps; 0 turns a rule off. */
export type RetentionPolicy = Readonly<Record<PolicyRule, number>>;

/** What `backup` keeps when nothing is said: enough to survive a few bad backups in a row. */
export const DEFAULT_KEEP = 10;

export const DEFAULT_POLICY: RetentionPolicy = { last: DEFAULT_KEEP, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };

/** A removal of more sets than this in one run is confirmed by a person first. */
export const ROUTINE_REMOVALS = 3;

/**
 * A policy from what a person gave (flags, settings). Nothing given: the
 * default, keep the last 10. Only bucket rules given: those alone (keep
 * daily 7 does not also keep the last 10). Every number is a whole number of
 * at least 0, and together they must keep something.
 */
export function makePolicy(given: Partial<Record<PolicyRule, number | undefined>>, describeRule: (rule: PolicyRule) => string = flagName): RetentionPolicy {
  const anyGiven = POLICY_RULES.some((rule) => given[rule] !== undefined);
  if (!anyGiven) return DEFAULT_POLICY;
  const policy = { last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
  for (const rule of POLICY_RULES) {
    const value = given[rule];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 0) {
      throw new PulseError('usage', `${describeRule(rule)} must be a whole number of 0 or more, not ${String(value)}`, {
        hint: `e.g. ${describeRule('daily')} 7`,
      });
    }
    policy[rule] = value;
  }
  if (POLICY_RULES.every((rule) => policy[rule] === 0)) {
    throw new PulseError('usage', 'this retention policy would keep no set at all', {
      hint: `keep at least one, e.g. ${describeRule('last')} 1 or ${describeRule('daily')} 7`,
    });
  }
  return policy;
}

/** The CLI's flag for a rule: --keep-daily. */
export function flagName(rule: PolicyRule): string {
  return `--keep-${rule}`;
}

/** "the last 10, 7 daily, 4 weekly": a policy in words. */
export function describePolicy(policy: RetentionPolicy): string {
  const parts = POLICY_RULES.filter((rule) => policy[rule] > 0).map((rule) => (rule === 'last' ? `the last ${policy.last}` : `${policy[rule]} ${rule}`));
  return parts.join(', ');
}

/** A stable key: two runs under the same policy have the same key. */
export function policyKey(policy: RetentionPolicy): string {
  return POLICY_RULES.map((rule) => `${rule}=${policy[rule]}`).join(',');
}

/** Why a rule keeps a set, in words: "among the last 10", "the newest of 2025-09-01". */
export function describeRule(rule: PolicyRule, timestamp: string, policy: RetentionPolicy): string {
  if (rule === 'last') return `among the last ${policy.last}`;
  return `the newest of ${bucketLabel(rule, timestamp)} (${rule})`;
}

export interface PolicySet {
  id: string;
  /** YYYYMMDD_HHMMSS, local time. */
  timestamp: string;
  /** Whether the bucket rules may keep it: an incomplete set never takes a day's place from a whole one. */
  whole: boolean;
}

/**
 * The sets the policy keeps, with every rule that keeps each. `sets` must be
 * newest first by when they were made (listing.ts newestFirst). As restic
 * does: `last` keeps the first N; each bucket rule walks the sets newest
 * first and keeps the first set of each bucket it has not met yet, until it
 * has kept its number of buckets.
 */
export function applyPolicy(sets: readonly PolicySet[], policy: RetentionPolicy): Map<string, PolicyRule[]> {
  const kept = new Map<string, PolicyRule[]>();
  const keep = (id: string, rule: PolicyRule) => kept.set(id, [...(kept.get(id) ?? []), rule]);
  sets.slice(0, policy.last).forEach((set) => keep(set.id, 'last'));
  for (const rule of POLICY_RULES) {
    if (rule === 'last' || policy[rule] === 0) continue;
    let remaining = policy[rule];
    // Every bucket already kept, not only the last one: a set made later can
    // carry an earlier name (another time zone's clock), so one bucket's sets
    // need not follow each other in this order.
    const seen = new Set<string>();
    for (const set of sets) {
      if (remaining === 0) break;
      if (!set.whole) continue;
      const bucket = bucketOf(rule, set.timestamp);
      if (seen.has(bucket)) continue;
      seen.add(bucket);
      remaining -= 1;
      keep(set.id, rule);
    }
  }
  return kept;
}

interface Stamp {
  year: number;
  month: number;
  day: number;
  hour: number;
}

function parseStamp(timestamp: string): Stamp {
  const match = /^(\d{4})(\d{2})(\d{2})_(\d{2})/.exec(timestamp);
  if (!match) throw new PulseError('internal', `not a set timestamp: ${timestamp}`, { hint: 'set timestamps look like 20250901_173948' });
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]), hour: Number(match[4]) };
}

/** The bucket a timestamp falls in for a rule: equal strings, same bucket. */
export function bucketOf(rule: Exclude<PolicyRule, 'last'>, timestamp: string): string {
  const stamp = parseStamp(timestamp);
  const two = (value: number) => String(value).padStart(2, '0');
  switch (rule) {
    case 'hourly':
      return `${stamp.year}-${two(stamp.month)}-${two(stamp.day)} ${two(stamp.hour)}h`;
    case 'daily':
      return `${stamp.year}-${two(stamp.month)}-${two(stamp.day)}`;
    case 'weekly': {
      const week = isoWeek(stamp);
      return `${week.year}-W${two(week.week)}`;
    }
    case 'monthly':
      return `${stamp.year}-${two(stamp.month)}`;
    case 'yearly':
      return String(stamp.year);
  }
}

function bucketLabel(rule: PolicyRule, timestamp: string): string {
  if (rule === 'last') return timestamp;
  const bucket = bucketOf(rule, timestamp);
  return rule === 'hourly' ? bucket.replace(/ (\d\d)h$/, ' $1:00') : rule === 'weekly' ? `week ${bucket}` : bucket;
}

/** ISO 8601 week: weeks start on Monday, week 1 holds the year's first Thursday. */
function isoWeek(stamp: Stamp): { year: number; week: number } {
  // Calendar arithmetic in UTC: the date is a name, not an instant.
  const date = new Date(Date.UTC(stamp.year, stamp.month - 1, stamp.day));
  const weekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return { year: date.getUTCFullYear(), week };
}

/**
 * What a person must confirm before a retention run removes sets: more
 * than a few at once, or sets this policy has never kept (the policy
 * changed, sets were copied in, or retention never ran here). A routine
 * run — the oldest set or two falling out of a policy that kept them
 * before — needs no one.
 */
export interface RemovalReview {
  /** True when a person must say yes first. */
  confirm: boolean;
  /** The removals this policy has not kept before (all of them when it never ran here). */
  unseen: string[];
  /** Why a confirmation is needed, in words, or nothing. */
  reasons: string[];
}

/** What the last run under a policy kept: the record `retention.ts` keeps beside the sets. */
export interface RetentionMemory {
  policy: string;
  kept: readonly string[];
}

export function reviewRemovals(removals: readonly string[], policy: RetentionPolicy, memory: RetentionMemory | undefined): RemovalReview {
  const same = memory !== undefined && memory.policy === policyKey(policy);
  const seen = new Set(same ? memory.kept : []);
  const unseen = removals.filter((id) => !seen.has(id));
  const reasons: string[] = [];
  if (removals.length > ROUTINE_REMOVALS) reasons.push(`${removals.length} sets at once`);
  if (unseen.length > 0) {
    const why = memory === undefined ? ' (retention has not run in this folder yet)' : same ? '' : ' (the policy changed)';
    reasons.push(`${unseen.length} ${unseen.length === 1 ? 'set' : 'sets'} this policy has not kept before${why}`);
  }
  return { confirm: reasons.length > 0, unseen, reasons };
}
