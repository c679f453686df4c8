/**
 * What the status bar item says, decided without VS Code: the age of the
 * last good backup, in the warning colour when it is stale or the last
 * verification (or the newest backup's proof) failed, and neutral while
 * there is nothing to warn about yet (no connection configured and no
 * backup made).
 */
import { checkLine } from '../core/verify/results';
import { extensionWords } from './hints';
import { formatAge, formatBytes } from '../core/format';
import { escapeMarkdown, markdownCode } from '../core/report/markdown';
import type { ProofRecord } from '../core/prove/record';
import { isDatedAhead } from '../core/sets/listing';
import { isRealBackup } from '../core/sets/state';
import type { VerificationReport } from '../core/verify/results';
import { offsiteStatusLine, type OffsiteSummary } from './offsiteViewModel';
import { SET_STATE_ICONS, postBackupGroup, postBackupOutcome, proofSummaryLine, verificationSummary, type SetEntry } from './viewModel';

/** One workspace folder's sets, newest first, and when they count as stale. */
export interface FolderBackups {
  /** Identifies the workspace folder (its URI). */
  key: string;
  /** The workspace folder's name. */
  name: string;
  entries: SetEntry[];
  staleAfterHours: number;
  /** A connection is configured for the folder (the URL setting). With no backup either, nothing is overdue yet. */
  configured: boolean;
  /** Its offsite storage and newest copy there; absent: not shown (an older caller). */
  offsite?: OffsiteSummary;
  /** The schedule's line: the next scheduled backup, or "Schedule: off". */
  schedule?: string;
}

export interface FolderHealth {
  key: string;
  name: string;
  /** The newest set of a real backup that is whole and failed neither its verification nor its proof. */
  lastGood?: SetEntry;
  stale: boolean;
  /** Nothing to warn about yet: no connection configured and no backup made. */
  fresh: boolean;
  /** The most recent verification in the folder, when it failed. */
  failedVerification?: { setId: string; report: VerificationReport };
  /** The newest whole backup failed its proof (it is kept; the last good one is older). */
  failedProof?: { setId: string; proof: ProofRecord };
  /** A set dated after now (isDatedAhead): its age is not believed, and prune refuses while it is there. */
  datedAhead?: SetEntry;
}

export interface StatusBarModel {
  text: string;
  /** Shown in the warning colour. */
  warning: boolean;
  tooltip: string;
  /** The set a click opens the report of. */
  target?: { folderKey: string; setId: string };
  /** Without a target: what a click runs. */
  command: 'pulseBackup.openReport' | 'pulseBackup.backup' | 'pulseBackup.configureConnection';
  /** The folder shown (its URI): the one a click backs up. */
  folderKey?: string;
}

/** A whole set of a real backup: what "the last backup" means. */
function isWholeBackup(entry: SetEntry): boolean {
  return isRealBackup(entry.set) && (entry.set.status === 'complete' || entry.set.status === 'legacy');
}

/** A set a restore can rely on: a real backup, whole, not failed when last verified, and not failed when last proved (as retention counts it). */
export function isGoodBackup(entry: SetEntry): boolean {
  return isWholeBackup(entry) && postBackupOutcome(entry.lastVerification) !== 'fail' && entry.proof?.outcome !== 'failed';
}

export function folderHealth(folder: FolderBackups, now: Date): FolderHealth {
  // A set dated after now says nothing of how old the last backup is: the newest believed one does.
  const lastGood = folder.entries.find((entry) => isGoodBackup(entry) && !isDatedAhead(entry.set, now));
  const datedAhead = folder.entries.find((entry) => isDatedAhead(entry.set, now));
  const fresh = folder.entries.length === 0 && !folder.configured;
  const stale = !fresh && (!lastGood || now.getTime() - new Date(lastGood.set.createdAt).getTime() > folder.staleAfterHours * 3_600_000);
  let newest: { setId: string; report: VerificationReport } | undefined;
  for (const entry of folder.entries) {
    const report = entry.lastVerification;
    if (report && postBackupGroup(report) && (!newest || report.checkedAt > newest.report.checkedAt)) newest = { setId: entry.set.id, report };
  }
  const failed = newest && postBackupOutcome(newest.report) === 'fail' ? newest : undefined;
  const newestBackup = folder.entries.find(isWholeBackup);
  const failedProof = newestBackup?.proof?.outcome === 'failed' ? { setId: newestBackup.set.id, proof: newestBackup.proof } : undefined;
  return {
    key: folder.key,
    name: folder.name,
    ...(lastGood ? { lastGood } : {}),
    stale,
    fresh,
    ...(failed ? { failedVerification: failed } : {}),
    ...(failedProof ? { failedProof } : {}),
    ...(datedAhead ? { datedAhead } : {}),
  };
}

/**
 * `$(database) 2h ago`, in the warning colour when the last good backup is
 * older than staleAfterHours (or there is none although a connection is
 * configured), the most recent verification failed, or the newest backup
 * failed its proof. With several
 * workspace folders the one that needs attention most speaks; the tooltip
 * lists them all.
 */
export function statusBarModel(folders: readonly FolderBackups[], now: Date): StatusBarModel {
  const healths = folders.map((folder) => folderHealth(folder, now));
  const needsAttention = (health: FolderHealth) => health.stale || health.failedVerification !== undefined || health.failedProof !== undefined || health.datedAhead !== undefined;
  const goodTime = (health: FolderHealth) => (health.lastGood ? new Date(health.lastGood.set.createdAt).getTime() : -Infinity);
  // The folder shown: one that needs attention if any, and among those the longest without a good backup.
  const shown = [...healths].sort((a, b) => Number(needsAttention(b)) - Number(needsAttention(a)) || goodTime(a) - goodTime(b))[0];
  const warning = healths.some(needsAttention);
  const tooltip = statusBarTooltip(healths, folders, now);
  if (!shown) return { text: '$(database) no folder', warning: false, tooltip, command: 'pulseBackup.backup' };
  const age = shown.lastGood ? formatAge(new Date(shown.lastGood.set.createdAt), now) : 'no backup';
  const prefix = healths.length > 1 ? `${shown.name}: ` : '';
  const allFresh = healths.every((health) => health.fresh);
  return {
    text: `$(database) ${prefix}${age}`,
    warning,
    tooltip,
    ...(shown.lastGood ? { target: { folderKey: shown.key, setId: shown.lastGood.set.id } } : {}),
    folderKey: shown.key,
    command: shown.lastGood ? 'pulseBackup.openReport' : allFresh ? 'pulseBackup.configureConnection' : 'pulseBackup.backup',
  };
}

function statusBarTooltip(healths: readonly FolderHealth[], folders: readonly FolderBackups[], now: Date): string {
  const lines: string[] = ['**Pulse Backup**', ''];
  healths.forEach((health, index) => {
    const folder = folders[index];
    if (healths.length > 1) lines.push(`**${escapeMarkdown(health.name)}**`, '');
    if (health.lastGood) {
      const set = health.lastGood.set;
      lines.push(
        `Last good backup: ${markdownCode(set.id)}  `,
        `${escapeMarkdown(formatAge(new Date(set.createdAt), now))}, ${escapeMarkdown(formatBytes(set.totalBytes))}  `,
        `Checks: ${escapeMarkdown(verificationSummary(health.lastGood, now))}  `,
        `Proof: ${escapeMarkdown(proofSummaryLine(health.lastGood, now))}`,
      );
    } else if (health.fresh) {
      lines.push('No backup yet. Configure the connection, then back up the database.');
    } else {
      lines.push('No good backup yet.');
    }
    if (folder.offsite) lines.push('', offsiteStatusLine(folder.offsite, now));
    if (health.lastGood && health.stale) {
      lines.push('', `$(warning) Older than ${folder.staleAfterHours} h (pulseBackup.staleAfterHours): back up again.`);
    }
    if (health.failedVerification) {
      const failed = postBackupGroup(health.failedVerification.report)?.checks.filter((check) => check.status === 'fail') ?? [];
      lines.push(
        '',
        `$(error) The last verification, of ${markdownCode(health.failedVerification.setId)}, failed: ${escapeMarkdown(failed.map((check) => `${check.title}: ${checkLine(check, extensionWords())}`).join('; '))}`,
      );
    }
    if (health.failedProof) {
      const { setId, proof } = health.failedProof;
      lines.push(
        '',
        `$(${SET_STATE_ICONS['proof-failed'].id}) The newest backup, ${markdownCode(setId)}, is kept but ${escapeMarkdown(proofSummaryLine({ proof }, now).replace(/^Failed/, 'failed'))}`,
      );
    }
    if (health.datedAhead) {
      const set = health.datedAhead.set;
      lines.push(
        '',
        `$(warning) ${markdownCode(set.id)} is dated ${escapeMarkdown(formatAge(new Date(set.createdAt), now))} (${escapeMarkdown(set.createdAt)}): a clock was wrong when it was made, or is wrong now. Check this machine's clock: while that set is in the folder, retention removes no ${escapeMarkdown(set.prefix)} set (it cannot tell which is the newest).`,
      );
    }
    if (folder.schedule) lines.push('', escapeMarkdown(folder.schedule));
    lines.push('');
  });
  if (healths.some((health) => health.lastGood)) lines.push('Click to open its report.');
  else if (healths.every((health) => health.fresh)) lines.push('Click to configure the connection.');
  else lines.push('Click to back up the database.');
  return lines.join('\n').trimEnd();
}
