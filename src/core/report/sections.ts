/**
 * The report's sections as HTML, built once from the BackupReport model for
 * both places that show it: the standalone HTML file (`summary --format
 * html`, reportHtml.ts) and the extension's report webview, which adds copy
 * buttons to commands and its own page around them. Every value goes
 * through the escaping builder of markup.ts.
 */
import { formatBytes, formatCount, formatDiskBytes, formatDuration, formatOptionalBytes, formatOptionalDuration, formatReportDate, formatRows } from '../format';
import { Markup, element, type Content } from '../markup';
import type { BackupReport, ReportCommand, ReportProofSection, ReportVerificationRun, RichText } from './types';
import { REPORT_SECTIONS, REPORT_SECTION_KEYS, capitalise, capitaliseRich, readableBy, recordedInHistory, schemaGroupTotals, schemaSummary, sectionTitle, yesNo } from './text';
import type { ReportSectionKey } from './text';

const h = element;
type Html = Markup;

export type Tone = 'pass' | 'warn' | 'fail' | 'info';

/** What differs between the pages that show the sections. */
export interface SectionStyle {
  /** "1. Overview" (a document to print) or "Overview" (a panel). */
  numbered: boolean;
  /** A shell command to show, with an optional title line above it. */
  commandBlock(text: string, title?: string): Content;
  /**
   * A panel may fold long sections: true draws the section folded (its
   * heading stays, a click opens it), false open but foldable; without it,
   * a plain section (a document to print).
   */
  folded?(key: ReportSectionKey): boolean;
}

/** A command as preformatted text, its title above: for pages without scripts. */
export function plainCommandBlock(text: string, title?: string): Content {
  const block = h('pre', { class: 'command' }, h('code', {}, text));
  return title ? [h('p', { class: 'command-title' }, title), block] : block;
}

/** The eight sections, in the report's order. */
export function reportSections(report: BackupReport, style: SectionStyle): Markup[] {
  return REPORT_SECTION_KEYS.map((key) => section(style, key, SECTIONS[key](report, style)));
}

/** Each section's content under its heading. */
type SectionContent = (report: BackupReport, style: SectionStyle) => Content[];
const SECTIONS: Record<ReportSectionKey, SectionContent> = { overview, database, warnings, restore, schema, verification, history, security };

/** The few things to act on, or nothing. */
export function attentionList(report: BackupReport): Content {
  if (report.attention.length === 0) return null;
  return h(
    'ul',
    { class: 'attention' },
    report.attention.map((item) => h('li', { class: item.level }, h('strong', {}, item.level === 'warn' ? 'Warning: ' : 'Note: '), rich(item.text))),
  );
}

/** Links to the sections. */
export function sectionNav(): Markup {
  return h(
    'nav',
    { 'aria-label': 'Sections' },
    h(
      'ol',
      {},
      Object.values(REPORT_SECTIONS).map((info) => h('li', {}, h('a', { href: `#${info.id}` }, info.title))),
    ),
  );
}

export function statusTone(status: BackupReport['set']['status']): Tone {
  return status === 'complete' ? 'pass' : status === 'legacy' ? 'info' : 'warn';
}

export function badge(tone: Tone, label: string): Html {
  return h('span', { class: `badge ${tone}` }, label);
}

export function code(value: string): Html {
  return h('code', {}, value);
}

export function rich(value: RichText): Content {
  return value.map((part) => (typeof part === 'string' ? part : code(part.code)));
}

function section(style: SectionStyle, key: ReportSectionKey, content: Content[]): Html {
  const id = REPORT_SECTIONS[key].id;
  const heading = h('h2', {}, sectionTitle(key, style.numbered));
  if (!style.folded) return h('section', { id }, heading, ...content);
  return h('section', { id }, h('details', style.folded(key) ? {} : { open: 'open' }, h('summary', {}, heading), ...content));
}

function overview(report: BackupReport): Content[] {
  const { set, overview: data } = report;
  return [
    facts([
      ['Status', [badge(statusTone(set.status), set.statusText), set.problems.length > 0 ? ` ${set.problems.join('; ')}` : '']],
      ['Purpose', set.purposeText],
      ['Pinned', set.pinned ? 'yes (retention never removes it)' : 'no'],
      ['Created', formatReportDate(set.createdAt)],
      ['Folder', h('code', {}, set.folder)],
      ['Total size', `${formatBytes(data.totalBytes)} (dump files ${formatBytes(data.dumpBytes)})`],
      ['Duration', formatOptionalDuration(data.durationMs)],
      ['Dumped', data.dumpedText ?? 'not recorded (no manifest)'],
      ['Database at backup time', data.databaseAtBackup.summary],
    ]),
    h('h3', {}, 'Files'),
    table(
      ['File', 'Type', 'Size', 'What it is for'],
      data.files.map((file) => [h('code', {}, file.name), file.label, file.present ? formatOptionalBytes(file.bytes) : badge('fail', 'missing'), file.description]),
      [2],
    ),
    h('h3', {}, 'Retention when this set was made'),
    data.retentionAtCreation.length === 0
      ? h('p', {}, 'No retention run is recorded for this set.')
      : h(
          'ul',
          {},
          data.retentionAtCreation.map((event) =>
            h(
              'li',
              {},
              `${formatReportDate(event.at)}: ${event.summary}`,
              event.removed.length > 0 ? ['. Removed: ', joinCodes(event.removed)] : '',
              event.protected.length > 0 ? ['. Kept: ', joinWith(event.protected.map((entry) => [h('code', {}, entry.id), ` (${entry.reasonText})`]))] : '',
            ),
          ),
        ),
  ];
}

function database(report: BackupReport): Content[] {
  const data = report.database;
  const known = (value: string | null, asCode = true): Content => (value === null ? h('span', { class: 'muted' }, 'not recorded') : asCode ? h('code', {}, value) : value);
  return [
    facts([
      ['PostgreSQL version', [known(data.serverVersion, false), data.serverVersionSource === 'dump header' ? ' (from the dump header)' : '']],
      ['Server', known(data.address)],
      ['User', known(data.user)],
      ['Database', known(data.name)],
      ['Size at backup time', formatOptionalBytes(data.sizeBytes, data.sizeEstimated)],
      ['pg_dump', [known(data.pgDumpVersion, false), data.pgDumpPath ? [' (', h('code', {}, data.pgDumpPath), ')'] : '']],
      ['Made with', data.pulseBackupVersion ? `pulse-backup ${data.pulseBackupVersion}` : 'the old backup script'],
    ]),
    data.note ? h('p', { class: 'muted' }, data.note) : '',
  ];
}

function warnings(report: BackupReport): Content[] {
  const data = report.warnings;
  const showMeaning = data.foreignKeyCycles.length > 0 || !data.recorded;
  return [
    h('p', {}, rich(data.summary)),
    data.foreignKeyCycles.length > 0
      ? [
          h('h3', {}, 'Circular foreign keys'),
          h(
            'ul',
            { class: 'cycles' },
            data.foreignKeyCycles.map((cycle) => h('li', {}, h('code', {}, cycle.text))),
          ),
        ]
      : '',
    showMeaning ? data.meaning.map((paragraph) => h('p', {}, rich(paragraph))) : '',
    h('h3', {}, 'How this set handles them'),
    h(
      'ul',
      {},
      data.handling.map((item) => h('li', {}, rich(item))),
    ),
    data.recorded
      ? [
          h('h3', {}, "pg_dump's own messages"),
          data.pgDumpStderr.length === 0 ? h('p', {}, 'pg_dump printed nothing on stderr while making this set.') : h('pre', {}, h('code', {}, data.pgDumpStderr.join('\n'))),
        ]
      : '',
  ];
}

function restore(report: BackupReport, style: SectionStyle): Content[] {
  const data = report.restore;
  return [
    h('p', {}, 'Set the target database first (the psql commands read ', h('code', {}, `$${data.targetVariable}`), '):'),
    style.commandBlock(data.targetExample),
    data.options.map((option) =>
      h(
        'div',
        { class: 'restore-option' },
        h('h3', {}, option.title),
        h('p', {}, rich(option.description)),
        option.available ? '' : h('p', {}, badge('fail', 'missing'), ' The file this needs is missing: ', h('code', {}, option.file)),
        command(option.pulseBackup, style),
        option.psql.map((entry) => command(entry, style)),
      ),
    ),
    h('h3', {}, 'Notes'),
    h(
      'ul',
      {},
      data.notes.map((note) => h('li', {}, rich(note))),
    ),
  ];
}

function command(entry: ReportCommand, style: SectionStyle): Content {
  return style.commandBlock(entry.command, `${capitalise(entry.title)}:`);
}

function schema(report: BackupReport): Content[] {
  const data = report.schema;
  if (!data.recorded) return [h('p', {}, data.note ?? 'Not recorded.')];
  return [
    h('p', {}, schemaSummary(data)),
    data.note ? h('p', { class: 'muted' }, data.note) : '',
    data.profile
      ? [
          h('p', {}, 'Profile: ', h('strong', {}, data.profile.name), ` (${data.profile.reason}).`),
          data.profile.platformData.length > 0 ? h('p', {}, 'Platform tables whose rows the set holds: ', joinCodes(data.profile.platformData), '.') : '',
          data.profile.attachedObjects.length > 0 ? h('p', {}, 'Your objects on platform tables, kept with the set: ', joinCodes(data.profile.attachedObjects), '.') : '',
          data.profile.leftOut.length > 0
            ? [
                h('h3', {}, 'Left out'),
                table(
                  ['What', 'Why'],
                  data.profile.leftOut.map((entry) => [entry.what, entry.why]),
                ),
              ]
            : '',
        ]
      : '',
    data.schemas.map((group) => [
      h('h3', {}, 'Schema ', h('code', {}, group.name), ' ', h('span', { class: 'muted' }, `(${schemaGroupTotals(group, data.sizesEstimated)})`)),
      table(
        ['Table', 'Kind', 'Rows', 'Size'],
        group.tables.map((entry) => [h('code', {}, entry.name), entry.kind, formatRows(entry.rows), formatDiskBytes(entry.bytes, data.sizesEstimated)]),
        [2, 3],
      ),
    ]),
    data.materializedViews.length > 0
      ? [
          h('h3', {}, 'Materialized views'),
          table(
            ['View', 'Populated'],
            data.materializedViews.map((view) => [h('code', {}, `${view.schema}.${view.name}`), view.populated ? 'yes' : 'no (created WITH NO DATA)']),
          ),
        ]
      : '',
  ];
}

function verification(report: BackupReport): Content[] {
  const data = report.verification;
  return [
    verificationRun('After the backup', data.postBackup, data.notVerified),
    verificationRun('Before a restore', data.preRestore, data.notVerified),
    h('p', { class: 'muted' }, recordedInHistory(data.runs, 'verification run')),
    proofContent(data.proof),
  ];
}

/** The latest proof: restored into scratch databases both ways and read back. */
export function proofContent(data: ReportProofSection): Content {
  const proof = data.latest;
  if (!proof) return [h('h3', {}, 'Proved restorable'), h('p', {}, badge('info', 'not proved'), ' ', rich(capitaliseRich(data.notProved)))];
  return [
    h('h3', {}, 'Proved restorable'),
    h(
      'p',
      {},
      badge(proof.outcome === 'proved' ? 'pass' : 'fail', proof.outcomeText),
      ` ${formatReportDate(proof.provedAt)}, in ${formatDuration(proof.durationMs)}, on `,
      h('code', {}, proof.server),
      `: ${proof.summary}.`,
    ),
    table(
      ['Way', 'Restored', 'Tables', 'Rows', 'Schema', 'Time'],
      proof.ways.map((way) => [
        way.title,
        way.restored ? badge(way.equal ? 'pass' : 'fail', way.equal ? 'equal' : 'differs') : badge('fail', 'did not restore'),
        formatCount(way.tables),
        formatCount(way.rows),
        way.schemaEqual ? 'equal' : 'differs',
        formatDuration(way.durationMs),
      ]),
      [2, 3],
    ),
    proof.differences.length > 0
      ? h(
          'ul',
          {},
          proof.differences.map((difference) => h('li', {}, difference)),
        )
      : '',
    proof.notes.map((note) => h('p', { class: 'muted' }, note)),
    h('p', { class: 'muted' }, recordedInHistory(data.runs, 'proof')),
  ];
}

/** A check list with its outcome. */
function verificationRunContent(run: ReportVerificationRun): Content {
  return [
    h(
      'p',
      {},
      badge(run.outcome, run.outcomeText),
      ` ${formatReportDate(run.checkedAt)}, in ${formatDuration(run.durationMs)}`,
      run.target ? [', against ', h('code', {}, run.target)] : '',
      '.',
    ),
    table(
      ['Check', 'Status', 'Detail'],
      run.checks.map((check) => [check.title, badge(check.status, check.statusText), check.detail]),
    ),
  ];
}

function verificationRun(title: string, run: ReportVerificationRun | null, notVerified: RichText): Content {
  return [h('h3', {}, title), run ? verificationRunContent(run) : h('p', {}, badge('info', 'not verified'), ' ', rich(capitaliseRich(notVerified)))];
}

function history(report: BackupReport): Content[] {
  const data = report.history;
  return [
    h('p', {}, 'Sets in the folder, newest first:'),
    table(
      ['Set', 'Created', 'Size', 'Status', 'Pinned'],
      data.sets.map((entry) => [
        [h('code', {}, entry.id), entry.isThisSet ? [' ', h('strong', {}, '(this set)')] : '', entry.purpose === 'safety' ? ' (safety)' : ''],
        formatReportDate(entry.createdAt),
        formatBytes(entry.totalBytes),
        entry.statusText,
        yesNo(entry.pinned),
      ]),
      [2],
      data.sets.map((entry) => entry.isThisSet),
    ),
    h('h3', {}, 'Retention'),
    h(
      'ul',
      {},
      data.retention.rules.map((rule) => h('li', {}, rich(rule))),
    ),
    h('p', {}, data.retention.summary),
    h('h3', {}, 'Pinned sets'),
    data.pinned.length === 0
      ? h('p', {}, 'No set is pinned.')
      : h(
          'ul',
          {},
          data.pinned.map((id) => h('li', {}, h('code', {}, id))),
        ),
  ];
}

function security(report: BackupReport, style: SectionStyle): Content[] {
  const data = report.security;
  const entries = [...(data.folderPermission ? [data.folderPermission] : []), ...data.permissions];
  return [
    h('p', {}, 'Backups folder: ', h('code', {}, data.folder)),
    h('h3', {}, 'Git'),
    h(
      'p',
      {},
      badge(gitTone(data.git.state), data.git.state.replace(/-/g, ' ')),
      ' ',
      data.git.summary,
      data.git.trackedFiles.length > 0 ? [' Tracked: ', joinCodes(data.git.trackedFiles), '.'] : '',
    ),
    data.git.advice ? h('p', {}, rich(data.git.advice)) : '',
    h('h3', {}, 'File permissions'),
    h('p', {}, data.permissionSummary),
    entries.length > 0
      ? table(
          ['Path', 'Mode', 'Readable by'],
          entries.map((entry) => [
            [h('code', {}, entry.name), entry.kind === 'folder' ? ' (folder)' : ''],
            h('code', {}, entry.mode ?? '—'),
            entry.readableByOthers ? badge(entry.kind === 'folder' ? 'warn' : 'fail', readableBy(entry)) : readableBy(entry),
          ]),
        )
      : '',
    data.permissionFix ? style.commandBlock(data.permissionFix, 'Only the owner should read them:') : '',
    h('h3', {}, 'Encryption'),
    h('p', {}, data.encryption.encrypted ? badge('pass', 'encrypted') : badge('warn', 'not encrypted'), ' ', data.encryption.summary),
    h(
      'ul',
      {},
      data.encryption.advice.map((item) => h('li', {}, rich(item))),
    ),
    h('h3', {}, 'Notes'),
    h(
      'ul',
      {},
      data.notes.map((item) => h('li', {}, rich(item))),
    ),
  ];
}

// ---------------------------------------------------------------------------
// Pieces

function gitTone(state: BackupReport['security']['git']['state']): Tone {
  return state === 'not-ignored' ? 'fail' : state === 'unknown' || state === 'not-checked' ? 'warn' : 'pass';
}

function facts(rows: [string, Content][]): Html {
  return h(
    'dl',
    { class: 'facts' },
    rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

/**
 * `numeric` lists the columns of figures, right-aligned; `highlight` marks
 * rows. Each cell carries its column's name (data-label), so a narrow page
 * can show a row as a stack of "Column: value" lines.
 */
function table(headers: string[], rows: Content[][], numeric: number[] = [], highlight: boolean[] = []): Html {
  const cell = (tag: 'td' | 'th', index: number, content: Content) =>
    h(tag, { ...(numeric.includes(index) ? { class: 'num' } : {}), ...(tag === 'td' ? { 'data-label': headers[index] } : {}) }, content);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((header, index) => cell('th', index, header)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row, rowIndex) =>
          h(
            'tr',
            highlight[rowIndex] ? { class: 'current' } : {},
            row.map((content, index) => cell('td', index, content)),
          ),
        ),
      ),
    ),
  );
}

function joinCodes(values: string[]): Content {
  return joinWith(values.map((value) => h('code', {}, value)));
}

function joinWith(parts: Content[]): Content {
  return parts.flatMap((part, index) => (index === 0 ? [part] : [', ', part]));
}
