/**
 * What the extension shows, decided without VS Code: the tree's labels,
 * descriptions, icons and tooltips, the status bar's text and colour, and
 * the words of the restore confirmation. tree.ts, statusBar.ts and
 * commands.ts only copy these values into VS Code objects, so everything a
 * person reads is covered by plain unit tests.
 */
import { formatAge, formatBytes, formatCount, formatDuration } from '../core/format';
import type { ListedFile, ListedSet } from '../core/listing';
import type { BackupFileType } from '../core/manifest';
import { escapeMarkdown, markdownCode } from '../core/reportMarkdown';
import type { RestorePlan } from '../core/restore';
import { outcomeOf, type CheckGroup, type CheckStatus, type VerificationReport } from '../core/verification';

/** A listed set and what its history says about it. */
export interface SetEntry {
  set: ListedSet;
  /** The newest verification whose post-backup checks ran on this set. */
  lastVerification?: VerificationReport;
}

/**
 * One state per set, the most important first: a set being written, then
 * anything wrong with it, then what kind of set it is.
 */
export type SetState = 'running' | 'incomplete' | 'failed' | 'warning' | 'pinned' | 'safety' | 'legacy' | 'ok';

/** A codicon and, for states that need attention, a theme colour id. */
export interface IconModel {
  id: string;
  color?: string;
}

export const SET_STATE_WORDS: Readonly<Record<SetState, string>> = {
  running: 'being written',
  incomplete: 'incomplete',
  failed: 'failed verification',
  warning: 'warning',
  pinned: 'pinned',
  safety: 'safety backup',
  legacy: 'from the old script (no manifest)',
  ok: 'ok',
};

const SET_STATE_ICONS: Readonly<Record<SetState, IconModel>> = {
  running: { id: 'loading~spin' },
  incomplete: { id: 'circle-slash', color: 'list.errorForeground' },
  failed: { id: 'error', color: 'list.errorForeground' },
  warning: { id: 'warning', color: 'list.warningForeground' },
  pinned: { id: 'pinned' },
  safety: { id: 'shield' },
  legacy: { id: 'archive' },
  ok: { id: 'pass', color: 'testing.iconPassed' },
};

export const FILE_TYPE_WORDS: Readonly<Record<BackupFileType, string>> = {
  complete: 'Complete dump',
  schema: 'Schema-only dump',
  data: 'Data-only dump',
};

const FILE_TYPE_ICONS: Readonly<Record<BackupFileType, IconModel>> = {
  complete: { id: 'database' },
  schema: { id: 'symbol-structure' },
  data: { id: 'table' },
};

const CHECK_STATUS_WORDS: Readonly<Record<CheckStatus, string>> = { pass: 'passed', warn: 'warning', fail: 'failed' };

// ---------------------------------------------------------------------------
// Sets

export function postBackupGroup(report: VerificationReport | undefined): CheckGroup | undefined {
  return report?.groups.find((group) => group.name === 'post-backup');
}

/** The outcome of the set's own checks: a pre-restore failure (target down) says nothing about the files. */
export function postBackupOutcome(report: VerificationReport | undefined): CheckStatus | undefined {
  const group = postBackupGroup(report);
  return group ? outcomeOf(group.checks) : undefined;
}

export function setState(entry: SetEntry): SetState {
  const { set } = entry;
  if (set.status === 'running') return 'running';
  if (set.status === 'incomplete') return 'incomplete';
  const outcome = postBackupOutcome(entry.lastVerification);
  if (outcome === 'fail') return 'failed';
  if (outcome === 'warn' || (set.manifest?.pgDumpWarnings.length ?? 0) > 0) return 'warning';
  if (set.pinned) return 'pinned';
  if (set.purpose === 'safety') return 'safety';
  if (set.status === 'legacy') return 'legacy';
  return 'ok';
}

export function setIcon(entry: SetEntry): IconModel {
  return SET_STATE_ICONS[setState(entry)];
}

/** "2025-09-01 17:39:48": the set's timestamp, the local time its file names carry. */
export function setLabel(set: Pick<ListedSet, 'timestamp' | 'id'>): string {
  const match = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(set.timestamp);
  if (!match) return set.id;
  const [, year, month, day, hour, minute, second] = match;
  return `${year}-${month}-${day} ${hour}:${minute}:${second}`;
}

/**
 * "2h ago · 1.2 MB", then what the icon cannot say as well: another
 * prefix than the folder's own, pinned or safety when a problem icon wins.
 */
export function setDescription(entry: SetEntry, now: Date, folderPrefix?: string): string {
  const { set } = entry;
  const parts = [formatAge(new Date(set.createdAt), now)];
  if (set.status !== 'running') parts.push(formatBytes(set.totalBytes));
  if (folderPrefix !== undefined && set.prefix !== folderPrefix) parts.push(set.prefix);
  const state = setState(entry);
  if (set.pinned && state !== 'pinned') parts.push('pinned');
  if (set.purpose === 'safety' && state !== 'safety') parts.push('safety backup');
  return parts.join(' · ');
}

/** Words for a tree item's contextValue: menus match them with `viewItem =~ /\bword\b/`. */
export function setContextValue(entry: SetEntry): string {
  const { set } = entry;
  const words = ['set', set.pinned ? 'pinned' : 'unpinned'];
  if (set.status === 'running') words.push('running');
  else words.push('restorable');
  if (set.hasManifest) words.push('manifest');
  return words.join(' ');
}

/** The last verification in one line: "verified 2h ago: passed (9 checks)". */
export function verificationSummary(report: VerificationReport | undefined, now: Date): string {
  const group = postBackupGroup(report);
  if (!report || !group) return 'not verified yet';
  const outcome = outcomeOf(group.checks);
  const when = formatAge(new Date(report.checkedAt), now);
  const counted = `${group.checks.length} check${group.checks.length === 1 ? '' : 's'}`;
  if (outcome === 'pass') return `verified ${when}: passed (${counted})`;
  const flagged = group.checks.filter((check) => check.status === outcome);
  return `verified ${when}: ${CHECK_STATUS_WORDS[outcome]} (${flagged.map((check) => check.title).join('; ')})`;
}

export function setTooltipMarkdown(entry: SetEntry, now: Date): string {
  const { set } = entry;
  const state = setState(entry);
  const created = new Date(set.createdAt);
  const lines: string[] = [`**${escapeMarkdown(set.id)}**`, ''];
  const fact = (name: string, value: string) => lines.push(`${name}: ${value}  `);
  fact('Status', escapeMarkdown(SET_STATE_WORDS[state]));
  fact('Created', `${escapeMarkdown(setLabel(set))} (${escapeMarkdown(formatAge(created, now))})`);
  if (set.status !== 'running') {
    fact('Size', `${escapeMarkdown(formatBytes(set.totalBytes))} in ${set.files.length} file${set.files.length === 1 ? '' : 's'}`);
  }
  const manifest = set.manifest;
  if (manifest) {
    const database = `${manifest.database.user}@${manifest.database.host}:${manifest.database.port}/${manifest.database.name}`;
    fact('Database', `${markdownCode(database)}, PostgreSQL ${escapeMarkdown(manifest.server.version)}`);
    const rows = manifest.tables.reduce((sum, table) => sum + (table.rows ?? 0), 0);
    fact('Tables', `${formatCount(manifest.tables.length)}, ${formatCount(rows)} rows`);
    fact('Took', escapeMarkdown(formatDuration(manifest.durationMs)));
  } else if (set.status === 'legacy') {
    fact('Made by', 'the old backup script: no manifest, so no checksums or row counts');
  }
  if (set.status !== 'running') fact('Checks', escapeMarkdown(verificationSummary(entry.lastVerification, now)));
  if (set.pinned) fact('Pinned', 'retention never removes it');
  if (set.purpose === 'safety') fact('Purpose', 'safety backup, taken automatically before a restore');
  if (set.problems.length > 0) {
    lines.push('', 'Problems:', '');
    for (const problem of set.problems) lines.push(`- ${escapeMarkdown(problem)}`);
  }
  return lines.join('\n').replace(/ {2}$/, '');
}

// ---------------------------------------------------------------------------
// A set's children

export type SetChildModel =
  | { kind: 'file'; file: ListedFile; label: string; description: string; tooltip: string; icon: IconModel }
  | { kind: 'missing'; label: string; description: string; tooltip: string; icon: IconModel }
  | { kind: 'verification'; label: string; description: string; tooltip: string; icon: IconModel };

export function setChildren(entry: SetEntry, now: Date): SetChildModel[] {
  const { set } = entry;
  const children: SetChildModel[] = [];
  const order: BackupFileType[] = ['complete', 'schema', 'data'];
  for (const type of order) {
    const file = set.files.find((candidate) => candidate.type === type);
    if (file) {
      children.push({ kind: 'file', file, label: FILE_TYPE_WORDS[type], description: formatBytes(file.bytes), tooltip: file.name, icon: FILE_TYPE_ICONS[type] });
    } else if (set.status !== 'running') {
      children.push({
        kind: 'missing',
        label: FILE_TYPE_WORDS[type],
        description: 'missing',
        tooltip: set.problems.find((problem) => problem.includes(`_${type}_backup_`)) ?? `the ${type} file of ${set.id} is missing`,
        icon: { id: 'circle-slash', color: 'list.errorForeground' },
      });
    }
  }
  if (set.status !== 'running') children.push(verificationChild(entry.lastVerification, now));
  return children;
}

function verificationChild(report: VerificationReport | undefined, now: Date): SetChildModel {
  const group = postBackupGroup(report);
  if (!report || !group) {
    return { kind: 'verification', label: 'Not verified yet', description: '', tooltip: 'Run Verify to check the files against their manifest.', icon: { id: 'circle-large-outline' } };
  }
  const outcome = outcomeOf(group.checks);
  const flagged = group.checks.filter((check) => check.status !== 'pass');
  const tooltip = group.checks.map((check) => `${CHECK_STATUS_WORDS[check.status]}: ${check.title} — ${check.detail}`).join('\n');
  return {
    kind: 'verification',
    label: `Verified ${formatAge(new Date(report.checkedAt), now)}`,
    description: outcome === 'pass' ? `passed, ${group.checks.length} checks` : `${CHECK_STATUS_WORDS[outcome]}: ${flagged.map((check) => check.title).join('; ')}`,
    tooltip,
    icon: outcome === 'pass' ? { id: 'pass', color: 'testing.iconPassed' } : outcome === 'warn' ? { id: 'warning', color: 'list.warningForeground' } : { id: 'error', color: 'list.errorForeground' },
  };
}

// ---------------------------------------------------------------------------
// Status bar

/** One workspace folder's sets, newest first, and when they count as stale. */
export interface FolderBackups {
  /** Identifies the workspace folder (its URI). */
  key: string;
  /** The workspace folder's name. */
  name: string;
  entries: SetEntry[];
  staleAfterHours: number;
}

export interface FolderHealth {
  key: string;
  name: string;
  /** The newest set of a normal backup that is whole and did not fail verification. */
  lastGood?: SetEntry;
  stale: boolean;
  /** The most recent verification in the folder, when it failed. */
  failedVerification?: { setId: string; report: VerificationReport };
}

export interface StatusBarModel {
  text: string;
  /** Shown in the warning colour. */
  warning: boolean;
  tooltip: string;
  /** The set a click opens the report of. */
  target?: { folderKey: string; setId: string };
}

/** A set a restore can rely on: written on purpose, whole, and not failed when last verified. */
export function isGoodBackup(entry: SetEntry): boolean {
  const { set } = entry;
  if (set.purpose !== 'backup') return false;
  if (set.status !== 'complete' && set.status !== 'legacy') return false;
  return postBackupOutcome(entry.lastVerification) !== 'fail';
}

export function folderHealth(folder: FolderBackups, now: Date): FolderHealth {
  const lastGood = folder.entries.find(isGoodBackup);
  const stale = !lastGood || now.getTime() - new Date(lastGood.set.createdAt).getTime() > folder.staleAfterHours * 3_600_000;
  let newest: { setId: string; report: VerificationReport } | undefined;
  for (const entry of folder.entries) {
    const report = entry.lastVerification;
    if (report && postBackupGroup(report) && (!newest || report.checkedAt > newest.report.checkedAt)) newest = { setId: entry.set.id, report };
  }
  const failed = newest && postBackupOutcome(newest.report) === 'fail' ? newest : undefined;
  return { key: folder.key, name: folder.name, ...(lastGood ? { lastGood } : {}), stale, ...(failed ? { failedVerification: failed } : {}) };
}

/**
 * `$(database) 2h ago`, in the warning colour when the last good backup is
 * older than staleAfterHours (or there is none) or the most recent
 * verification failed. With several workspace folders the one that needs
 * attention most speaks; the tooltip lists them all.
 */
export function statusBarModel(folders: readonly FolderBackups[], now: Date, backupRunning = false): StatusBarModel {
  const healths = folders.map((folder) => folderHealth(folder, now));
  const needsAttention = (health: FolderHealth) => health.stale || health.failedVerification !== undefined;
  const goodTime = (health: FolderHealth) => (health.lastGood ? new Date(health.lastGood.set.createdAt).getTime() : -Infinity);
  // The folder shown: one that needs attention if any, and among those the longest without a good backup.
  const shown = [...healths].sort((a, b) => Number(needsAttention(b)) - Number(needsAttention(a)) || goodTime(a) - goodTime(b))[0];
  const warning = healths.some(needsAttention);
  const tooltip = statusBarTooltip(healths, folders, now, backupRunning);
  if (backupRunning) return { text: '$(sync~spin) Backing up…', warning: false, tooltip };
  if (!shown) return { text: '$(database) no folder', warning: false, tooltip };
  const age = shown.lastGood ? formatAge(new Date(shown.lastGood.set.createdAt), now) : 'no backup';
  const prefix = healths.length > 1 ? `${shown.name}: ` : '';
  return {
    text: `$(database) ${prefix}${age}`,
    warning,
    tooltip,
    ...(shown.lastGood ? { target: { folderKey: shown.key, setId: shown.lastGood.set.id } } : {}),
  };
}

function statusBarTooltip(healths: readonly FolderHealth[], folders: readonly FolderBackups[], now: Date, backupRunning: boolean): string {
  const lines: string[] = ['**Pulse Backup**', ''];
  if (backupRunning) lines.push('A backup is running.', '');
  healths.forEach((health, index) => {
    const folder = folders[index];
    if (healths.length > 1) lines.push(`**${escapeMarkdown(health.name)}**`, '');
    if (health.lastGood) {
      const set = health.lastGood.set;
      lines.push(
        `Last good backup: ${markdownCode(set.id)}  `,
        `${escapeMarkdown(formatAge(new Date(set.createdAt), now))}, ${escapeMarkdown(formatBytes(set.totalBytes))}  `,
        `Checks: ${escapeMarkdown(verificationSummary(health.lastGood.lastVerification, now))}`,
      );
    } else {
      lines.push('No good backup yet.');
    }
    if (health.lastGood && health.stale) {
      lines.push('', `$(warning) Older than ${folder.staleAfterHours} h (pulseBackup.staleAfterHours): back up again.`);
    }
    if (health.failedVerification) {
      const failed = postBackupGroup(health.failedVerification.report)?.checks.filter((check) => check.status === 'fail') ?? [];
      lines.push(
        '',
        `$(error) The last verification, of ${markdownCode(health.failedVerification.setId)}, failed: ${escapeMarkdown(failed.map((check) => `${check.title}: ${check.detail}`).join('; '))}`,
      );
    }
    lines.push('');
  });
  if (healths.some((health) => health.lastGood)) lines.push('Click to open its report.');
  return lines.join('\n').trimEnd();
}

// ---------------------------------------------------------------------------
// Restore confirmation

const RESTORE_MODE_WORDS: Readonly<Record<RestorePlan['mode'], string>> = {
  complete: 'complete (schema and data)',
  schema: 'schema only',
  data: 'data only',
};

export interface RestoreTargetFacts {
  host: string;
  port: number;
  database: string;
}

/**
 * The modal's message and detail: which database changes, what the
 * pre-flight found there, and what protects the person if it was the wrong one.
 */
export function restoreConfirmation(plan: RestorePlan, target: RestoreTargetFacts, safetyBackup: boolean): { message: string; detail: string } {
  const message = `Restore ${plan.setId} (${RESTORE_MODE_WORDS[plan.mode]}) into database "${target.database}" on ${target.host}:${target.port}?`;
  const checks = plan.verification.groups.flatMap((group) => group.checks);
  const warnings = checks.filter((check) => check.status === 'warn');
  const lines = [
    `Target: ${plan.target}, PostgreSQL ${plan.serverVersion}.`,
    `File: ${plan.file}.`,
    warnings.length === 0
      ? `Pre-flight: the set verifies (${checks.length} checks passed).`
      : `Pre-flight: the set verifies with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warnings.map((check) => `${check.title}: ${check.detail}`).join('; ')}.`,
  ];
  if (plan.replaced.length === 0) {
    lines.push("None of the backup's objects exist in the target yet: nothing is replaced.");
  } else {
    const verb = plan.mode === 'data' ? 'emptied first' : 'dropped and recreated';
    // Tables whose rows differ from the backup's come first: those are what the restore changes.
    const differs = (object: RestorePlan['replaced'][number]) => object.rows !== null && object.backupRows !== undefined && object.backupRows !== null && object.rows !== object.backupRows;
    const ordered = [...plan.replaced.filter(differs), ...plan.replaced.filter((object) => !differs(object))];
    const shown = ordered.slice(0, 8).map((object) => {
      const name = object.schema === '-' ? `large object ${object.name}` : `${object.schema}.${object.name}`;
      if (object.rows === null) return name;
      const backup = object.backupRows === undefined || object.backupRows === null ? '' : `, ${formatCount(object.backupRows)} in the backup`;
      return `${name} (${formatCount(object.rows)} rows now${backup})`;
    });
    const more = plan.replaced.length > shown.length ? `, and ${plan.replaced.length - shown.length} more` : '';
    lines.push(`${plan.replaced.length} of the backup's objects already exist and will be ${verb}: ${shown.join(', ')}${more}.`);
  }
  for (const note of plan.notes) lines.push(`Note: ${note}.`);
  lines.push(
    safetyBackup
      ? 'A safety backup of the target is taken first, so this restore can be undone.'
      : 'No safety backup will be taken (pulseBackup.safetyBackupBeforeRestore is off): this cannot be undone from a backup.',
    'All or nothing: one transaction; on any error the target stays as it was.',
  );
  return { message, detail: lines.join('\n') };
}
