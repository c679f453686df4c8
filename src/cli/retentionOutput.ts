/** How the CLI shows retention: prune's plan and outcome, pin and unpin, and the summary after a backup. */
import { formatBytes } from '../core/format';
import { describeProtection, type PinResult, type ProtectedSet, type PruneResult } from '../core/retention';
import { STATUS_WORDS } from './output';

/** `prune --json`: ids only, so scripts need not know the engine's shapes. */
export interface PruneJson {
  prefix: string;
  folder: string;
  keep: number;
  keepSafety: number;
  dryRun: boolean;
  removed: string[];
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
    keepSafety: result.keepSafety,
    dryRun: result.dryRun,
    removed: result.removed.map((set) => set.id),
    kept: result.kept.map((set) => set.id),
    keptSafety: result.keptSafety.map((set) => set.id),
    protected: result.protected.map((set) => ({ id: set.id, reason: set.reason })),
    newestGood: result.newestGood ?? null,
  };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
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
    return `No backup sets of ${result.prefix} in ${result.folder}; nothing to prune${hint}.\n`;
  }

  const verbs = result.dryRun
    ? { kept: 'keep', protected: 'keep', removed: 'would remove' }
    : { kept: 'kept', protected: 'kept', removed: 'removed' };
  const row = (verb: string, id: string, status: string, why: string) => `  ${verb.padEnd(12)} ${id.padEnd(44)} ${status.padEnd(11)} ${why}`.trimEnd();
  const lines = [
    `${result.dryRun ? 'Dry run: keeping' : 'Keeping'} the newest ${plural(result.keep, 'backup')} and ${plural(result.keepSafety, 'safety set')} of ${result.prefix} in ${result.folder}`,
  ];
  for (const set of result.kept) lines.push(row(verbs.kept, set.id, STATUS_WORDS[set.status], `among the newest ${result.keep}`));
  for (const set of result.keptSafety) lines.push(row(verbs.kept, set.id, STATUS_WORDS[set.status], `among the newest ${result.keepSafety} safety sets`));
  for (const set of result.protected) lines.push(row(verbs.protected, set.id, STATUS_WORDS[set.status], protectionText(set, result)));
  for (const set of result.removed) {
    const beyond = set.purpose === 'safety' ? `${result.keepSafety} safety sets` : String(result.keep);
    lines.push(row(verbs.removed, set.id, STATUS_WORDS[set.status], `older than the newest ${beyond}, ${formatBytes(set.totalBytes)}`));
  }
  for (const set of result.passedOver) lines.push(`  note: ${set.id} is not a good set: ${set.why}`);
  if (result.removed.length > 0 && !result.newestGood) {
    lines.push(`  warning: no set of ${result.prefix} verifies; the sets removed were not good either`);
  }

  const bytes = formatBytes(result.removed.reduce((sum, set) => sum + set.totalBytes, 0));
  if (result.removed.length === 0) lines.push('Nothing to remove.');
  else if (result.dryRun) lines.push(`Would remove ${plural(result.removed.length, 'set')} (${bytes}); nothing was removed. Run without --dry-run to remove them.`);
  else lines.push(`Removed ${plural(result.removed.length, 'set')} (${bytes}).`);
  return `${lines.join('\n')}\n`;
}

/** What `backup` says about the retention that followed it; nothing when there was nothing to say. */
export function renderRetentionAfterBackup(result: PruneResult): string {
  if (result.removed.length === 0 && result.protected.length === 0) return '';
  const parts: string[] = [];
  if (result.removed.length > 0) {
    const bytes = formatBytes(result.removed.reduce((sum, set) => sum + set.totalBytes, 0));
    parts.push(`removed ${plural(result.removed.length, 'older set')} (${bytes}): ${result.removed.map((set) => set.id).join(', ')}`);
  }
  if (result.protected.length > 0) {
    parts.push(`kept besides the newest ${result.keep}: ${result.protected.map((set) => `${set.id} (${describeProtection(set.reason)})`).join(', ')}`);
  }
  return `Retention (keep ${result.keep}): ${parts.join('; ')}\n`;
}

export function renderPinResult(result: PinResult): string {
  if (result.pinned) {
    return result.changed
      ? `Pinned ${result.id}: prune and backup --keep will not remove it.\n`
      : `${result.id} is already pinned; nothing changed.\n`;
  }
  return result.changed
    ? `Unpinned ${result.id}: retention removes it once it is older than the newest --keep sets.\n`
    : `${result.id} is not pinned; nothing changed.\n`;
}
