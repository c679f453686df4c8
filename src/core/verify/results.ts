/**
 * The values a verification produces. The CLI, the report and the extension
 * all render these; none of them re-derives a result.
 */
import { wordHint, type ActionWords, type Hint } from '../hint';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable identifier, e.g. 'checksums' or 'target-reachable'. */
  id: string;
  /** What is checked, for people: "Files match their recorded sha256". */
  title: string;
  status: CheckStatus;
  /** One line: what was found. */
  detail: string;
  /** For warn/fail, what to do, its actions as data (see checkLine). */
  hint?: Hint;
}

/** "what was found: what to do", in a front door's words. */
export function checkLine(check: CheckResult, words: ActionWords): string {
  return check.hint === undefined ? check.detail : `${check.detail}: ${wordHint(check.hint, words)}`;
}

export type CheckGroupName = 'post-backup' | 'pre-restore';

export interface CheckGroup {
  name: CheckGroupName;
  title: string;
  checks: CheckResult[];
}

export interface VerificationReport {
  setId: string;
  /** ISO 8601. */
  checkedAt: string;
  durationMs: number;
  /** The database checked against, for pre-restore checks (never a password). */
  target?: { host: string; port: number; database: string; user: string };
  groups: CheckGroup[];
  /** 'fail' if any check failed, else 'warn' if any warned, else 'pass'. */
  outcome: CheckStatus;
}

const STATUSES: readonly unknown[] = ['pass', 'warn', 'fail'];

/**
 * A verification as its readers (the tree, the status bar, the report,
 * retention) take it: a history edited by hand or damaged leaves out one
 * that is not, instead of failing every view of the folder.
 */
export function isReadableVerification(value: unknown): value is VerificationReport {
  const isObject = (item: unknown): item is Record<string, unknown> => typeof item === 'object' && item !== null && !Array.isArray(item);
  if (!isObject(value)) return false;
  return (
    typeof value.setId === 'string' &&
    typeof value.checkedAt === 'string' &&
    !Number.isNaN(Date.parse(value.checkedAt)) &&
    typeof value.durationMs === 'number' &&
    STATUSES.includes(value.outcome) &&
    Array.isArray(value.groups) &&
    value.groups.every(
      (group: unknown) =>
        isObject(group) &&
        typeof group.name === 'string' &&
        typeof group.title === 'string' &&
        Array.isArray(group.checks) &&
        group.checks.every(
          (check: unknown) =>
            isObject(check) && typeof check.id === 'string' && typeof check.title === 'string' && typeof check.detail === 'string' && STATUSES.includes(check.status),
        ),
    )
  );
}

export function outcomeOf(checks: readonly CheckResult[]): CheckStatus {
  if (checks.some((check) => check.status === 'fail')) return 'fail';
  if (checks.some((check) => check.status === 'warn')) return 'warn';
  return 'pass';
}
