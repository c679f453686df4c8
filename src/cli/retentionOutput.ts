/** How the CLI shows retention: prune's plan and outcome, pin and unpin, and the summary after a backup. */
import { cliError } from '../core/commandLineWords';
import { countOf, formatBytes, printable } from '../core/format';
import { describeProtection, type PinResult, type ProtectedSet, type PruneResult, type RetainedSet } from '../core/retention/retention';
import { describePolicy, describeRule, type RetentionPolicy } from '../core/retention/policy';
import { STATUS_WORDS } from './output';

/** `prune --json`: ids only, so scripts need not know the engine's shapes. */
export interface PruneJson {
  prefix: string;
  folder: string;
  /** The policy's last N. */
  keep: number;
  /** Every rule, 0 when off. */
  policy: RetentionPolicy;
  keepSafety: number;
  dryRun: boolean;
  removed: string[];
  /** Removals that needed a confirmation and did not get one (backup's retention): `prune` removes them. */
  heldBack: string[];
  /** Why the removals need a confirmation, when they do. */
  confirmation: string[];
  /** What went wrong without stopping the run (also on stderr). */
  warnings: string[];
  kept: string[];
  keptSafety: string[];
  protected: { id: string; reason: string }[];
  /** The newest set that verifies, when prune had to look for it. */
  newestGood: { id: string; outcome: string; source: string } | null;
}

export function pruneJson(result: PruneResult): PruneJson {
  return {
    prefix: result.prefix,
    folder: result.folder,
    keep: result.keep,
    policy: result.policy,
    keepSafety: result.keepSafety,
    dryRun: result.dryRun,
    removed: result.removed.map((set) => set.id),
    heldBack: result.heldBack.map((set) => set.id),
    confirmation: result.review.reasons,
    warnings: result.warnings.map((warning) => cliError(warning)),
    kept: result.kept.map((set) => set.id),
    keptSafety: result.keptSafety.map((set) => set.id),
    protected: result.protected.map((set) => ({ id: set.id, reason: set.reason })),
    newestGood: result.newestGood ?? null,
  };
}

function protectionText(set: ProtectedSet, result: PruneResult): string {
  const reason = describeProtection(set.reason);
  const good = result.newestGood;
  if (set.reason !== 'newest-good' || good?.id !== set.id) return reason;
  const how = good.source === 'history' ? 'recorded verification' : good.source === 'verified' ? 'verified just now' : 'just written';
  return `${reason} (${how}: ${good.outcome})`;
}

export function renderPruneResult(result: PruneResult): string {
  const total = result.kept.length + result.keptSafety.length + result.protected.length + result.removed.length;
  if (total === 0) {
    const others = result.otherPrefixes;
    const hint = others.length > 0 ? ` (the folder holds sets of ${others.join(', ')}: choose one with --prefix)` : '';
    return `No backup sets of ${result.prefix} in ${printable(result.folder)}; nothing to prune${hint}.\n`;
  }

  const verbs = result.dryRun ? { kept: 'keep', protected: 'keep', removed: 'would remove' } : { kept: 'kept', protected: 'kept', removed: 'removed' };
  const row = (verb: string, id: string, status: string, why: string) => `  ${verb.padEnd(12)} ${id.padEnd(44)} ${status.padEnd(11)} ${why}`.trimEnd();
  const lines = [
    `${result.dryRun ? 'Dry run: keeping' : 'Keeping'} ${describePolicy(result.policy)} and the newest ${countOf(result.keepSafety, 'safety set')} of ${result.prefix} in ${printable(result.folder)}`,
  ];
  for (const set of result.kept) lines.push(row(verbs.kept, set.id, STATUS_WORDS[set.status], keptBecause(set, result.policy)));
  for (const set of result.keptSafety) lines.push(row(verbs.kept, set.id, STATUS_WORDS[set.status], `among the newest ${result.keepSafety} safety sets`));
  for (const set of result.protected) lines.push(row(verbs.protected, set.id, STATUS_WORDS[set.status], protectionText(set, result)));
  for (const set of result.removed) {
    const beyond = set.purpose === 'safety' ? `older than the newest ${result.keepSafety} safety sets` : 'not kept by the policy';
    lines.push(row(verbs.removed, set.id, STATUS_WORDS[set.status], `${beyond}, ${formatBytes(set.totalBytes)}`));
  }
  for (const set of result.heldBack) lines.push(row('held back', set.id, STATUS_WORDS[set.status], `not confirmed, ${formatBytes(set.totalBytes)}`));
  for (const set of result.passedOver) lines.push(`  note: ${set.id} is not a good set: ${set.why}`);
  if (result.removed.length > 0 && !result.newestGood) {
    lines.push(`  warning: no set of ${result.prefix} verifies; the sets removed were not good either`);
  }

  const bytes = formatBytes(result.removed.reduce((sum, set) => sum + set.totalBytes, 0));
  if (result.removed.length === 0) lines.push('Nothing to remove.');
  else if (result.dryRun) lines.push(`Would remove ${countOf(result.removed.length, 'set')} (${bytes}); nothing was removed. Run without --dry-run to remove them.`);
  else lines.push(`Removed ${countOf(result.removed.length, 'set')} (${bytes}).`);
  return `${lines.join('\n')}\n`;
}

/** Why the policy keeps a set: "among the last 10; the newest of 2025-09-01 (daily)". */
function keptBecause(set: RetainedSet, policy: RetentionPolicy): string {
  if (!set.rules || !set.timestamp) return 'kept by the policy';
  const timestamp = set.timestamp;
  return set.rules.map((rule) => describeRule(rule, timestamp, policy)).join('; ');
}

/** "keep 10" for a policy of the last N alone (as it always read), else "keep the last 10, 7 daily". */
export function policyShort(policy: RetentionPolicy): string {
  const onlyLast = policy.hourly + policy.daily + policy.weekly + policy.monthly + policy.yearly === 0;
  return onlyLast ? `keep ${policy.last}` : `keep ${describePolicy(policy)}`;
}

/** What `backup` says about the retention that followed it; nothing when there was nothing to say. */
export function renderRetentionAfterBackup(result: PruneResult): string {
  if (result.removed.length === 0 && result.protected.length === 0 && result.heldBack.length === 0) return '';
  const parts: string[] = [];
  if (result.removed.length > 0) {
    const bytes = formatBytes(result.removed.reduce((sum, set) => sum + set.totalBytes, 0));
    parts.push(`removed ${countOf(result.removed.length, 'older set')} (${bytes}): ${result.removed.map((set) => set.id).join(', ')}`);
  }
  if (result.protected.length > 0) {
    parts.push(`kept besides the policy's: ${result.protected.map((set) => `${set.id} (${describeProtection(set.reason)})`).join(', ')}`);
  }
  const lines = [`Retention (${policyShort(result.policy)}): ${parts.length > 0 ? parts.join('; ') : 'removed nothing'}`];
  if (result.heldBack.length > 0) {
    const bytes = formatBytes(result.heldBack.reduce((sum, set) => sum + set.totalBytes, 0));
    lines.push(
      `Retention held back ${countOf(result.heldBack.length, 'set')} (${bytes}) it would remove, because that needs a confirmation (${result.review.reasons.join('; ')}): ${result.heldBack.map((set) => set.id).join(', ')}.`,
      `Run pulse-backup prune with the same --keep flags to remove them (add --dry-run to see the list first), or pin the ones to keep.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function renderPinResult(result: PinResult): string {
  if (result.pinned) {
    return result.changed ? `Pinned ${result.id}: retention will not remove it.\n` : `${result.id} is already pinned; nothing changed.\n`;
  }
  return result.changed ? `Unpinned ${result.id}: retention removes it once the policy no longer keeps it.\n` : `${result.id} is not pinned; nothing changed.\n`;
}
