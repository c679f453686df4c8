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

export function outcomeOf(checks: readonly CheckResult[]): CheckStatus {
  if (checks.some((check) => check.status === 'fail')) return 'fail';
  if (checks.some((check) => check.status === 'warn')) return 'warn';
  return 'pass';
}
