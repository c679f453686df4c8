/**
 * A set's history, kept beside it (<set id>.history.json): every
 * verification of the set, what retention removed when the set was made,
 * and the copies of it in object storage (push and pull record them).
 * Read by the report and the extension; written atomically, one writer at
 * a time (withFileUpdateLock), and only while the set is there: a history
 * without its set (retention removed it while a verify or a proof read it)
 * would speak for whatever set comes back under that id (a pull).
 */
import { readRegularFile } from '../files/regularFile';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../files/atomicFile';
import { withFileUpdateLock } from '../files/folderLock';
import type { ListedSet } from './listing';
import { DUMP_TYPES, dumpFileVariants, historyNameFor, manifestNameFor, parseSetId } from './naming';
import { PulseError } from '../errors';
import { isReadableVerification, type VerificationReport } from '../verify/results';
import { isReadableProof, type ProofRecord } from '../prove/record';

export const HISTORY_FORMAT = 'pulse-backup-history';
export const HISTORY_VERSION = 1;
/** Older entries are dropped beyond this many, so the file stays small. */
const MAX_VERIFICATIONS = 50;

export interface RetentionEvent {
  /** ISO 8601. */
  at: string;
  /** The policy's `last`. */
  keep: number;
  /** The whole policy in words ("the last 10, 7 daily"); absent in events written before policies had more rules. */
  policy?: string;
  /** Ids of the sets removed. */
  removed: string[];
  /** Sets kept although the policy does not keep them, with the reason (pinned, newest good set). */
  protected: { id: string; reason: string }[];
  /** Sets the policy would have removed that nobody confirmed, so they stayed. */
  heldBack?: string[];
}

export interface SetHistory {
  format: typeof HISTORY_FORMAT;
  formatVersion: number;
  setId: string;
  /** Oldest first. */
  verifications: VerificationReport[];
  retention: RetentionEvent[];
  /** Every proof of the set (proofRecord.ts), oldest first; absent in histories written before proofs. */
  proofs?: ProofRecord[];
  /** Its copies in object storage, one per remote (the newest record of each), oldest first; absent before the first push. */
  offsite?: OffsiteCopyRecord[];
}

/**
 * A copy of the set in object storage, as a push that finished (or a pull)
 * found it: where, when it was pushed, and the set's files it holds by
 * name, size and SHA-256 — the set's own manifest as the remote manifest
 * holds it, so a view can tell whether the copy is of these very files
 * without asking the remote. Never a credential.
 */
export interface OffsiteCopyRecord {
  /** s3://BUCKET/PREFIX/SET_ID: the set's folder on the remote. */
  url: string;
  /** The endpoint in words ("AWS S3 (eu-west-1)", "https://….r2.cloudflarestorage.com"). */
  where: string;
  /** When the copy's manifest was written there (ISO 8601). */
  pushedAt: string;
  /** When this record was written. */
  recordedAt: string;
  /** A push from here, or a pull that brought the set here from there. */
  how: 'pushed' | 'pulled';
  files: { name: string; bytes: number; sha256: string }[];
}

/** A history keeps this many offsite copies: one per remote, the newest ones. */
const MAX_OFFSITE_COPIES = 20;

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
    text = await readRegularFile(historyPath(folder, setId));
  } catch {
    return empty;
  }
  try {
    const value = JSON.parse(text) as Partial<SetHistory>;
    if (value.format !== HISTORY_FORMAT || !Array.isArray(value.verifications)) return empty;
    // Proofs of a newer format than this version reads are kept on disk, but not read.
    const proofs = Array.isArray(value.proofs) ? value.proofs : [];
    const offsite = Array.isArray(value.offsite) ? value.offsite.filter(isOffsiteCopyRecord) : undefined;
    // A record its readers cannot take (edited, damaged) is left out: it fails neither this set's view nor the folder's.
    const verifications = value.verifications.filter(isReadableVerification);
    return { ...empty, verifications, retention: Array.isArray(value.retention) ? value.retention.filter(isRetentionEvent) : [], proofs, ...(offsite ? { offsite } : {}) };
  } catch {
    return empty;
  }
}

export async function recordVerification(folder: string, report: VerificationReport): Promise<void> {
  await updateHistory(folder, report.setId, (history) => {
    history.verifications = [...history.verifications, report].slice(-MAX_VERIFICATIONS);
  });
}

/** Appends a proof; the newest 50 are kept. */
export async function recordProof(folder: string, proof: ProofRecord): Promise<void> {
  await updateHistory(folder, proof.setId, (history) => {
    history.proofs = [...(history.proofs ?? []), proof].slice(-MAX_VERIFICATIONS);
  });
}

/** Records a copy of the set in object storage; it replaces an older record of the same remote. */
export async function recordOffsiteCopy(folder: string, setId: string, copy: OffsiteCopyRecord): Promise<void> {
  await updateHistory(folder, setId, (history) => {
    history.offsite = [...(history.offsite ?? []).filter((known) => known.url !== copy.url), copy].slice(-MAX_OFFSITE_COPIES);
  });
}

/**
 * The copies whose files are the set's as its manifest lists them now (each
 * file by name, size and SHA-256), newest push first: a copy of a set whose
 * files were since replaced is no copy of it.
 */
export function offsiteCopiesOf(history: Pick<SetHistory, 'offsite'>, files: readonly { name: string; bytes: number; sha256: string }[]): OffsiteCopyRecord[] {
  const key = (list: readonly { name: string; bytes: number; sha256: string }[]) =>
    list
      .map((file) => `${file.name} ${file.bytes} ${file.sha256}`)
      .sort()
      .join('\n');
  const mine = key(files);
  return (history.offsite ?? []).filter((copy) => key(copy.files) === mine).sort((first, second) => second.pushedAt.localeCompare(first.pushedAt));
}

function isRetentionEvent(value: unknown): value is RetentionEvent {
  const event = value as Partial<RetentionEvent> | null;
  const strings = (list: unknown) => Array.isArray(list) && list.every((item) => typeof item === 'string');
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.at === 'string' &&
    typeof event.keep === 'number' &&
    (event.policy === undefined || typeof event.policy === 'string') &&
    strings(event.removed) &&
    (event.heldBack === undefined || strings(event.heldBack)) &&
    Array.isArray(event.protected) &&
    event.protected.every((entry: unknown) => {
      const kept = entry as Partial<RetentionEvent['protected'][number]> | null;
      return typeof kept === 'object' && kept !== null && typeof kept.id === 'string' && typeof kept.reason === 'string';
    })
  );
}

function isOffsiteCopyRecord(value: unknown): value is OffsiteCopyRecord {
  const copy = value as Partial<OffsiteCopyRecord> | null;
  return (
    typeof copy === 'object' &&
    copy !== null &&
    typeof copy.url === 'string' &&
    typeof copy.where === 'string' &&
    typeof copy.pushedAt === 'string' &&
    !Number.isNaN(Date.parse(copy.pushedAt)) &&
    Array.isArray(copy.files) &&
    copy.files.every((file: unknown) => {
      const entry = file as Partial<OffsiteCopyRecord['files'][number]> | null;
      return typeof entry === 'object' && entry !== null && typeof entry.name === 'string' && typeof entry.bytes === 'number' && typeof entry.sha256 === 'string';
    })
  );
}

/** The newest proof this version can read, if any. */
export function lastProof(history: SetHistory): ProofRecord | undefined {
  const readable = (history.proofs ?? []).filter(isReadableProof);
  return readable[readable.length - 1];
}

/** The newest proof of each set that has one (the listing's sets; only those with a history are read). */
/** Each set's last proof, and whether it still speaks for the files (currentProof); sets never proved are left out. */
export async function latestProofs(folder: string, sets: readonly ListedSet[]): Promise<Map<string, ProofStanding>> {
  const standings = new Map<string, ProofStanding>();
  await Promise.all(
    sets.map(async (set) => {
      const standing = await currentProof(folder, set);
      if (standing.proof ?? standing.stale) standings.set(set.id, standing);
    }),
  );
  return standings;
}

export async function recordRetention(folder: string, setId: string, event: RetentionEvent): Promise<void> {
  await updateHistory(folder, setId, (history) => {
    history.retention = [...history.retention, event].slice(-MAX_VERIFICATIONS);
  });
}

/** The newest verification that ran the given group, if any. */
export function lastVerification(history: SetHistory, group: 'post-backup' | 'pre-restore'): VerificationReport | undefined {
  for (let index = history.verifications.length - 1; index >= 0; index -= 1) {
    const report = history.verifications[index];
    if (report.groups.some((candidate) => candidate.name === group)) return report;
  }
  return undefined;
}

/**
 * Some file systems keep modification times to the second or two (FAT to
 * two seconds), so a file changed just after a check can look older than
 * it; a check counts only when it is clearly newer than every file.
 */
const MTIME_RESOLUTION_MS = 2000;

/**
 * The set's last recorded post-backup verification, when it still speaks for
 * the files: every file of the set (and its manifest) exists and was last
 * modified clearly before that verification. Undefined otherwise. Retention
 * relies on it instead of reading the set again, so it leaves the margin.
 */
export async function recentVerification(folder: string, set: ListedSet): Promise<VerificationReport | undefined> {
  return verificationThatHolds(folder, set, MTIME_RESOLUTION_MS);
}

/**
 * The same for showing a set: a verification counts until a file of the set
 * is modified after it (a file rewritten since, or damaged since), so a set
 * verified a moment after its backup shows as verified at once.
 */
export async function currentVerification(folder: string, set: ListedSet, history?: SetHistory): Promise<VerificationReport | undefined> {
  return verificationThatHolds(folder, set, 0, history);
}

/** The set's last proof as a view shows it: `proof` while it speaks for the files, `stale` for a passed one a changed file outdated. */
export interface ProofStanding {
  proof?: ProofRecord;
  stale?: ProofRecord;
}

/**
 * A failed proof stays a warning until a proof passes (changing a file does
 * not make it good); a passed proof counts until a file of the set (or its
 * manifest) is modified after it started, as a verification does.
 */
export async function currentProof(folder: string, set: ListedSet, history?: SetHistory): Promise<ProofStanding> {
  if (!set.hasHistory) return {};
  const proof = lastProof(history ?? (await readHistory(folder, set.id)));
  if (!proof || proof.outcome === 'failed') return proof ? { proof } : {};
  return (await filesUnchangedSince(folder, set, Date.parse(proof.provedAt))) ? { proof } : { stale: proof };
}

async function filesUnchangedSince(folder: string, set: ListedSet, since: number): Promise<boolean> {
  if (Number.isNaN(since)) return false;
  const names = [...set.files.map((file) => file.name), ...(set.hasManifest ? [manifestNameFor(set.prefix, set.timestamp)] : [])];
  for (const name of names) {
    const info = await stat(join(folder, name)).catch(() => undefined);
    if (!info || info.mtimeMs > since) return false;
  }
  return true;
}

async function verificationThatHolds(folder: string, set: ListedSet, marginMs: number, known?: SetHistory): Promise<VerificationReport | undefined> {
  if (!set.hasHistory) return undefined;
  const report = lastVerification(known ?? (await readHistory(folder, set.id)), 'post-backup');
  if (!report) return undefined;
  // A file changed (or vanished) since the check: the recorded result says nothing about it now.
  return (await filesUnchangedSince(folder, set, Date.parse(report.checkedAt) - marginMs)) ? report : undefined;
}

/**
 * Reads, changes and writes the history while no other writer (another
 * process, or another call of this one) does: each reads what the one
 * before it wrote, so no record is lost.
 */
async function updateHistory(folder: string, setId: string, change: (history: SetHistory) => void): Promise<void> {
  const path = historyPath(folder, setId);
  await withFileUpdateLock(folder, basename(path), async () => {
    // Retention removes a history under this same lock, after every other file of the set.
    if (!(await hasSetFiles(folder, setId))) {
      throw new PulseError('unknown-set', `${setId} is no longer in ${folder}, so nothing is recorded for it`, { hint: "it was removed (a backup's retention or a prune)" });
    }
    const history = await readHistory(folder, setId);
    change(history);
    await writeFileAtomic(path, `${JSON.stringify(history, null, 2)}\n`);
  });
}

/** Whether any file of the set is in the folder: its manifest, or a dump in any form it is stored in. */
export async function hasSetFiles(folder: string, setId: string): Promise<boolean> {
  const parsed = parseSetId(setId);
  if (!parsed) return false;
  const names = [manifestNameFor(parsed.prefix, parsed.timestamp), ...DUMP_TYPES.flatMap((type) => dumpFileVariants(parsed.prefix, type, parsed.timestamp))];
  for (const name of names) {
    if ((await stat(join(folder, name)).catch(() => undefined)) !== undefined) return true;
  }
  return false;
}
