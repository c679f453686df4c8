/**
 * What the Backups tree shows, decided without VS Code: each set's one
 * state with its icon and colour, labels, descriptions, tooltips, a set's
 * children, and the Timeline-like groups a long list falls into. tree.ts
 * only copies these values into TreeItems, so everything a person reads is
 * covered by plain unit tests.
 */
import { checkLine } from '../core/verify/results';
import { extensionWords } from './hints';
import { tableCountText } from '../core/backup/summary';
import { countOf, formatAge, formatBytes, formatDuration } from '../core/format';
import type { ListedFile, ListedSet } from '../core/sets/listing';
import { safetySetOccasion, type BackupFileType } from '../core/sets/manifest';
import { codecsOfFileName, type FileCodec } from '../core/sets/naming';
import { escapeMarkdown, markdownCode } from '../core/report/markdown';
import type { ProofRecord } from '../core/prove/record';
import type { OffsiteCopyRecord } from '../core/sets/history';
import { describeDifference } from '../core/prove/words';
import { SET_STATE_WORDS, postBackupOutcome, setStateOf, type SetState } from '../core/sets/state';
import { outcomeOf, type CheckGroup, type CheckStatus, type VerificationReport } from '../core/verify/results';

export { SET_STATE_WORDS, type SetState };

/** A listed set and what its history says about it. */
export interface SetEntry {
  set: ListedSet;
  /** The newest post-backup verification, when no file of the set changed after it. */
  lastVerification?: VerificationReport;
  /** A verification that no longer holds: a file changed after it. */
  staleVerification?: VerificationReport;
  /** The set's last proof while it speaks for the files (a failed one always): see history.ts's currentProof. */
  proof?: ProofRecord;
  /** A passed proof that no longer holds: a file changed after it. */
  staleProof?: ProofRecord;
  /** Copies of these very files in object storage, as pushes (and pulls) recorded them, newest first (history.ts's offsiteCopiesOf). */
  offsiteCopies?: OffsiteCopyRecord[];
}

/** A codicon and a theme colour id. */
export interface IconModel {
  id: string;
  color?: string;
}

/** Each state's own icon and colour, the same in the tree, the pickers and (as colours) the report. */
export const SET_STATE_ICONS: Readonly<Record<SetState, IconModel>> = {
  running: { id: 'loading~spin' },
  incomplete: { id: 'circle-slash', color: 'list.warningForeground' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  'proof-failed': { id: 'warning', color: 'problemsWarningIcon.foreground' },
  safety: { id: 'shield', color: 'charts.purple' },
  'old-script': { id: 'archive', color: 'charts.yellow' },
  proved: { id: 'verified-filled', color: 'charts.green' },
  verified: { id: 'pass', color: 'testing.iconPassed' },
  new: { id: 'circle-large-outline', color: 'charts.blue' },
};

export const FILE_TYPE_WORDS: Readonly<Record<BackupFileType, string>> = {
  complete: 'Complete dump',
  schema: 'Schema-only dump',
  data: 'Data-only dump',
};

/** How a dump file is stored, after its size: "313 KB · gzip · encrypted" (its name's extensions, in words). */
const CODEC_WORDS: Record<FileCodec, string> = { gz: 'gzip', zst: 'zstd', age: 'encrypted' };

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

export { postBackupOutcome };

export function setState(entry: SetEntry): SetState {
  return setStateOf({ set: entry.set, ...(entry.lastVerification ? { verification: entry.lastVerification } : {}), ...(entry.proof ? { proof: entry.proof } : {}) });
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
 * The label under a group: its heading says the day, so Today and
 * Yesterday show the time, This Week the weekday and time; elsewhere the
 * whole date and time.
 */
export function setLabelIn(set: Pick<ListedSet, 'timestamp' | 'id'>, group: SetGroup | undefined): string {
  const full = setLabel(set);
  if (full === set.id || group === undefined || group === 'older') return full;
  const time = full.slice(11);
  if (group === 'today' || group === 'yesterday') return time;
  const [year, month, day] = full.slice(0, 10).split('-').map(Number);
  const weekday = new Date(Date.UTC(year, month - 1, day)).toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
  return `${weekday} ${time}`;
}

/**
 * A value as code in a tooltip that shows theme icons: VS Code draws
 * `$(name)` as an icon even inside a code span, where no escape works, so a
 * value that holds one (a database named `$(pass) ok`) is escaped text
 * instead: it reads as it is, never as an icon.
 */
export function tooltipCode(value: string): string {
  return value.includes('$(') ? escapeMarkdown(value) : markdownCode(value);
}
/** The cloud mark of a set with an offsite copy, in its row (see offsiteViewModel.ts). */
export const OFFSITE_MARK_TEXT = '☁ offsite';

/**
 * "1.2 MB · 2 h ago": the size first, so a narrow view cuts the age, not
 * the size; then the cloud mark of a set copied offsite, and what the icon
 * does not say: another prefix than the folder's own, pinned, a safety set
 * whose state is something else. Under a group the heading and label say
 * when, and the age is left out.
 */
export function setDescription(entry: SetEntry, now: Date, options: { folderPrefix?: string; grouped?: boolean; offsite?: boolean } = {}): string {
  const { set } = entry;
  const parts: string[] = [];
  if (set.status !== 'running') parts.push(formatBytes(set.totalBytes));
  if (set.manifest?.encryption) parts.push('encrypted');
  if (options.offsite) parts.push(OFFSITE_MARK_TEXT);
  if (options.folderPrefix !== undefined && set.prefix !== options.folderPrefix) parts.push(set.prefix);
  if (set.pinned) parts.push('pinned');
  if (set.purpose === 'safety' && setState(entry) !== 'safety') parts.push('safety backup');
  if (!options.grouped) parts.push(formatAge(new Date(set.createdAt), now));
  const proof = proofDescription(entry, now);
  if (proof) parts.push(proof);
  return parts.join(' · ');
}

/** The proof in a few words for the row: "proved 2h ago", "proof failed"; nothing before a first proof. */
function proofDescription(entry: Pick<SetEntry, 'proof' | 'staleProof'>, now: Date): string | undefined {
  if (entry.proof?.outcome === 'proved') return `proved ${formatAge(new Date(entry.proof.provedAt), now)}`;
  if (entry.proof?.outcome === 'failed') return 'proof failed';
  return entry.staleProof ? 'proof out of date' : undefined;
}

/**
 * The last proof in one line: "Proved restorable 2h ago: 16 tables, …",
 * "Failed its proof 2h ago: the complete file: public.users: …" (the first
 * difference), or why there is none that counts.
 */
export function proofSummaryLine(entry: Pick<SetEntry, 'proof' | 'staleProof'>, now: Date): string {
  const { proof, staleProof } = entry;
  if (proof?.outcome === 'proved') return `Proved restorable ${formatAge(new Date(proof.provedAt), now)}: ${proof.summary.replace(/^proved restorable: /, '')}`;
  if (proof?.outcome === 'failed') {
    const first = proof.differences[0];
    return `Failed its proof ${formatAge(new Date(proof.provedAt), now)}: ${first ? describeDifference(first) : proof.summary}`;
  }
  if (staleProof) return `Proved ${formatAge(new Date(staleProof.provedAt), now)}, but a file changed since: prove it again`;
  return 'Not proved yet: Prove Restorable restores it into a scratch database and compares every table';
}

/** What a screen reader says for a set's row: everything the row shows, in words. */
export function setAccessibleLabel(entry: SetEntry, now: Date, folderPrefix?: string, offsite?: boolean): string {
  const description = setDescription(entry, now, { ...(folderPrefix === undefined ? {} : { folderPrefix }), ...(offsite ? { offsite } : {}) });
  return `Backup set ${setLabel(entry.set)}, ${SET_STATE_WORDS[setState(entry)]}, ${description.replace(OFFSITE_MARK_TEXT, 'copied offsite')}`;
}

/**
 * Words for a tree item's contextValue: menus match them with `viewItem =~
 * /\bword\b/`. `running` is a set still being written; `finished` any other
 * (complete, incomplete or the old script's), which the set's actions need;
 * `incomplete` a set with a file missing or not as recorded; `provable` a
 * finished set that is not incomplete (the engine refuses to prove one);
 * `comparable` a provable set, or an incomplete one whose manifest holds the
 * digests Compare with Database reads instead of the complete file;
 * `pushable` a complete set with its manifest in a folder that has offsite
 * storage set up.
 */
export function setContextValue(entry: SetEntry, options: { offsiteSetUp?: boolean } = {}): string {
  const { set } = entry;
  const words = ['set', set.pinned ? 'pinned' : 'unpinned'];
  if (set.status === 'running') words.push('running');
  else words.push('finished');
  if (set.status === 'incomplete') words.push('incomplete');
  if (set.status === 'complete' || set.status === 'legacy') words.push('provable');
  if (set.status === 'complete' || set.status === 'legacy' || (set.status === 'incomplete' && set.manifest?.digests !== undefined)) words.push('comparable');
  if (set.hasManifest) words.push('manifest');
  if (set.purpose === 'safety') words.push('safety');
  if (options.offsiteSetUp && set.status === 'complete' && set.hasManifest) words.push('pushable');
  return words.join(' ');
}

/** The last verification in one line: "verified 2h ago: passed (9 checks)". */
export function verificationSummary(entry: Pick<SetEntry, 'lastVerification' | 'staleVerification'>, now: Date): string {
  const report = entry.lastVerification;
  const group = postBackupGroup(report);
  if (!report || !group) {
    const stale = entry.staleVerification;
    return stale ? `verified ${formatAge(new Date(stale.checkedAt), now)}, but a file changed since: verify again` : 'not verified yet';
  }
  const outcome = outcomeOf(group.checks);
  const when = formatAge(new Date(report.checkedAt), now);
  const counted = `${group.checks.length} check${group.checks.length === 1 ? '' : 's'}`;
  if (outcome === 'pass') return `verified ${when}: passed (${counted})`;
  const flagged = group.checks.filter((check) => check.status === outcome);
  return `verified ${when}: ${CHECK_STATUS_WORDS[outcome]} (${flagged.map((check) => check.title).join('; ')})`;
}

/** `offsiteLine`: the set's offsite copy in a line (offsiteViewModel.ts), where offsite storage is set up. */
export function setTooltipMarkdown(entry: SetEntry, now: Date, options: { offsiteLine?: string } = {}): string {
  const { set } = entry;
  const state = setState(entry);
  const created = new Date(set.createdAt);
  const lines: string[] = [`**${escapeMarkdown(set.id)}**`, ''];
  const fact = (name: string, value: string) => lines.push(`${name}: ${value}  `);
  fact('Status', `$(${SET_STATE_ICONS[state].id}) ${escapeMarkdown(SET_STATE_WORDS[state])}`);
  fact('Created', `${escapeMarkdown(setLabel(set))} (${escapeMarkdown(formatAge(created, now))})`);
  if (set.status !== 'running') {
    fact('Size', `${escapeMarkdown(formatBytes(set.totalBytes))} in ${set.files.length} file${set.files.length === 1 ? '' : 's'}`);
  }
  const manifest = set.manifest;
  if (manifest) {
    const database = `${manifest.database.user}@${manifest.database.host}:${manifest.database.port}/${manifest.database.name}`;
    fact('Database', `${tooltipCode(database)}, PostgreSQL ${escapeMarkdown(manifest.server.version)}`);
    const rows = manifest.tables.reduce((sum, table) => sum + (table.rows ?? 0), 0);
    fact('Tables', escapeMarkdown(`${tableCountText(manifest.tables, { noun: false })}, ${countOf(rows, 'row')}`));
    fact('Took', escapeMarkdown(formatDuration(manifest.durationMs)));
    const encryption = manifest.encryption;
    if (encryption) {
      fact(
        'Encrypted',
        encryption.method === 'passphrase'
          ? '$(lock) age, with a passphrase: verify, restore and prove ask for it, or take the one Pulse Backup: Set Encryption Passphrase… keeps'
          : `$(lock) age, to ${encryption.recipients.length} age recipient${encryption.recipients.length === 1 ? '' : 's'}: their identity file decrypts it, on the command line`,
      );
    }
  } else if (set.status === 'legacy') {
    fact('Made by', 'the old backup script: no manifest, so no checksums or row counts');
  }
  // An incomplete set's old verification says nothing about the files it has now.
  if (set.status !== 'running' && set.status !== 'incomplete') fact('Checks', escapeMarkdown(verificationSummary(entry, now)));
  if (set.status !== 'running' && set.status !== 'incomplete') {
    const icon = entry.proof?.outcome === 'failed' ? `$(${SET_STATE_ICONS['proof-failed'].id}) ` : '';
    fact('Proof', `${icon}${escapeMarkdown(proofSummaryLine(entry, now))}`);
  }
  if (options.offsiteLine !== undefined) lines.push(`${options.offsiteLine}  `);
  if (set.pinned) fact('Pinned', 'retention never removes it');
  if (set.purpose === 'safety') fact('Purpose', escapeMarkdown(`safety backup, taken automatically ${safetySetOccasion(set.manifest)}`));
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
  | { kind: 'verification'; label: string; description: string; tooltip: string; icon: IconModel }
  | { kind: 'proof'; label: string; description: string; tooltip: string; icon: IconModel };

export function setChildren(entry: SetEntry, now: Date): SetChildModel[] {
  const { set } = entry;
  const children: SetChildModel[] = [];
  const order: BackupFileType[] = ['complete', 'schema', 'data'];
  for (const type of order) {
    const file = set.files.find((candidate) => candidate.type === type);
    if (file) {
      const stored = codecsOfFileName(file.name).map((codec) => CODEC_WORDS[codec]);
      const description = [formatBytes(file.bytes), ...stored].join(' · ');
      children.push({ kind: 'file', file, label: FILE_TYPE_WORDS[type], description, tooltip: file.name, icon: FILE_TYPE_ICONS[type] });
    } else if (set.status !== 'running') {
      children.push({
        kind: 'missing',
        label: FILE_TYPE_WORDS[type],
        description: 'missing',
        tooltip: set.problems.find((problem) => problem.includes(`_${type}_backup_`)) ?? `the ${type} file of ${set.id} is missing`,
        icon: SET_STATE_ICONS.incomplete,
      });
    }
  }
  if (set.status !== 'running' && set.status !== 'incomplete') children.push(verificationChild(entry, now), proofChild(entry, now));
  return children;
}

/** The last proof under the set: a click opens the report, whose Verification section has every difference. */
function proofChild(entry: SetEntry, now: Date): SetChildModel {
  const { proof, staleProof } = entry;
  const tooltip = proofSummaryLine(entry, now);
  if (proof?.outcome === 'proved') {
    return {
      kind: 'proof',
      label: `Proved restorable ${formatAge(new Date(proof.provedAt), now)}`,
      description: `${countOf(proof.tables, 'table')}, ${countOf(proof.rows, 'row')} equal`,
      tooltip,
      icon: SET_STATE_ICONS.proved,
    };
  }
  if (proof?.outcome === 'failed') {
    const more = proof.differences.length > 1 ? ` (+${proof.differences.length - 1} more)` : '';
    const first = proof.differences[0];
    return {
      kind: 'proof',
      label: `Proof failed ${formatAge(new Date(proof.provedAt), now)}`,
      description: `${first ? `${first.object}: ${first.detail}` : proof.summary}${more}`,
      tooltip: [tooltip, ...proof.differences.slice(1).map(describeDifference)].join('\n'),
      icon: SET_STATE_ICONS['proof-failed'],
    };
  }
  return {
    kind: 'proof',
    label: staleProof ? 'Proof out of date' : 'Not proved yet',
    description: staleProof ? 'a file changed since' : '',
    tooltip,
    icon: { id: 'beaker' },
  };
}

function verificationChild(entry: SetEntry, now: Date): SetChildModel {
  const report = entry.lastVerification;
  const group = postBackupGroup(report);
  if (!report || !group) {
    const stale = entry.staleVerification;
    return {
      kind: 'verification',
      label: stale ? 'Verification out of date' : 'Not verified yet',
      description: stale ? 'a file changed since' : '',
      tooltip: 'Run Verify to check the files against their manifest.',
      icon: SET_STATE_ICONS.new,
    };
  }
  const outcome = outcomeOf(group.checks);
  const flagged = group.checks.filter((check) => check.status !== 'pass');
  const tooltip = group.checks.map((check) => `${CHECK_STATUS_WORDS[check.status]}: ${check.title} — ${checkLine(check, extensionWords())}`).join('\n');
  return {
    kind: 'verification',
    label: `Verified ${formatAge(new Date(report.checkedAt), now)}`,
    description: outcome === 'pass' ? `passed, ${group.checks.length} checks` : `${CHECK_STATUS_WORDS[outcome]}: ${flagged.map((check) => check.title).join('; ')}`,
    tooltip,
    icon: outcome === 'fail' ? SET_STATE_ICONS.failed : outcome === 'warn' ? { id: 'warning', color: 'list.warningForeground' } : SET_STATE_ICONS.verified,
  };
}

// ---------------------------------------------------------------------------
// Groups, as the Timeline has them

export type SetGroup = 'today' | 'yesterday' | 'this-week' | 'older';

export const SET_GROUP_TITLES: Readonly<Record<SetGroup, string>> = {
  today: 'Today',
  yesterday: 'Yesterday',
  'this-week': 'This Week',
  older: 'Older',
};

/** A folder with more sets than this shows them in groups. */
export const GROUP_ABOVE = 8;

/** The group of a set by the local date in its name, relative to `now` (weeks start on Monday). */
export function setGroupOf(set: Pick<ListedSet, 'timestamp' | 'createdAt'>, now: Date): SetGroup {
  const match = /^(\d{4})(\d{2})(\d{2})_/.exec(set.timestamp);
  const day = match ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : startOfDay(new Date(set.createdAt));
  const today = startOfDay(now);
  const daysAgo = Math.round((today.getTime() - day.getTime()) / 86_400_000);
  if (daysAgo <= 0) return 'today';
  if (daysAgo === 1) return 'yesterday';
  const sinceMonday = (today.getDay() + 6) % 7;
  return daysAgo <= sinceMonday ? 'this-week' : 'older';
}

function startOfDay(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** The sets in groups, newest group first, only the groups that hold sets; undefined when the list is short enough to show flat. */
export function groupSets<T extends { set: ListedSet }>(entries: readonly T[], now: Date): { group: SetGroup; entries: T[] }[] | undefined {
  if (entries.length <= GROUP_ABOVE) return undefined;
  const groups = new Map<SetGroup, T[]>();
  for (const entry of entries) {
    const group = setGroupOf(entry.set, now);
    groups.set(group, [...(groups.get(group) ?? []), entry]);
  }
  return (['today', 'yesterday', 'this-week', 'older'] as const).filter((group) => groups.has(group)).map((group) => ({ group, entries: groups.get(group) ?? [] }));
}
