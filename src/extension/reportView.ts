/**
 * The report webview's HTML, drawn from the engine's BackupReport model (not
 * from its Markdown): overview, warnings, restore commands with copy
 * buttons, tables with row counts, verification, history, security. Pure:
 * no VS Code, so it is tested in Node. Every value goes through escapeHtml;
 * there is no inline style or script (the CSP forbids both), colours come
 * from the theme in media/report.css, behaviour from media/report.js.
 */
import { formatBytes, formatDuration } from '../core/format';
import type { BackupReport, ReportCommand, ReportVerificationRun, RichText } from '../core/report';
import { Markup, element, escapeHtml, renderContent, type Content } from '../core/markup';
import {
  REPORT_SECTIONS,
  capitalise,
  capitaliseRich,
  formatOptionalBytes,
  formatOptionalDuration,
  formatReportDate,
  formatRows,
  readableBy,
  schemaGroupTotals,
  schemaTotals,
  yesNo,
} from '../core/reportText';

const e = escapeHtml;
const html = renderContent;
const el = element;

type Tone = 'pass' | 'warn' | 'fail' | 'info';

function badge(tone: Tone, label: string): Markup {
  return el('span', { class: `badge ${tone}` }, label);
}

function code(value: string): Markup {
  return el('code', {}, value);
}

function rich(value: RichText): Content {
  return value.map((part) => (typeof part === 'string' ? part : code(part.code)));
}

function facts(rows: [string, Content][]): Markup {
  return el('dl', { class: 'facts' }, rows.map(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

/** `numeric`: the columns holding figures, right-aligned. */
function table(headers: string[], rows: Content[][], numeric: number[] = [], highlight: boolean[] = []): Markup {
  const cell = (tag: 'td' | 'th', index: number, content: Content) => el(tag, numeric.includes(index) ? { class: 'num' } : {}, content);
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, headers.map((header, index) => cell('th', index, header)))),
      el('tbody', {}, rows.map((row, rowIndex) => el('tr', highlight[rowIndex] ? { class: 'current' } : {}, row.map((content, index) => cell('td', index, content))))),
    ),
  );
}

/** A command in a block with a Copy button; report.js sends its text to the extension, which copies it. */
function commandBlock(text: string, title?: string): Markup {
  return el(
    'div',
    { class: 'command' },
    title ? el('p', { class: 'command-title' }, title) : null,
    el(
      'div',
      { class: 'command-row' },
      el('pre', {}, el('code', {}, text)),
      el('button', { class: 'copy secondary', type: 'button', 'data-copy': text, title: 'Copy to the clipboard' }, 'Copy'),
    ),
  );
}

function command(entry: ReportCommand): Markup {
  return commandBlock(entry.command, `${capitalise(entry.title)}:`);
}

function section(key: keyof typeof REPORT_SECTIONS, ...children: Content[]): Markup {
  const info = REPORT_SECTIONS[key];
  return el('section', { id: info.id }, el('h2', {}, info.title), ...children);
}

function statusTone(status: BackupReport['set']['status']): Tone {
  return status === 'complete' ? 'pass' : status === 'legacy' ? 'info' : 'warn';
}

export interface ReportViewOptions {
  /** Restricted Mode: no Verify or Restore button, since both would run tools. */
  trusted: boolean;
}

/** The body of the report panel. */
export function renderReportBody(report: BackupReport, options: ReportViewOptions): string {
  const { set } = report;
  const actions = el(
    'div',
    { class: 'actions', role: 'toolbar', 'aria-label': 'Actions' },
    options.trusted ? el('button', { type: 'button', 'data-action': 'verify' }, 'Verify now') : null,
    options.trusted && set.status !== 'running' ? el('button', { type: 'button', 'data-action': 'restore' }, 'Restore…') : null,
    el('button', { type: 'button', class: 'secondary', 'data-action': 'exportMarkdown' }, 'Export Markdown'),
  );
  const header = el(
    'header',
    {},
    el('h1', {}, 'Backup set ', code(set.id)),
    el('p', {}, badge(statusTone(set.status), set.statusText), set.pinned ? [' ', badge('info', 'pinned')] : null, set.purpose === 'safety' ? [' ', badge('info', 'safety backup')] : null),
    el('p', { class: 'muted' }, `Generated ${formatReportDate(report.generatedAt)} by ${report.generatedBy}.`),
    actions,
  );
  const attention =
    report.attention.length === 0
      ? null
      : el('ul', { class: 'attention' }, report.attention.map((item) => el('li', { class: item.level }, el('strong', {}, item.level === 'warn' ? 'Warning: ' : 'Note: '), rich(item.text))));
  const nav = el('nav', { 'aria-label': 'Sections' }, el('ol', {}, Object.values(REPORT_SECTIONS).map((info) => el('li', {}, el('a', { href: `#${info.id}` }, info.title)))));
  return html(el('main', {}, header, attention, nav, overview(report), database(report), warnings(report), restore(report), schema(report), verification(report), history(report), security(report)));
}

function overview(report: BackupReport): Markup {
  const { set, overview: data } = report;
  return section(
    'overview',
    facts([
      ['Status', [badge(statusTone(set.status), set.statusText), set.problems.length > 0 ? ` ${set.problems.join('; ')}` : '']],
      ['Purpose', set.purposeText],
      ['Pinned', set.pinned ? 'yes (retention never removes it)' : 'no'],
      ['Created', formatReportDate(set.createdAt)],
      ['Folder', code(set.folder)],
      ['Total size', `${formatBytes(data.totalBytes)} (dump files ${formatBytes(data.dumpBytes)})`],
      ['Duration', formatOptionalDuration(data.durationMs)],
      ['Database at backup time', data.databaseAtBackup.summary],
    ]),
    el('h3', {}, 'Files'),
    table(
      ['File', 'Type', 'Size', 'What it is for'],
      data.files.map((file) => [code(file.name), file.label, file.present ? formatOptionalBytes(file.bytes) : badge('fail', 'missing'), file.description]),
      [2],
    ),
    data.retentionAtCreation.length > 0
      ? [el('h3', {}, 'Retention when this set was made'), el('ul', {}, data.retentionAtCreation.map((event) => el('li', {}, `${formatReportDate(event.at)}: ${event.summary}`)))]
      : null,
  );
}

function database(report: BackupReport): Markup {
  const data = report.database;
  const known = (value: string | null, asCode = true): Content => (value === null ? el('span', { class: 'muted' }, 'not recorded') : asCode ? code(value) : value);
  return section(
    'database',
    facts([
      ['PostgreSQL version', [known(data.serverVersion, false), data.serverVersionSource === 'dump header' ? ' (from the dump header)' : '']],
      ['Server', known(data.address)],
      ['User', known(data.user)],
      ['Database', known(data.name)],
      ['Size at backup time', formatOptionalBytes(data.sizeBytes)],
      ['pg_dump', [known(data.pgDumpVersion, false), data.pgDumpPath ? [' (', code(data.pgDumpPath), ')'] : '']],
      ['Made with', data.pulseBackupVersion ? `pulse-backup ${data.pulseBackupVersion}` : 'the old backup script'],
    ]),
    data.note ? el('p', { class: 'muted' }, data.note) : null,
  );
}

function warnings(report: BackupReport): Markup {
  const data = report.warnings;
  return section(
    'warnings',
    el('p', {}, rich(data.summary)),
    data.foreignKeyCycles.length > 0 ? [el('h3', {}, 'Circular foreign keys'), el('ul', {}, data.foreignKeyCycles.map((cycle) => el('li', {}, code(cycle.text))))] : null,
    data.foreignKeyCycles.length > 0 || !data.recorded ? data.meaning.map((paragraph) => el('p', {}, rich(paragraph))) : null,
    el('h3', {}, 'How this set handles them'),
    el('ul', {}, data.handling.map((item) => el('li', {}, rich(item)))),
    data.recorded
      ? [
          el('h3', {}, "pg_dump's own messages"),
          data.pgDumpStderr.length === 0 ? el('p', {}, 'pg_dump printed nothing on stderr while making this set.') : el('pre', {}, el('code', {}, data.pgDumpStderr.join('\n'))),
        ]
      : null,
  );
}

function restore(report: BackupReport): Markup {
  const data = report.restore;
  return section(
    'restore',
    el('p', {}, 'Set the target database first (the psql commands read ', code(`$${data.targetVariable}`), '):'),
    commandBlock(data.targetExample),
    data.options.map((option) =>
      el(
        'div',
        { class: 'restore-option' },
        el('h3', {}, option.title),
        el('p', {}, rich(option.description)),
        option.available ? null : el('p', {}, badge('fail', 'missing'), ' The file this needs is missing: ', code(option.file)),
        command(option.pulseBackup),
        option.psql.map(command),
      ),
    ),
    el('h3', {}, 'Notes'),
    el('ul', {}, data.notes.map((note) => el('li', {}, rich(note)))),
  );
}

function schema(report: BackupReport): Markup {
  const data = report.schema;
  if (!data.recorded) return section('schema', el('p', {}, data.note ?? 'Not recorded.'));
  return section(
    'schema',
    el('p', {}, `${schemaTotals(data)}. Row counts are exact, counted from the dump; sizes are on disk at the snapshot, indexes included.`),
    data.note ? el('p', { class: 'muted' }, data.note) : null,
    data.schemas.map((group) => [
      el('h3', {}, 'Schema ', code(group.name), ' ', el('span', { class: 'muted' }, `(${schemaGroupTotals(group)})`)),
      table(
        ['Table', 'Kind', 'Rows', 'Size'],
        group.tables.map((entry) => [code(entry.name), entry.kind, formatRows(entry.rows), formatBytes(entry.bytes)]),
        [2, 3],
      ),
    ]),
    data.materializedViews.length > 0
      ? [
          el('h3', {}, 'Materialized views'),
          table(['View', 'Populated'], data.materializedViews.map((view) => [code(`${view.schema}.${view.name}`), view.populated ? 'yes' : 'no (created WITH NO DATA)'])),
        ]
      : null,
  );
}

function verificationRun(title: string, run: ReportVerificationRun | null, notVerified: RichText): Content {
  if (!run) return [el('h3', {}, title), el('p', {}, badge('info', 'not verified'), ' ', rich(capitaliseRich(notVerified)))];
  const tone: Tone = run.outcome;
  return [
    el('h3', {}, title),
    el('p', {}, badge(tone, run.outcomeText), ` ${formatReportDate(run.checkedAt)}, in ${formatDuration(run.durationMs)}`, run.target ? [', against ', code(run.target)] : null, '.'),
    table(
      ['Check', 'Status', 'Detail'],
      run.checks.map((check) => [check.title, badge(check.status, check.statusText), check.detail]),
    ),
  ];
}

function verification(report: BackupReport): Markup {
  const data = report.verification;
  return section(
    'verification',
    verificationRun('After the backup', data.postBackup, data.notVerified),
    verificationRun('Before a restore', data.preRestore, data.notVerified),
    el('p', { class: 'muted' }, `${data.runs} verification run${data.runs === 1 ? '' : 's'} recorded in this set's history.`),
  );
}

function history(report: BackupReport): Markup {
  const data = report.history;
  return section(
    'history',
    table(
      ['Set', 'Created', 'Size', 'Status', 'Pinned'],
      data.sets.map((entry) => [
        [code(entry.id), entry.isThisSet ? [' ', el('strong', {}, '(this set)')] : null, entry.purpose === 'safety' ? ' (safety)' : null],
        formatReportDate(entry.createdAt),
        formatBytes(entry.totalBytes),
        entry.statusText,
        yesNo(entry.pinned),
      ]),
      [2],
      data.sets.map((entry) => entry.isThisSet),
    ),
    el('h3', {}, 'Retention'),
    el('ul', {}, data.retention.rules.map((rule) => el('li', {}, rich(rule)))),
    el('p', {}, data.retention.summary),
  );
}

function security(report: BackupReport): Markup {
  const data = report.security;
  const entries = [...(data.folderPermission ? [data.folderPermission] : []), ...data.permissions];
  const gitTone: Tone = data.git.state === 'not-ignored' ? 'fail' : data.git.state === 'unknown' || data.git.state === 'not-checked' ? 'warn' : 'pass';
  return section(
    'security',
    el('h3', {}, 'Git'),
    el('p', {}, badge(gitTone, data.git.state.replace(/-/g, ' ')), ' ', data.git.summary, data.git.trackedFiles.length > 0 ? [' Tracked: ', data.git.trackedFiles.map((file, index) => [index > 0 ? ', ' : '', code(file)])] : null),
    data.git.advice ? el('p', {}, rich(data.git.advice)) : null,
    el('h3', {}, 'File permissions'),
    el('p', {}, data.permissionSummary),
    entries.length > 0
      ? table(
          ['Path', 'Mode', 'Readable by'],
          entries.map((entry) => [
            [code(entry.name), entry.kind === 'folder' ? ' (folder)' : null],
            code(entry.mode ?? '—'),
            entry.readableByOthers ? badge(entry.kind === 'folder' ? 'warn' : 'fail', readableBy(entry)) : readableBy(entry),
          ]),
        )
      : null,
    data.permissionFix ? commandBlock(data.permissionFix, 'Only the owner should read them:') : null,
    el('h3', {}, 'Encryption'),
    el('p', {}, badge('warn', 'not encrypted'), ' ', data.encryption.summary),
    el('ul', {}, data.encryption.advice.map((item) => el('li', {}, rich(item)))),
    data.notes.length > 0 ? [el('h3', {}, 'Notes'), el('ul', {}, data.notes.map((item) => el('li', {}, rich(item))))] : null,
  );
}

/** A body for when the report cannot be built: the one-line error, no raw detail. */
export function renderReportError(setId: string, message: string): string {
  return html(
    el(
      'main',
      {},
      el('h1', {}, 'Backup set ', code(setId)),
      el('p', {}, badge('fail', 'cannot build the report'), ' ', message),
      el('div', { class: 'actions' }, el('button', { type: 'button', 'data-action': 'refresh' }, 'Try again'), el('button', { type: 'button', class: 'secondary', 'data-action': 'showLog' }, 'Show log')),
    ),
  );
}

export interface ReportDocumentParts {
  title: string;
  body: string;
  nonce: string;
  /** The webview's cspSource. */
  cspSource: string;
  styleUri: string;
  scriptUri: string;
  /** What the panel needs to come back after a reload, for report.js to keep in the webview's state. */
  state: { folderUri: string; setId: string };
}

/** The whole page: a CSP that starts at default-src 'none', the stylesheet and the nonce'd script from media/. */
export function renderReportDocument(parts: ReportDocumentParts): string {
  const csp = [`default-src 'none'`, `style-src ${parts.cspSource}`, `script-src 'nonce-${parts.nonce}'`, `img-src ${parts.cspSource}`, `font-src ${parts.cspSource}`].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${e(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(parts.title)}</title>`,
    `<link rel="stylesheet" href="${e(parts.styleUri)}">`,
    '</head>',
    `<body data-folder-uri="${e(parts.state.folderUri)}" data-set-id="${e(parts.state.setId)}">`,
    parts.body,
    `<script nonce="${e(parts.nonce)}" src="${e(parts.scriptUri)}"></script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
