/**
 * One state per set, the same in every place that shows a set (the
 * extension's tree, pickers and status bar, the report): what a person
 * should know first about it. Pure: the listing and the history's records
 * decide, nothing is read here.
 *
 * Most important first: a set still being written, then anything wrong with
 * it (a failed verification, then a failed proof: a warning, the set is
 * kept), then what kind of set it is (a safety backup, the old script's),
 * then how far it has been proved good.
 */
import type { ListedSet } from './listing';
import type { ProofRecord } from '../prove/record';
import { outcomeOf, type VerificationReport } from '../verify/results';

export type { ProofRecord };

export type SetState = 'running' | 'incomplete' | 'failed' | 'proof-failed' | 'safety' | 'old-script' | 'proved' | 'verified' | 'new';

export const SET_STATES: readonly SetState[] = ['running', 'incomplete', 'failed', 'proof-failed', 'safety', 'old-script', 'proved', 'verified', 'new'];

/** The words for a state, as a person reads them after "this set is". */
export const SET_STATE_WORDS: Readonly<Record<SetState, string>> = {
  running: 'being written',
  incomplete: 'incomplete',
  failed: 'failed verification',
  'proof-failed': 'failed its proof',
  safety: 'safety backup',
  'old-script': 'from the old script (no manifest)',
  proved: 'proved by a test restore',
  verified: 'verified',
  new: 'not verified yet',
};

export interface SetEvidence {
  set: ListedSet;
  /** The newest post-backup verification that still speaks for the files (none changed since). */
  verification?: VerificationReport;
  /**
   * The set's last proof (proofRecord.ts), when it still speaks for the set:
   * a failed one always (a warning stays until a proof passes), a passed
   * one while no file of the set changed after it (history.ts, currentProof).
   */
  proof?: ProofRecord;
}

export function setStateOf(evidence: SetEvidence): SetState {
  const { set } = evidence;
  if (set.status === 'running') return 'running';
  if (set.status === 'incomplete') return 'incomplete';
  if (postBackupOutcome(evidence.verification) === 'fail') return 'failed';
  if (evidence.proof?.outcome === 'failed') return 'proof-failed';
  if (set.purpose === 'safety') return 'safety';
  if (set.status === 'legacy') return 'old-script';
  if (evidence.proof?.outcome === 'proved') return 'proved';
  if (evidence.verification && postBackupOutcome(evidence.verification) !== undefined) return 'verified';
  return 'new';
}

/** The outcome of the set's own checks: a pre-restore failure (target down) says nothing about the files. */
export function postBackupOutcome(report: VerificationReport | undefined): 'pass' | 'warn' | 'fail' | undefined {
  const group = report?.groups.find((candidate) => candidate.name === 'post-backup');
  return group ? outcomeOf(group.checks) : undefined;
}

/** A backup a person made on purpose (not the safety set a restore takes of its target). */
export function isRealBackup(set: ListedSet): boolean {
  return set.purpose === 'backup';
}

/**
 * "Latest" everywhere (Verify Latest Backup, a task without a set id): the
 * newest real backup that is finished and whole. Sets come newest first.
 */
export function latestBackup<T extends { set: ListedSet }>(entries: readonly T[]): T | undefined {
  return entries.find((entry) => isRealBackup(entry.set) && (entry.set.status === 'complete' || entry.set.status === 'legacy'));
}
