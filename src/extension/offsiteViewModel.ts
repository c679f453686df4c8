/**
 * What the views say about offsite copies, decided without VS Code: the
 * cloud mark on a local set that has a copy in the folder's offsite
 * storage, the Remote group and its sets, and the status bar's "Last
 * offsite copy" line. tree.ts and statusBar.ts copy these values into
 * VS Code's items, so everything a person reads is unit-tested.
 *
 * A mark is *checked* when the remote's listing holds a complete copy whose
 * manifest has the set's files with the same sizes and SHA-256; until the
 * remote is listed (the Remote group is lazy), the push's own record
 * (history.ts) speaks for it: that push checked every object as it went.
 */
import { formatAge, formatBytes } from '../core/format';
import type { RemoteSet } from '../core/offsite/listing';
import { remoteUrl, type RemoteLocation } from '../core/offsite/remote';
import { escapeMarkdown } from '../core/report/markdown';
import type { OffsiteCopyRecord } from '../core/sets/history';
import { OFFSITE_MARK_TEXT, setLabel, tooltipCode, type IconModel, type SetEntry } from './viewModel';

/** The remote as far as it was listed. */
export interface RemoteFacts {
  location: RemoteLocation;
  where: string;
  sets: readonly RemoteSet[];
  listedAt: Date;
}

export interface OffsiteMark {
  /** True: the remote's listing just showed the copy with the set's checksums; false: as the push recorded it. */
  checked: boolean;
  /** s3://BUCKET/PREFIX/SET_ID */
  url: string;
  where: string;
  /** When the copy's manifest was written there. */
  pushedAt: string;
  /** When the remote was listed, for a checked mark. */
  checkedAt?: Date;
}

export { OFFSITE_MARK_TEXT };
export const OFFSITE_ICON: IconModel = { id: 'cloud', color: 'charts.blue' };

type FileFacts = readonly { name: string; bytes: number; sha256: string }[];

function sameFiles(first: FileFacts, second: FileFacts): boolean {
  const key = (files: FileFacts) =>
    files
      .map((file) => `${file.name} ${file.bytes} ${file.sha256}`)
      .sort()
      .join('\n');
  return key(first) === key(second);
}

/**
 * The set's offsite copy, if it has one: checked against the listed remote
 * when it has been listed (a copy the listing does not show there, or shows
 * with other checksums, is none: removed, pruned or another set), else the
 * newest push recorded for these very files (entry.offsiteCopies).
 */
export function offsiteMark(entry: Pick<SetEntry, 'set' | 'offsiteCopies'>, remote?: RemoteFacts): OffsiteMark | undefined {
  const manifest = entry.set.manifest;
  if (!manifest) return undefined;
  const records = entry.offsiteCopies ?? [];
  if (remote) {
    const there = remote.sets.find((candidate) => candidate.id === entry.set.id);
    if (there?.status === 'complete' && there.manifest && sameFiles(there.manifest.files, manifest.files)) {
      return { checked: true, url: there.url, where: remote.where, pushedAt: there.pushedAt ?? there.manifest.offsite.pushedAt, checkedAt: remote.listedAt };
    }
    const listedUrl = remoteUrl(remote.location, entry.set.id);
    const elsewhere = records.find((record) => record.url !== listedUrl);
    return elsewhere ? recordedMark(elsewhere) : undefined;
  }
  const newest = records[0];
  return newest ? recordedMark(newest) : undefined;
}

function recordedMark(record: OffsiteCopyRecord): OffsiteMark {
  return { checked: false, url: record.url, where: record.where, pushedAt: record.pushedAt };
}

/** The tooltip's line: "Offsite: $(cloud) copy at s3://… (where), pushed 3 h ago; checked …". */
export function offsiteTooltipLine(mark: OffsiteMark | undefined, now: Date): string {
  if (!mark) return 'Offsite: no copy';
  const checked = mark.checked
    ? `its checksums checked against the remote ${formatAge(mark.checkedAt ?? now, now)}`
    : 'as the push recorded it (expand the Remote group to check it there)';
  return `Offsite: $(${OFFSITE_ICON.id}) copy at ${tooltipCode(mark.url)} (${escapeMarkdown(mark.where)}), pushed ${escapeMarkdown(formatAge(new Date(mark.pushedAt), now))}; ${escapeMarkdown(checked)}`;
}

// ---------------------------------------------------------------------------
// The Remote group

export interface RemoteGroupModel {
  label: string;
  description: string;
  tooltip: string;
  icon: IconModel;
}

/** The group's row: the remote's URL, and once listed how many sets it holds. */
export function remoteGroupModel(url: string, listing: { kind: 'listed'; sets: readonly RemoteSet[]; where: string } | { kind: 'failed' } | undefined): RemoteGroupModel {
  if (listing?.kind === 'listed') {
    const complete = listing.sets.filter((set) => set.status === 'complete').length;
    const others = listing.sets.length - complete;
    const counted = `${complete} set${complete === 1 ? '' : 's'}${others > 0 ? `, ${others} not complete` : ''}`;
    return { label: 'Remote', description: `${url} · ${counted}`, tooltip: `Offsite copies at ${url} (${listing.where}): ${counted}`, icon: OFFSITE_ICON };
  }
  if (listing?.kind === 'failed')
    return { label: 'Remote', description: url, tooltip: `Offsite copies at ${url}: could not be listed`, icon: { id: 'cloud', color: 'list.errorForeground' } };
  return { label: 'Remote', description: url, tooltip: `Offsite copies at ${url}: listed when expanded`, icon: OFFSITE_ICON };
}

export interface RemoteSetModel {
  label: string;
  description: string;
  /** Markdown. */
  tooltip: string;
  icon: IconModel;
  /** Menus match `remoteSet`, its status (`complete`) and `local` when the folder has the same set. */
  contextValue: string;
  accessibleLabel: string;
}

const REMOTE_STATUS_WORDS: Readonly<Record<RemoteSet['status'], string>> = {
  complete: 'complete copy',
  incomplete: 'incomplete: a push that did not finish (no manifest)',
  damaged: 'damaged',
};

const REMOTE_STATUS_ICONS: Readonly<Record<RemoteSet['status'], IconModel>> = {
  complete: OFFSITE_ICON,
  incomplete: { id: 'circle-slash', color: 'list.warningForeground' },
  damaged: { id: 'error', color: 'testing.iconFailed' },
};

/**
 * A set of the remote: its date as local sets show it, its size and when it
 * was pushed; whether the folder has it too (the same files); its prefix
 * when it is another project's.
 */
export function remoteSetModel(set: RemoteSet, now: Date, context: { folderPrefix?: string; here: 'same' | 'different' | 'absent' }): RemoteSetModel {
  const parts = [formatBytes(set.totalBytes)];
  if (set.encrypted) parts.push('encrypted');
  if (context.folderPrefix !== undefined && set.prefix !== context.folderPrefix) parts.push(set.prefix);
  if (set.purpose === 'safety') parts.push('safety backup');
  if (set.status === 'complete') parts.push(`pushed ${formatAge(new Date(set.pushedAt ?? set.createdAt), now)}`);
  else parts.push(set.status === 'incomplete' ? 'incomplete' : 'damaged');
  if (context.here === 'same') parts.push('also here');
  const lines = [`**${escapeMarkdown(set.id)}**`, ''];
  const fact = (name: string, value: string) => lines.push(`${name}: ${value}  `);
  fact('Status', `$(${REMOTE_STATUS_ICONS[set.status].id}) ${escapeMarkdown(REMOTE_STATUS_WORDS[set.status])}`);
  fact('Created', `${escapeMarkdown(setLabel(set))} (${escapeMarkdown(formatAge(new Date(set.createdAt), now))})`);
  if (set.pushedAt) fact('Pushed', escapeMarkdown(formatAge(new Date(set.pushedAt), now)));
  fact('Size', `${escapeMarkdown(formatBytes(set.totalBytes))} in ${set.files.length} file${set.files.length === 1 ? '' : 's'}`);
  const database = set.manifest?.database;
  if (database) fact('Database', tooltipCode(`${database.user}@${database.host}:${database.port}/${database.name}`));
  fact('At', tooltipCode(set.url));
  if (set.encrypted) {
    fact(
      'Encrypted',
      (set.manifest?.encryption ?? set.manifest?.offsite.encryption)?.method === 'recipients'
        ? '$(lock) age, to age recipients: their identity file decrypts it, on the command line'
        : set.manifest?.encryption
          ? '$(lock) age, with a passphrase: the set itself is encrypted'
          : '$(lock) age, with a passphrase, for the remote only: Pull and Restore… decrypts it on the way with the folder’s passphrase',
    );
  }
  fact(
    'Here',
    context.here === 'same'
      ? 'the backups folder has this set too'
      : context.here === 'different'
        ? 'the backups folder has another set under this name: pulling it is refused'
        : 'not in the backups folder: Pull and Restore… brings it here first',
  );
  if (set.problems.length > 0) {
    lines.push('', 'Problems:', '');
    for (const problem of set.problems) lines.push(`- ${escapeMarkdown(problem)}`);
  }
  const description = parts.join(' · ');
  return {
    label: setLabel(set),
    description,
    tooltip: lines.join('\n').replace(/ {2}$/, ''),
    icon: REMOTE_STATUS_ICONS[set.status],
    contextValue: ['remoteSet', set.status, ...(context.here === 'same' ? ['local'] : [])].join(' '),
    accessibleLabel: `Offsite set ${setLabel(set)}, ${REMOTE_STATUS_WORDS[set.status]}, ${description}`,
  };
}

/** Whether the folder holds the remote set: the same files, another set under its name, or nothing. */
export function localCounterpart(set: RemoteSet, entries: readonly Pick<SetEntry, 'set'>[]): 'same' | 'different' | 'absent' {
  const local = entries.find((entry) => entry.set.id === set.id);
  if (!local) return 'absent';
  return local.set.manifest && set.manifest && sameFiles(local.set.manifest.files, set.manifest.files) ? 'same' : 'different';
}

// ---------------------------------------------------------------------------
// The status bar

export interface OffsiteSummary {
  /** s3://BUCKET/PREFIX; undefined: offsite copies are not set up for the folder. */
  url?: string;
  /** The newest copy of the folder's sets known here: a local set's mark, or a complete set of the folder's prefix the remote listed. */
  last?: { setId: string; pushedAt: string };
}

export function offsiteSummary(url: string | undefined, marks: readonly { setId: string; mark: OffsiteMark | undefined }[], remote?: RemoteFacts, prefix?: string): OffsiteSummary {
  if (url === undefined) return {};
  const candidates = [
    ...marks.flatMap(({ setId, mark }) => (mark ? [{ setId, pushedAt: mark.pushedAt }] : [])),
    ...(remote?.sets ?? [])
      .filter((set) => set.status === 'complete' && set.pushedAt && (prefix === undefined || set.prefix === prefix))
      .map((set) => ({ setId: set.id, pushedAt: set.pushedAt ?? '' })),
  ];
  const last = candidates.sort((first, second) => second.pushedAt.localeCompare(first.pushedAt))[0];
  return { url, ...(last ? { last } : {}) };
}

/** "Last offsite copy: 3 h ago (`set` at s3://…)", or that there is none, or that offsite copies are not set up. */
export function offsiteStatusLine(summary: OffsiteSummary, now: Date): string {
  if (summary.url === undefined) return 'Offsite copies: not set up (Pulse Backup: Offsite: URL)';
  if (!summary.last) return `Last offsite copy: none yet (${tooltipCode(summary.url)})`;
  return `Last offsite copy: ${escapeMarkdown(formatAge(new Date(summary.last.pushedAt), now))} (${tooltipCode(summary.last.setId)} at ${tooltipCode(summary.url)})`;
}
