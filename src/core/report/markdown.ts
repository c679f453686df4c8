/**
 * The report as Markdown, in the shape of the team's old summary. Names from
 * the database and the file system go into code spans (literal in every
 * Markdown renderer, so a table called <script> stays text); other values
 * are escaped; commands go into fenced blocks a person can copy.
 */
import {
  formatBytes,
  formatCount,
  formatDiskBytes,
  formatDuration,
  formatOptionalBytes,
  formatOptionalDuration,
  formatReportDate,
  formatRows,
  printable,
  printableLines,
} from '../format';
import type { BackupReport, ReportCommand, ReportProofSection, ReportVerificationRun, RichText } from './types';
import { REPORT_SECTION_KEYS, capitalise, capitaliseRich, readableBy, recordedInHistory, schemaGroupTotals, schemaSummary, sectionTitle, yesNo } from './text';
import type { ReportSectionKey } from './text';

export function renderReportMarkdown(report: BackupReport): string {
  const blocks: string[] = [
    `# Backup set ${code(report.set.id)}`,
    `Summary generated ${text(formatReportDate(report.generatedAt))} by ${text(report.generatedBy)}.`,
    ...attention(report),
    ...REPORT_SECTION_KEYS.map((key) => [`## ${sectionTitle(key, true)}`, ...SECTIONS[key](report)].join('\n\n')),
  ];
  return `${blocks.join('\n\n')}\n`;
}

/** Each section's blocks under its heading. */
const SECTIONS: Record<ReportSectionKey, (report: BackupReport) => string[]> = { overview, database, warnings, restore, schema, verification, history, security };

function attention(report: BackupReport): string[] {
  if (report.attention.length === 0) return [];
  return [report.attention.map((item) => `> **${item.level === 'warn' ? 'Warning' : 'Note'}:** ${rich(item.text)}`).join('\n>\n')];
}

function overview(report: BackupReport): string[] {
  const { set, overview: section } = report;
  const facts = table(
    ['Item', 'Value'],
    [
      ['Status', text(set.statusText) + (set.problems.length > 0 ? `: ${text(set.problems.join('; '))}` : '')],
      ['Purpose', text(set.purposeText)],
      ['Pinned', set.pinned ? 'yes (retention never removes it)' : 'no'],
      ['Created', text(formatReportDate(set.createdAt))],
      ['Folder', cellCode(set.folder)],
      ['Total size', `${formatBytes(section.totalBytes)} (dump files ${formatBytes(section.dumpBytes)})`],
      ['Duration', text(formatOptionalDuration(section.durationMs))],
      ['Dumped', text(section.dumpedText ?? 'not recorded (no manifest)')],
      ['Database at backup time', text(section.databaseAtBackup.summary)],
    ],
  );
  const files = table(
    ['File', 'Type', 'Size', 'What it is for'],
    section.files.map((file) => [cellCode(file.name), text(file.label), file.present ? formatOptionalBytes(file.bytes) : '**missing**', text(file.description)]),
    ['left', 'left', 'right', 'left'],
  );
  const retention =
    section.retentionAtCreation.length === 0
      ? 'No retention run is recorded for this set.'
      : list(
          section.retentionAtCreation.map(
            (event) =>
              `${text(formatReportDate(event.at))}: ${text(event.summary)}` +
              (event.removed.length > 0 ? `. Removed: ${event.removed.map(code).join(', ')}` : '') +
              (event.protected.length > 0 ? `. Kept: ${event.protected.map((entry) => `${code(entry.id)} (${text(entry.reasonText)})`).join(', ')}` : ''),
          ),
        );
  return [facts, '### Files', files, '### Retention when this set was made', retention];
}

function database(report: BackupReport): string[] {
  const section = report.database;
  const rows: string[][] = [
    ['PostgreSQL version', section.serverVersion ? text(section.serverVersion) + (section.serverVersionSource === 'dump header' ? ' (from the dump header)' : '') : 'not recorded'],
    ['Server', section.address ? cellCode(section.address) : 'not recorded'],
    ['User', section.user ? cellCode(section.user) : 'not recorded'],
    ['Database', section.name ? cellCode(section.name) : 'not recorded'],
    ['Size at backup time', formatOptionalBytes(section.sizeBytes, section.sizeEstimated)],
    ['pg_dump', section.pgDumpVersion ? text(section.pgDumpVersion) + (section.pgDumpPath ? ` (${cellCode(section.pgDumpPath)})` : '') : 'not recorded'],
    ['Made with', section.pulseBackupVersion ? `pulse-backup ${text(section.pulseBackupVersion)}` : 'the old backup script'],
  ];
  return [table(['Item', 'Value'], rows), ...(section.note ? [text(section.note)] : [])];
}

function warnings(report: BackupReport): string[] {
  const section = report.warnings;
  const blocks = [rich(section.summary)];
  if (section.foreignKeyCycles.length > 0) {
    blocks.push('### Circular foreign keys', list(section.foreignKeyCycles.map((cycle) => code(cycle.text))));
    blocks.push(...section.meaning.map(rich));
  } else if (!section.recorded) {
    blocks.push(...section.meaning.map(rich));
  }
  blocks.push('### How this set handles them', list(section.handling.map(rich)));
  if (section.recorded) {
    blocks.push(
      "### pg_dump's own messages",
      section.pgDumpStderr.length === 0 ? 'pg_dump printed nothing on stderr while making this set.' : fence(section.pgDumpStderr.join('\n'), 'text'),
    );
  }
  return blocks;
}

function restore(report: BackupReport): string[] {
  const section = report.restore;
  const blocks = [`Set the target database first (the psql commands read ${code(`$${section.targetVariable}`)}):`, fence(section.targetExample, 'sh')];
  for (const option of section.options) {
    blocks.push(`### ${text(option.title)}`, rich(option.description));
    if (!option.available) blocks.push(`**The file this needs is missing** (${code(option.file)}).`);
    blocks.push(...command(option.pulseBackup), ...option.psql.flatMap(command));
  }
  blocks.push('### Notes', list(section.notes.map(rich)));
  return blocks;
}

function command(entry: ReportCommand): string[] {
  return [`${capitalise(text(entry.title))}:`, fence(entry.command, 'sh')];
}

function schema(report: BackupReport): string[] {
  const section = report.schema;
  if (!section.recorded) return [text(section.note ?? 'Not recorded.')];
  const blocks = [text(schemaSummary(section))];
  if (section.note) blocks.push(text(section.note));
  const profile = section.profile;
  if (profile) {
    blocks.push(`Profile: **${text(profile.name)}** (${text(profile.reason)}).`);
    if (profile.platformData.length > 0) blocks.push(`Platform tables whose rows the set holds: ${profile.platformData.map(code).join(', ')}.`);
    if (profile.attachedObjects.length > 0) blocks.push(`Your objects on platform tables, kept with the set: ${profile.attachedObjects.map(code).join(', ')}.`);
    if (profile.leftOut.length > 0)
      blocks.push(
        '### Left out',
        table(
          ['What', 'Why'],
          profile.leftOut.map((entry) => [text(entry.what), text(entry.why)]),
        ),
      );
  }
  for (const group of section.schemas) {
    blocks.push(
      `### Schema ${code(group.name)} (${text(schemaGroupTotals(group, section.sizesEstimated))})`,
      table(
        ['Table', 'Kind', 'Rows', 'Size'],
        group.tables.map((entry) => [cellCode(entry.name), text(entry.kind), formatRows(entry.rows), formatDiskBytes(entry.bytes, section.sizesEstimated)]),
        ['left', 'left', 'right', 'right'],
      ),
    );
  }
  if (section.materializedViews.length > 0) {
    blocks.push(
      '### Materialized views',
      table(
        ['View', 'Populated'],
        section.materializedViews.map((view) => [cellCode(`${view.schema}.${view.name}`), view.populated ? 'yes' : 'no (created WITH NO DATA)']),
      ),
    );
  }
  return blocks;
}

function verification(report: BackupReport): string[] {
  const section = report.verification;
  const run = (title: string, entry: ReportVerificationRun | null): string[] => {
    if (!entry) return [`### ${title}`, rich(capitaliseRich(section.notVerified))];
    return [
      `### ${title}`,
      `${text(capitalise(entry.outcomeText))}, ${text(formatReportDate(entry.checkedAt))}, in ${formatDuration(entry.durationMs)}` +
        (entry.target ? `, against ${code(entry.target)}` : '') +
        '.',
      table(
        ['Check', 'Status', 'Detail'],
        entry.checks.map((check) => [text(check.title), `**${text(check.statusText)}**`, text(check.detail)]),
      ),
    ];
  };
  return [
    ...run('After the backup', section.postBackup),
    ...run('Before a restore', section.preRestore),
    recordedInHistory(section.runs, 'verification run'),
    ...proofBlocks(section.proof),
  ];
}

function proofBlocks(data: ReportProofSection): string[] {
  const proof = data.latest;
  if (!proof) return ['### Proved restorable', rich(capitaliseRich(data.notProved))];
  return [
    '### Proved restorable',
    `**${text(proof.outcomeText)}**, ${text(formatReportDate(proof.provedAt))}, in ${formatDuration(proof.durationMs)}, on ${code(proof.server)}: ${text(proof.summary)}.`,
    table(
      ['Way', 'Restored', 'Tables', 'Rows', 'Schema', 'Time'],
      proof.ways.map((way) => [
        text(way.title),
        way.restored ? (way.equal ? 'equal' : '**differs**') : '**did not restore**',
        formatCount(way.tables),
        formatCount(way.rows),
        way.schemaEqual ? 'equal' : '**differs**',
        formatDuration(way.durationMs),
      ]),
    ),
    ...(proof.differences.length > 0 ? [proof.differences.map((difference) => `- ${text(difference)}`).join('\n')] : []),
    ...proof.notes.map((note) => text(note)),
    recordedInHistory(data.runs, 'proof'),
  ];
}

function history(report: BackupReport): string[] {
  const section = report.history;
  const sets = table(
    ['Set', 'Created', 'Size', 'Status', 'Pinned'],
    section.sets.map((entry) => [
      cellCode(entry.id) + (entry.isThisSet ? ' **(this set)**' : '') + (entry.purpose === 'safety' ? ' (safety)' : ''),
      text(formatReportDate(entry.createdAt)),
      formatBytes(entry.totalBytes),
      text(entry.statusText),
      yesNo(entry.pinned),
    ]),
    ['left', 'left', 'right', 'left', 'left'],
  );
  return [
    `Sets in the folder, newest first:`,
    sets,
    '### Retention',
    list(section.retention.rules.map(rich)),
    text(section.retention.summary),
    '### Pinned sets',
    section.pinned.length === 0 ? 'No set is pinned.' : list(section.pinned.map(code)),
  ];
}

function security(report: BackupReport): string[] {
  const section = report.security;
  const blocks = [
    `Backups folder: ${code(section.folder)}`,
    '### Git',
    text(section.git.summary) + (section.git.trackedFiles.length > 0 ? ` Tracked: ${section.git.trackedFiles.map(code).join(', ')}.` : ''),
  ];
  if (section.git.advice) blocks.push(rich(section.git.advice));
  blocks.push('### File permissions', text(section.permissionSummary));
  const entries = [...(section.folderPermission ? [section.folderPermission] : []), ...section.permissions];
  if (entries.length > 0) {
    blocks.push(
      table(
        ['Path', 'Mode', 'Readable by'],
        entries.map((entry) => [
          cellCode(entry.name) + (entry.kind === 'folder' ? ' (folder)' : ''),
          cellCode(entry.mode ?? '—'),
          entry.readableByOthers ? `**${readableBy(entry)}**` : readableBy(entry),
        ]),
      ),
    );
  }
  if (section.permissionFix) blocks.push('Only the owner should read them:', fence(section.permissionFix, 'sh'));
  blocks.push('### Encryption', text(section.encryption.summary), list(section.encryption.advice.map(rich)));
  blocks.push('### Notes', list(section.notes.map(rich)));
  return blocks;
}

// ---------------------------------------------------------------------------
// Markdown pieces

/**
 * Escapes text for Markdown: the characters that start emphasis, links,
 * code, HTML and table cells lose their meaning, and a value cannot break
 * out of its line, nor act on a terminal that shows the file. So does `$`:
 * VS Code draws `$(name)` as an icon in a tooltip that shows icons (`\$(`
 * is its escape, and any Markdown's for `$`), and a Markdown preview that
 * renders math reads `$…$` as a formula.
 */
export function escapeMarkdown(value: string): string {
  return (
    printable(value.replace(/\r?\n|\r/g, ' '))
      .replace(/[\\`*[\]<>|~&#!$]/g, (character) => `\\${character}`)
      // An underscore between letters or digits (pg_dump) can neither open nor close emphasis.
      .replace(/_/g, (underscore, offset: number, whole: string) =>
        /[A-Za-z0-9]/.test(whole.charAt(offset - 1)) && /[A-Za-z0-9]/.test(whole.charAt(offset + 1)) ? underscore : '\\_',
      )
  );
}

const text = escapeMarkdown;

/**
 * A code span that holds any text: the fence is longer than any run of
 * backticks inside; a line break shows as `\n`, as on the terminal (a
 * space would pass for one); a value that starts and ends with a space
 * keeps both (CommonMark takes one off each side). In a table cell
 * (`inTable`) a '|' is escaped, since the cell ends at one even inside a
 * code span; anywhere else the backslash would show.
 */
export function markdownCode(value: string, inTable = false): string {
  const flat = printable(value);
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longestRun + 1);
  const padded = flat.startsWith('`') || flat.endsWith('`') || flat === '' || (flat.startsWith(' ') && flat.endsWith(' ') && flat.trim() !== '') ? ` ${flat} ` : flat;
  return `${ticks}${inTable ? padded.replace(/\|/g, '\\|') : padded}${ticks}`;
}

const code = (value: string) => markdownCode(value);
/** A code span in a table cell. */
const cellCode = (value: string) => markdownCode(value, true);

/** A fenced code block longer than any backtick run in its content, so the content cannot close it. */
export function markdownFence(text: string, info: string): string {
  const content = printableLines(text);
  const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fenceMarks = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fenceMarks}${info}\n${content}\n${fenceMarks}`;
}

const fence = markdownFence;

function rich(value: RichText): string {
  return value.map((part) => (typeof part === 'string' ? text(part) : code(part.code))).join('');
}

function list(items: string[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}

function table(headers: string[], rows: string[][], align: ('left' | 'right')[] = []): string {
  const headerCells = headers.map((header) => header || ' ');
  const separator = headers.map((_, index) => (align[index] === 'right' ? '---:' : '---'));
  const lines = [headerCells, separator, ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}
