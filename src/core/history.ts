/**
 * A set's history, kept beside it (<set id>.history.json): every
 * verification of the set, and what retention removed when the set was made.
 * Read by the report and the extension; written atomically.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicFile';
import { historyNameFor, parseSetId } from './naming';
import { PulseError } from './errors';
import type { VerificationReport } from './verification';

export const HISTORY_FORMAT = 'pulse-backup-history';
export const HISTORY_VERSION = 1;
/** Older entries are dropped beyond this many, so the file stays small. */
const MAX_VERIFICATIONS = 50;

export interface RetentionEvent {
  /** ISO 8601. */
  at: string;
  keep: number;
  /** Ids of the sets removed. */
  removed: string[];
  /** Sets kept although older than the newest `keep`, with the reason (pinned, newest good set). */
  protected: { id: string; reason: string }[];
}

export interface SetHistory {
  format: typeof HISTORY_FORMAT;
  formatVersion: number;
  setId: string;
  /** Oldest first. */
  verifications: VerificationReport[];
  retention: RetentionEvent[];
}

export function historyPath(folder: string, setId: string): string {
  const parsed = parseSetId(setId);
  if (!parsed) throw new PulseError('unknown-set', `${setId} is not a backup set id`, { hint: 'set ids look like factory_pulse_20250901_173948' });
  return join(folder, historyNameFor(parsed.prefix, parsed.timestamp));
}

/** The set's history; an empty one when none was written yet or the file is damaged. */
export async function readHistory(folder: string, setId: string): Promise<SetHistory> {
  const empty: SetHistory = { format: HISTORY_FORMAT, formatVersion: HISTORY_VERSION, setId, verifications: [], retention: [] };
  let text: string;
  try {
    text = await readFile(historyPath(folder, setId), 'utf8');
  } catch {
    return empty;
  }
  try {
    const value = JSON.parse(text) as Partial<SetHistory>;
    if (value.format !== HISTORY_FORMAT || !Array.isArray(value.verifications)) return empty;
    return { ...empty, verifications: value.verifications, retention: Array.isArray(value.retention) ? value.retention : [] };
  } catch {
    return empty;
  }
}

export async function recordVerification(folder: string, report: VerificationReport): Promise<void> {
  const history = await readHistory(folder, report.setId);
  history.verifications = [...history.verifications, report].slice(-MAX_VERIFICATIONS);
  await writeHistory(folder, history);
}

export async function recordRetention(folder: string, setId: string, event: RetentionEvent): Promise<void> {
  const history = await readHistory(folder, setId);
  history.retention = [...history.retention, event].slice(-MAX_VERIFICATIONS);
  await writeHistory(folder, history);
}

/** The newest verification that ran the given group, if any. */
export function lastVerification(history: SetHistory, group: 'post-backup' | 'pre-restore'): VerificationReport | undefined {
  for (let index = history.verifications.length - 1; index >= 0; index -= 1) {
    const report = history.verifications[index];
    if (report.groups.some((candidate) => candidate.name === group)) return report;
  }
  return undefined;
}

async function writeHistory(folder: string, history: SetHistory): Promise<void> {
  await writeFileAtomic(historyPath(folder, history.setId), `${JSON.stringify(history, null, 2)}\n`);
}
