/**
 * Retention: keep the sets of a prefix that the policy keeps (the last N,
 * and the newest of each of the last hours, days, weeks, months and years:
 * retentionPolicy.ts) and remove the others whole. What it never removes: a
 * file that is not a backup name, a pinned set, the set a backup has just
 * written, the newest set that verifies, and a set a backup is still
 * writing. It holds the folder's lock while it works, so no backup starts (or
 * is running) while files disappear.
 *
 * A run that would remove more than a few sets, or sets this policy has
 * never kept before (the policy changed, sets were copied in), needs a
 * person's yes: `confirmed` says what was confirmed, and what was not is held
 * back, untouched. What each run kept is remembered beside the sets
 * (`.pulse-backup.retention.json`) for the next run to compare with.
 *
 * Which sets count toward the last N: every backup of the prefix that is finished —
 * complete, legacy (the old script's, without a manifest) and incomplete
 * alike — newest first by when they were made (listing.ts newestFirst). Safety sets (the backup a restore takes
 * of its target first) never count toward N and are never the newest good
 * set: they have a rule of their own (see `planSafetySets`), so three
 * restores can never push the only real backup out. Incomplete sets take a place among the
 * newest N rather than being removed at once, because a newest "incomplete"
 * set may be the old script still writing its second file, or a set whose
 * complete dump is intact beside a lost data file; both are worth more than
 * an older set. Beyond the newest N they are the first to go (see
 * `removalPriority`), and they never count as the newest good set. A set
 * still being written ('running') is neither counted nor touched.
 */
import { readRegularFile } from '../files/regularFile';
import { hint, option } from '../hint';
import { stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { syncFolder, writeFileAtomic } from '../files/atomicFile';
import type { BackupResult } from '../backup/backup';
import { PulseError, failedWrite, toPulseError } from '../errors';
import { lastProof, readHistory, recentVerification, recordRetention, type RetentionEvent } from '../sets/history';
import { findSet, isDatedAhead, listSets, newestFirst, type ListedSet, type SetStatus } from '../sets/listing';
import type { Manifest } from '../sets/manifest';
import { acquireFolderLock, currentLockHolder, LOCK_FILE_NAME, withFileUpdateLock, type FolderLock, type LockOwner } from '../files/folderLock';
import { dumpFileVariants, historyNameFor, isValidPrefix, manifestNameFor, pinNameFor, setFileNames } from '../sets/naming';
import { outcomeOf, type CheckStatus, type VerificationReport } from '../verify/results';
import { compareText } from '../format';
import {
  DEFAULT_KEEP,
  DEFAULT_POLICY,
  applyPolicy,
  describePolicy,
  policyKey,
  reviewRemovals,
  type PolicyRule,
  type RemovalReview,
  type RetentionMemory,
  type RetentionPolicy,
} from './policy';

export { DEFAULT_KEEP, DEFAULT_POLICY };

/** Beside the sets: what the last retention run of each prefix kept, under which policy. */
export const RETENTION_MEMORY_FILE = '.pulse-backup.retention.json';
const RETENTION_MEMORY_FORMAT = 'pulse-backup-retention';

/** Safety sets kept when no --keep-safety is given: the last few restores can each be undone. */
export const DEFAULT_KEEP_SAFETY = 3;

export interface VerifyRequest {
  folder: string;
  setId: string;
  /** The set as retention listed it: verifying each of many sets must not list the folder again each time. */
  listed?: ListedSet;
  env: NodeJS.ProcessEnv;
  /** Write the result into the set's history. */
  record?: boolean;
  signal?: AbortSignal;
}

/** The verify engine's entry point, passed in so retention can be tested without it. */
export type VerifySetFunction = (request: VerifyRequest) => Promise<VerificationReport>;

/**
 * Why a set older than the newest N stays:
 * - `pinned`: a `<set id>.pinned` marker is beside it;
 * - `just-written`: the backup that ran this retention has just written it;
 * - `newest-good`: the newest set of the prefix that verifies;
 * - `unfinished`: a backup is writing it, or left hidden partial files in it.
 */
export type ProtectionReason = 'pinned' | 'just-written' | 'newest-good' | 'unfinished';

export interface RetainedSet {
  id: string;
  status: SetStatus;
  totalBytes: number;
  purpose: 'backup' | 'safety';
  /** For sets the policy keeps: every rule that keeps it. */
  rules?: PolicyRule[];
  /** YYYYMMDD_HHMMSS, for describing the rules. */
  timestamp?: string;
}

export interface ProtectedSet extends RetainedSet {
  reason: ProtectionReason;
}

export interface RemovableSet extends RetainedSet {
  prefix: string;
  timestamp: string;
}

export interface RetentionPlan {
  /** The policy's `last` rule alone: the one number `--keep`, the messages and the JSON's `keep` speak of. */
  keep: number;
  policy: RetentionPolicy;
  keepSafety: number;
  /** The finished backups (not safety sets) the policy keeps, newest first. */
  kept: RetainedSet[];
  /** The newest `keepSafety` finished safety sets, newest first. */
  keptSafety: RetainedSet[];
  /** Sets that stay for a reason other than being among the newest `keep`, newest first. */
  protected: ProtectedSet[];
  /** In the order they are removed: incomplete sets first, then legacy, then complete; oldest first within each. */
  remove: RemovableSet[];
}

/** The newest set that verifies, and how that is known. */
export interface GoodSet {
  id: string;
  outcome: 'pass' | 'warn';
  /** 'history': a recorded verification newer than the set's files; 'verified': checked during this run. */
  source: 'just-written' | 'history' | 'verified';
}

/** A set newer than the newest good one that was passed over, with the reason in one line. */
export interface PassedOverSet {
  id: string;
  why: string;
}

export interface GoodSetSearch {
  newestGood?: GoodSet;
  passedOver: PassedOverSet[];
}

export type PruneProgress = { kind: 'verifying'; setId: string } | { kind: 'removed'; set: RemovableSet };

/**
 * Which removals a person has confirmed:
 * - `all`: every one (`prune`: the person asked for it);
 * - `routine`: only a run that needs no confirmation (`backup` in a script);
 *   otherwise nothing is removed and everything is held back;
 * - a set of ids: exactly those (what a dialog listed and the person accepted);
 * - what a dialog showed (`confirmedRemovals(preview)`): exactly those sets,
 *   and only while each is as it was shown (same status, same size), so a set
 *   that changed between the question and the answer stays until asked again.
 */
export type ConfirmedRemovals = 'all' | 'routine' | ReadonlySet<string> | ReadonlyMap<string, string>;

/** What a person saw of a set in a removal question; a change to any of it means they did not see this set. */
function shownAs(set: RetainedSet): string {
  return `${set.status}:${set.totalBytes}`;
}

/** The removals a dry run listed, as the person confirms them: each set as it was shown. */
export function confirmedRemovals(preview: { removed: readonly RetainedSet[] }): ReadonlyMap<string, string> {
  return new Map(preview.removed.map((set) => [set.id, shownAs(set)]));
}

export interface PruneOptions {
  folder: string;
  prefix: string;
  /** The policy; without it, keep the last `keep` (and without either, DEFAULT_POLICY). */
  policy?: RetentionPolicy;
  /** Shorthand for a policy that keeps the last `keep` sets. */
  keep?: number;
  /** Safety sets to keep besides the backups the policy keeps; DEFAULT_KEEP_SAFETY when not given. */
  keepSafety?: number;
  /** Default 'all'. */
  confirmed?: ConfirmedRemovals;
  env: NodeJS.ProcessEnv;
  verify: VerifySetFunction;
  /** Say what would be removed and remove nothing (no history is written either). */
  dryRun?: boolean;
  /**
   * The set a backup has just written: its checksums and structure were
   * computed while writing, so it counts as good without being read again.
   */
  justWritten?: string;
  /** That set's manifest, as the backup wrote it: the folder's listing does not read it back. */
  justWrittenManifest?: Manifest;
  onProgress?: (event: PruneProgress) => void;
  /** Stops between sets: a set is removed whole or not at all. */
  signal?: AbortSignal;
}

export interface PruneResult extends GoodSetSearch {
  folder: string;
  prefix: string;
  /** The policy's `last`. */
  keep: number;
  policy: RetentionPolicy;
  keepSafety: number;
  dryRun: boolean;
  /** Removed sets, or with dryRun the sets that would be removed, in removal order. */
  removed: RemovableSet[];
  /** Sets the policy would remove that were not confirmed, so they stay (see ConfirmedRemovals). */
  heldBack: RemovableSet[];
  /** Whether the policy's removals (removed and held back together) need a person's yes, and why. */
  review: RemovalReview;
  /** What went wrong without stopping the run (the record of what was kept could not be written); each front door words it. */
  warnings: PulseError[];
  kept: RetainedSet[];
  keptSafety: RetainedSet[];
  protected: ProtectedSet[];
  /** Prefixes of the folder's other sets: a prune run from the wrong project folder can say which prefix was meant. */
  otherPrefixes: string[];
}

/** The policy options ask for: `policy`, else the last `keep`, else the default. */
export function policyOf(options: { policy?: RetentionPolicy; keep?: number }): RetentionPolicy {
  if (options.policy) return options.policy;
  if (options.keep === undefined) return DEFAULT_POLICY;
  assertValidKeep(options.keep);
  return { ...DEFAULT_POLICY, last: options.keep };
}

export function planRetention(
  sets: readonly ListedSet[],
  options: { prefix: string; policy?: RetentionPolicy; keep?: number; keepSafety?: number; justWritten?: string; newestGood?: string },
): RetentionPlan {
  const policy = policyOf(options);
  const keepSafety = options.keepSafety ?? DEFAULT_KEEP_SAFETY;
  assertValidKeepSafety(keepSafety);
  const ours = sets.filter((set) => set.prefix === options.prefix).sort(newestFirst);
  const byPolicy = keptByPolicy(ours.filter(isBackup), policy);
  const plan: RetentionPlan = { keep: policy.last, policy, keepSafety, kept: [], keptSafety: [], protected: [], remove: [] };
  for (const set of ours.filter(isBackup)) {
    const summary: RetainedSet = { id: set.id, status: set.status, totalBytes: set.totalBytes, purpose: set.purpose };
    const rules = byPolicy.get(set.id);
    if (set.status === 'running') {
      plan.protected.push({ ...summary, reason: 'unfinished' });
    } else if (rules) {
      plan.kept.push({ ...summary, rules, timestamp: set.timestamp });
    } else if (set.pinned) {
      plan.protected.push({ ...summary, reason: 'pinned' });
    } else if (set.id === options.justWritten) {
      plan.protected.push({ ...summary, reason: 'just-written' });
    } else if (set.id === options.newestGood) {
      plan.protected.push({ ...summary, reason: 'newest-good' });
    } else {
      plan.remove.push({ ...summary, prefix: set.prefix, timestamp: set.timestamp });
    }
  }
  planSafetySets(
    ours.filter((set) => !isBackup(set)),
    keepSafety,
    plan,
  );
  plan.remove.sort((a, b) => removalPriority(a.status) - removalPriority(b.status) || compareText(a.id, b.id));
  return plan;
}

/** What the policy keeps of these sets (newest first): finished ones only; incomplete sets never take a bucket. */
function keptByPolicy(sets: readonly ListedSet[], policy: RetentionPolicy): Map<string, PolicyRule[]> {
  const finished = sets.filter((set) => set.status !== 'running');
  return applyPolicy(
    finished.map((set) => ({ id: set.id, timestamp: set.timestamp, whole: set.status !== 'incomplete' })),
    policy,
  );
}

/** A real backup, as opposed to the safety set a restore takes of its target. */
function isBackup(set: ListedSet): boolean {
  return set.purpose !== 'safety';
}

/**
 * Safety sets, a rule of their own: the newest `keepSafety` are kept (the
 * last restores can be undone), older ones go unless pinned; one being
 * written is not touched. They never count toward the backups' N and are
 * never the newest good set, whatever their number.
 */
function planSafetySets(safety: readonly ListedSet[], keepSafety: number, plan: RetentionPlan): void {
  for (const set of safety) {
    const summary: RetainedSet = { id: set.id, status: set.status, totalBytes: set.totalBytes, purpose: set.purpose };
    if (set.status === 'running') plan.protected.push({ ...summary, reason: 'unfinished' });
    else if (plan.keptSafety.length < keepSafety) plan.keptSafety.push(summary);
    else if (set.pinned) plan.protected.push({ ...summary, reason: 'pinned' });
    else plan.remove.push({ ...summary, prefix: set.prefix, timestamp: set.timestamp });
  }
}

/**
 * Broken sets go first, then the old script's, then ours: if a prune stops
 * halfway (a crash, a permission problem), what it had time to remove was
 * the least useful.
 */
function removalPriority(status: SetStatus): number {
  return status === 'incomplete' ? 0 : status === 'legacy' ? 1 : 2;
}

/**
 * The order a set's files are removed in, every name exact (never a glob):
 * 1. the complete dump (every way it can be stored): from this moment the listing calls the set
 *    incomplete — its manifest names a missing file, or, without a manifest,
 *    a dump is missing — so a crash at any later point leaves a set that
 *    nothing restores from or counts as good. (Removing the manifest first
 *    would not do that: three dumps without a manifest look like a legacy
 *    set, which can verify.)
 * 2. the manifest, so nothing vouches for files that are going;
 * 3. the data and schema dumps, each every way it can be stored;
 * 4. the history and the pin marker, which only describe the set and are
 *    invisible once its dumps and manifest are gone.
 */
export function removalOrder(prefix: string, timestamp: string): string[] {
  const names = setFileNames(prefix, timestamp);
  // Each dump as it is stored (compressed, encrypted) and any plain copy of it (gunzip -k): all are the set's.
  return [
    ...dumpFileVariants(prefix, 'complete', timestamp),
    names.manifest,
    ...dumpFileVariants(prefix, 'data', timestamp),
    ...dumpFileVariants(prefix, 'schema', timestamp),
    names.history,
    names.pin,
  ];
}

/**
 * Walks the prefix's sets newest first to the first one whose post-backup
 * verification passes or warns, and whose latest proof (prove.ts), if it
 * has one, did not fail. A recorded verification is trusted only when
 * it is newer than every file of the set; otherwise the set is verified now.
 * A verification that cannot run at all is an error: without knowing which
 * set is good, nothing may be removed.
 */
export async function findNewestGoodSet(
  folder: string,
  sets: readonly ListedSet[],
  options: {
    prefix: string;
    env: NodeJS.ProcessEnv;
    verify: VerifySetFunction;
    record: boolean;
    justWritten?: string;
    onProgress?: (event: PruneProgress) => void;
    signal?: AbortSignal;
  },
): Promise<GoodSetSearch> {
  const passedOver: PassedOverSet[] = [];
  // A safety set is the target as it was before a restore, not a backup of the project: it never stands in for one.
  const ours = sets.filter((set) => set.prefix === options.prefix && isBackup(set)).sort(newestFirst);
  for (const set of ours) {
    if (set.status === 'running') continue;
    if (set.status === 'incomplete') {
      passedOver.push({ id: set.id, why: set.problems[0] ?? 'incomplete' });
      continue;
    }
    // A set that was restored and did not read back as it was written is no good set, whatever its files say.
    const proof = set.hasHistory ? lastProof(await readHistory(folder, set.id)) : undefined;
    if (proof?.outcome === 'failed') {
      passedOver.push({ id: set.id, why: `it failed its proof: ${proof.summary}` });
      continue;
    }
    if (set.id === options.justWritten) return { newestGood: { id: set.id, outcome: 'pass', source: 'just-written' }, passedOver };

    let report = await recentVerification(folder, set);
    let source: GoodSet['source'] = 'history';
    if (!report) {
      options.onProgress?.({ kind: 'verifying', setId: set.id });
      const request: VerifyRequest = { folder, setId: set.id, listed: set, env: options.env, record: options.record };
      if (options.signal) request.signal = options.signal;
      report = await verifyForRetention(options.verify, request);
      source = 'verified';
    }
    const outcome = postBackupOutcome(report);
    if (outcome !== 'fail') return { newestGood: { id: set.id, outcome, source }, passedOver };
    passedOver.push({ id: set.id, why: firstFailure(report) });
  }
  return { passedOver };
}

async function verifyForRetention(verify: VerifySetFunction, request: VerifyRequest): Promise<VerificationReport> {
  try {
    return await verify(request);
  } catch (error) {
    const cause = toPulseError(error);
    if (cause.code === 'cancelled') throw cancelledError([]);
    throw new PulseError(cause.code, `cannot verify ${request.setId}, so the newest good set is unknown: ${cause.message}`, {
      hint: cause.hint ? hint`nothing was removed; ${cause.hint}` : 'nothing was removed',
      details: cause.details,
      cause: error,
    });
  }
}

/** Only the checks of the set itself count: a failed pre-restore check is about a target, not the set. */
function postBackupOutcome(report: VerificationReport): CheckStatus {
  const group = report.groups.find((candidate) => candidate.name === 'post-backup');
  return group ? outcomeOf(group.checks) : report.outcome;
}

function firstFailure(report: VerificationReport): string {
  const checks = report.groups.filter((group) => group.name === 'post-backup').flatMap((group) => group.checks);
  const failed = checks.find((check) => check.status === 'fail');
  return failed ? `${failed.title}: ${failed.detail}` : 'verification failed';
}

/**
 * Removes the sets of `prefix` the policy does not keep, under the folder's
 * lock, as far as they are confirmed (see ConfirmedRemovals). The whole plan
 * is made before the first file goes, so a verification that cannot run
 * leaves everything in place.
 */
export async function pruneSets(options: PruneOptions): Promise<PruneResult> {
  const policy = policyOf(options);
  assertValidKeepSafety(options.keepSafety ?? DEFAULT_KEEP_SAFETY);
  assertValidPrefix(options.prefix);
  const dryRun = options.dryRun ?? false;
  const empty: PruneResult = {
    folder: options.folder,
    prefix: options.prefix,
    keep: policy.last,
    policy,
    keepSafety: options.keepSafety ?? DEFAULT_KEEP_SAFETY,
    dryRun,
    removed: [],
    heldBack: [],
    review: { confirm: false, unseen: [], reasons: [] },
    warnings: [],
    kept: [],
    keptSafety: [],
    protected: [],
    passedOver: [],
    otherPrefixes: [],
  };
  if (!(await folderExists(options.folder))) return empty;

  // A dry run must not stop a backup from starting, so it only looks at the
  // lock; it still refuses when a real prune would.
  const lock = dryRun ? undefined : await lockForPrune(options.folder);
  try {
    if (dryRun) {
      const holder = await currentLockHolder(options.folder);
      if (holder) throw busyError(options.folder, holder);
    }
    const written = options.justWrittenManifest;
    const sets = await listSets(options.folder, written ? { manifests: new Map([[manifestNameFor(written.prefix, written.timestamp), written]]) } : {});
    const planOptions = { ...options, policy };
    let plan = planRetention(sets, planOptions);
    let search: GoodSetSearch = { passedOver: [] };
    if (plan.remove.length > 0) {
      const future = datedInTheFuture(sets, options.prefix, new Date());
      if (future) throw futureSetError(future, options.folder);
      search = await findNewestGoodSet(options.folder, sets, { ...options, record: !dryRun });
      plan = planRetention(sets, { ...planOptions, newestGood: search.newestGood?.id });
    }
    const memory = await readRetentionMemory(options.folder, options.prefix);
    const review = reviewRemovals(
      plan.remove.map((set) => set.id),
      policy,
      memory,
    );
    const confirmed = isConfirmed(options.confirmed ?? 'all', review);
    const toRemove = plan.remove.filter((set) => confirmed(set));
    const heldBack = plan.remove.filter((set) => !confirmed(set));
    const otherPrefixes = [...new Set(sets.map((set) => set.prefix))].filter((prefix) => prefix !== options.prefix).sort();
    const result: PruneResult = { ...empty, ...search, review, heldBack, kept: plan.kept, keptSafety: plan.keptSafety, protected: [...plan.protected], otherPrefixes };
    if (dryRun) return { ...result, removed: toRemove };

    for (const set of toRemove) {
      if (options.signal?.aborted) throw cancelledError(result.removed);
      // Verifying can take a while; someone may have pinned the set meanwhile.
      if (await pinnedNow(options.folder, set)) {
        result.protected.push({ id: set.id, status: set.status, totalBytes: set.totalBytes, purpose: set.purpose, reason: 'pinned' });
        continue;
      }
      await removeSet(options.folder, set, result.removed);
      result.removed.push(set);
      options.onProgress?.({ kind: 'removed', set });
    }
    // What this run kept is what the next one compares with; held-back sets were not kept by anyone's decision.
    // A record that cannot be written (a full disk) fails nothing: the next run then asks before removing these sets.
    try {
      await writeRetentionMemory(options.folder, options.prefix, {
        policy: policyKey(policy),
        kept: [...result.kept, ...result.keptSafety, ...result.protected].map((set) => set.id),
      });
    } catch (error) {
      result.warnings.push(toPulseError(error));
    }
    return result;
  } finally {
    await lock?.release();
  }
}

function isConfirmed(confirmed: ConfirmedRemovals, review: RemovalReview): (set: RetainedSet) => boolean {
  if (confirmed === 'all') return () => true;
  if (confirmed === 'routine') return () => !review.confirm;
  if (confirmed instanceof Map) return (set) => confirmed.get(set.id) === shownAs(set);
  return (set) => confirmed.has(set.id);
}

interface RetentionMemoryFile {
  format: typeof RETENTION_MEMORY_FORMAT;
  formatVersion: 1;
  prefixes: Record<string, RetentionMemory & { at: string }>;
}

/** What the last run for this prefix kept; nothing when none ran here or the file is damaged. */
export async function readRetentionMemory(folder: string, prefix: string): Promise<RetentionMemory | undefined> {
  const file = await readMemoryFile(folder);
  const entry = file?.prefixes[prefix];
  if (!entry || typeof entry.policy !== 'string' || !Array.isArray(entry.kept)) return undefined;
  return { policy: entry.policy, kept: entry.kept.filter((id): id is string => typeof id === 'string') };
}

async function readMemoryFile(folder: string): Promise<RetentionMemoryFile | undefined> {
  try {
    const value = JSON.parse(await readRegularFile(join(folder, RETENTION_MEMORY_FILE))) as Partial<RetentionMemoryFile>;
    if (value.format !== RETENTION_MEMORY_FORMAT || typeof value.prefixes !== 'object' || value.prefixes === null) return undefined;
    return value as RetentionMemoryFile;
  } catch {
    return undefined;
  }
}

/** Called under the folder's lock, so two runs never write it at once. */
async function writeRetentionMemory(folder: string, prefix: string, memory: RetentionMemory): Promise<void> {
  const file: RetentionMemoryFile = (await readMemoryFile(folder)) ?? { format: RETENTION_MEMORY_FORMAT, formatVersion: 1, prefixes: {} };
  file.prefixes[prefix] = { ...memory, at: new Date().toISOString() };
  try {
    await writeFileAtomic(join(folder, RETENTION_MEMORY_FILE), `${JSON.stringify(file, null, 2)}\n`);
  } catch (error) {
    throw new PulseError(toPulseError(error).code, `cannot record what retention kept in ${join(folder, RETENTION_MEMORY_FILE)} (${toPulseError(error).message})`, {
      hint: 'nothing else changed; the next run asks before removing sets it cannot tell it kept before',
      cause: error,
    });
  }
}

/** How one file goes: unlink, or (a front door's choice) a move to the platform's trash. Must fail with ENOENT for a file that is not there. */
export type RemoveFile = (path: string) => Promise<void>;

/** Every name the set can have is tried, so a damaged manifest or a stray marker goes too; a missing one is skipped. */
async function removeSet(folder: string, set: RemovableSet, removedBefore: readonly RemovableSet[], removeFile: RemoveFile = unlink): Promise<void> {
  let removedAny = false;
  const history = historyNameFor(set.prefix, set.timestamp);
  for (const name of removalOrder(set.prefix, set.timestamp)) {
    try {
      // A verify or a proof that read the set meanwhile records under this lock, and only while a file of the set is there:
      // it either writes before the history goes, or finds the set gone and writes nothing.
      if (name === history) await withFileUpdateLock(folder, name, () => removeFile(join(folder, name)));
      else await removeFile(join(folder, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      const cause = toPulseError(error);
      const before = removedBefore.length > 0 ? `; removed before it: ${removedBefore.map((removed) => removed.id).join(', ')}` : '';
      throw new PulseError(cause.code, `cannot remove ${name} (${cause.message})`, {
        hint: `${set.id} is ${removedAny ? 'left incomplete' : 'untouched'}${before}; fix the cause and run prune again`,
        cause: error,
      });
    }
    // The first removal is the one that turns the set incomplete; make it durable before the rest.
    if (!removedAny) await syncFolder(folder);
    removedAny = true;
  }
  await syncFolder(folder);
}

/** A set of the prefix dated after now (isDatedAhead): retention cannot tell which set is the newest. */
export function datedInTheFuture(sets: readonly ListedSet[], prefix: string, now: Date): ListedSet | undefined {
  return sets.find((set) => set.prefix === prefix && isDatedAhead(set, now));
}

function futureSetError(set: ListedSet, folder: string): PulseError {
  return new PulseError('retention-refused', `cannot tell which set is the newest: ${set.id} is dated ${set.createdAt}, after now (${new Date().toISOString()})`, {
    hint: `nothing was removed; a clock was wrong when it was made, or is wrong now: check this machine's clock, then move that set out of ${folder} (or remove it) and prune again`,
  });
}

async function pinnedNow(folder: string, set: RemovableSet): Promise<boolean> {
  return (await stat(join(folder, pinNameFor(set.prefix, set.timestamp))).catch(() => undefined)) !== undefined;
}

/**
 * Prune after a successful backup: the new set counts as good without being
 * read again, and what was removed goes into the new set's history for the
 * report. The history is written only when retention removed or protected
 * something, so a quiet run leaves the new set as the backup wrote it.
 */
export async function pruneAfterBackup(
  backup: BackupResult,
  // confirmed defaults to 'routine' here: a backup run by a script removes only what needs no one's yes.
  options: Pick<PruneOptions, 'policy' | 'keep' | 'keepSafety' | 'confirmed' | 'env' | 'verify' | 'onProgress' | 'signal'>,
): Promise<PruneResult> {
  const removed: string[] = [];
  const setId = backup.manifest.id;
  const policy = policyOf(options);
  try {
    const result = await pruneSets({
      folder: backup.folder,
      prefix: backup.manifest.prefix,
      policy,
      ...(options.keepSafety !== undefined ? { keepSafety: options.keepSafety } : {}),
      confirmed: options.confirmed ?? 'routine',
      env: options.env,
      verify: options.verify,
      justWritten: setId,
      justWrittenManifest: backup.manifest,
      signal: options.signal,
      onProgress: (event) => {
        if (event.kind === 'removed') removed.push(event.set.id);
        options.onProgress?.(event);
      },
    });
    if (result.removed.length > 0 || result.protected.length > 0 || result.heldBack.length > 0) {
      await recordRetention(backup.folder, setId, retentionEvent(result));
    }
    return result;
  } catch (error) {
    // Sets already gone stay on the record even when a later one could not be removed.
    if (removed.length > 0) {
      const event: RetentionEvent = { at: new Date().toISOString(), keep: policy.last, policy: describePolicy(policy), removed, protected: [] };
      await recordRetention(backup.folder, setId, event).catch(() => undefined);
    }
    throw error;
  }
}

export function retentionEvent(result: PruneResult, at: Date = new Date()): RetentionEvent {
  return {
    at: at.toISOString(),
    keep: result.keep,
    policy: describePolicy(result.policy),
    removed: result.removed.map((set) => set.id),
    protected: result.protected.map((set) => ({ id: set.id, reason: set.reason })),
    ...(result.heldBack.length > 0 ? { heldBack: result.heldBack.map((set) => set.id) } : {}),
  };
}

/** People's words for a protection reason, shared by the CLI, the report and the extension. */
export function describeProtection(reason: string): string {
  switch (reason) {
    case 'pinned':
      return 'pinned';
    case 'just-written':
      return 'the set this backup has just written';
    case 'newest-good':
      return 'the newest set that verifies';
    case 'unfinished':
      return 'a backup is writing it, or left hidden partial files in it';
    default:
      return reason;
  }
}

/**
 * Removes one whole set on request (the extension's Delete), under the
 * folder's lock like prune and in the same order, so an interrupted delete
 * leaves an incomplete set, never one that looks good. A set still being
 * written is refused. `removeFile` may move the files to a trash instead.
 */
export async function deleteSet(folder: string, setId: string, removeFile?: RemoveFile): Promise<RemovableSet> {
  const set = await findSet(folder, setId);
  if (set.status === 'running') {
    throw new PulseError('backup-locked', `${set.id} is still being written`, { hint: 'wait for the backup to finish, then delete it' });
  }
  const removable: RemovableSet = { id: set.id, status: set.status, totalBytes: set.totalBytes, purpose: set.purpose, prefix: set.prefix, timestamp: set.timestamp };
  const lock = await lockForPrune(folder);
  try {
    await removeSet(folder, removable, [], removeFile);
  } finally {
    await lock.release();
  }
  return removable;
}

export interface PinResult {
  id: string;
  pinned: boolean;
  /** False when the set already was in the requested state. */
  changed: boolean;
}

/**
 * Pins a set: retention never removes it. The marker is written atomically;
 * pinning a pinned set changes nothing. Pinning needs no lock: a prune that
 * runs meanwhile looks for the marker again just before removing a set.
 */
export async function pinSet(folder: string, setId: string): Promise<PinResult> {
  const set = await findSet(folder, setId);
  if (set.pinned) return { id: set.id, pinned: true, changed: false };
  const marker = `${JSON.stringify({ setId: set.id, pinnedAt: new Date().toISOString() })}\n`;
  try {
    await writeFileAtomic(join(folder, pinNameFor(set.prefix, set.timestamp)), marker);
  } catch (error) {
    throw failedWrite(`pin ${set.id}`, folder, error, 'then pin it again; it is not pinned');
  }
  return { id: set.id, pinned: true, changed: true };
}

export async function unpinSet(folder: string, setId: string): Promise<PinResult> {
  const set = await findSet(folder, setId);
  if (!set.pinned) return { id: set.id, pinned: false, changed: false };
  try {
    await unlink(join(folder, pinNameFor(set.prefix, set.timestamp)));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'EPERM') {
      // unlink of a folder: Linux says EISDIR, macOS EPERM. Nothing of ours makes one there.
      const marker = join(folder, pinNameFor(set.prefix, set.timestamp));
      if ((await stat(marker).catch(() => undefined))?.isDirectory()) {
        throw new PulseError('folder-not-writable', `cannot unpin ${set.id}: ${marker} is a folder, not the pin marker this tool writes`, {
          hint: 'it is still pinned; remove that folder yourself if nothing of yours is in it, and the set is unpinned',
        });
      }
    }
    if (code !== 'ENOENT') throw failedWrite(`unpin ${set.id}`, folder, error, 'then unpin it again; it is still pinned');
  }
  await syncFolder(folder);
  return { id: set.id, pinned: false, changed: true };
}

function cancelledError(removed: readonly RemovableSet[]): PulseError {
  return new PulseError('cancelled', 'prune cancelled', {
    hint: removed.length > 0 ? `removed before the cancel: ${removed.map((set) => set.id).join(', ')}; every other set is untouched` : 'nothing was removed',
  });
}

function assertValidKeep(keep: number): void {
  if (!Number.isInteger(keep) || keep < 1) {
    throw new PulseError('usage', `cannot keep ${keep} sets`, { hint: hint`keep at least 1 set, e.g. ${option('keepLast', '10')}` });
  }
}

function assertValidKeepSafety(keepSafety: number): void {
  if (!Number.isInteger(keepSafety) || keepSafety < 0) {
    throw new PulseError('usage', `cannot keep ${keepSafety} safety sets`, { hint: hint`keep 0 or more, e.g. ${option('keepSafety', '3')}` });
  }
}

function assertValidPrefix(prefix: string): void {
  if (!isValidPrefix(prefix)) {
    throw new PulseError('usage', `invalid prefix "${prefix}"`, {
      hint: hint`use letters, digits, underscores and hyphens, starting and ending with a letter or digit, e.g. ${option('filePrefix', 'factory_pulse')}`,
    });
  }
}

async function folderExists(folder: string): Promise<boolean> {
  try {
    await stat(folder);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw toPulseError(error);
  }
}

async function lockForPrune(folder: string): Promise<FolderLock> {
  try {
    return await acquireFolderLock(folder, 'prune');
  } catch (error) {
    if (error instanceof PulseError && error.code === 'backup-locked') {
      const holder = await currentLockHolder(folder);
      if (holder) throw busyError(folder, holder);
      throw new PulseError('backup-locked', error.message, { hint: hint`nothing was removed; ${error.hint ?? 'try again'}` });
    }
    throw toPulseError(error);
  }
}

function busyError(folder: string, holder: LockOwner): PulseError {
  const what = holder.purpose === 'prune' ? 'another prune' : holder.purpose === 'backup' || holder.purpose === 'safety' ? 'another backup' : `another ${holder.purpose}`;
  const elsewhere = holder.host !== hostname();
  return new PulseError('backup-locked', `${what} is running in ${folder} (pid ${holder.pid}${elsewhere ? ` on ${holder.host}` : ''}, started ${holder.startedAt})`, {
    hint: `nothing was removed; try again when it has finished${elsewhere ? ` (if nothing runs there on ${holder.host}, delete the ${LOCK_FILE_NAME}.N entries in ${folder})` : ''}`,
  });
}
