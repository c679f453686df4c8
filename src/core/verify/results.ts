/**
 * The values a verification produces. The CLI, the report and the extension
 * all render these; none of them re-derives a result.
 */

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable identifier, e.g. 'checksums' or 'target-reachable'. */
  id: string;
  /** What is checked, for people: "Files match their recorded sha256". */
  title: string;
  status: CheckStatus;
  /** One line: what was found, and for warn/fail what to do. */
  detail: string;
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
