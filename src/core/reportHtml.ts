/**
 * The report as one self-contained HTML file: inline CSS for light and dark,
 * no scripts, nothing loaded from anywhere. Every value from the model goes
 * through escapeHtml, and the page's Content-Security-Policy forbids scripts
 * and remote loads, so a table named <script> can only ever be text.
 */
import { formatBytes, formatCount, formatDuration } from './format';
import type { BackupReport, ReportCommand, ReportVerificationRun, RichText } from './report';
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
} from './reportText';
import { Markup, element, escapeHtml, renderContent, type Content } from './markup';

export { escapeHtml };

const e = escapeHtml;
const h = element;
type Html = Markup;
const render = renderContent;

export function renderReportHtml(report: BackupReport): string {
  const title = `Backup set ${report.set.id}`;
  const sections = [overview, database, warnings, restore, schema, verification, history, security].map((section) => section(report));
  const nav = h(
    'nav',
    { 'aria-label': 'Sections' },
    h('ol', {}, Object.values(REPORT_SECTIONS).map((section) => h('li', {}, h('a', { href: `#${section.id}` }, section.title)))),
  );
  const body = [
    h(
      'header',
      {},
      h('h1', {}, 'Backup set ', h('code', {}, report.set.id)),
      h('p', { class: 'muted' }, `Summary generated ${formatReportDate(report.generatedAt)} by ${report.generatedBy}.`),
      h('p', {}, badge(report.set.status === 'complete' ? 'pass' : report.set.status === 'legacy' ? 'info' : 'warn', report.set.statusText)),
    ),
    attention(report),
    nav,
    ...sections,
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Defence in depth: even a value that escaped escaping could not run or load anything.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${e(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body>${render(h('main', {}, body))}</body>`,
    '</html>',
    '',
  ].join('\n');
}

function attention(report: BackupReport): Content {
  if (report.attention.length === 0) return '';
  return h(
    'ul',
    { class: 'attention' },
    report.attention.map((item) => h('li', { class: item.level }, h('strong', {}, item.level === 'warn' ? 'Warning: ' : 'Note: '), rich(item.text))),
  );
}

function section(key: keyof typeof REPORT_SECTIONS, ...children: Content[]): Html {
  const info = REPORT_SECTIONS[key];
  const order = Object.keys(REPORT_SECTIONS).indexOf(key) + 1;
  return h('section', { id: info.id }, h('h2', {}, `${order}. ${info.title}`), ...children);
}

function overview(report: BackupReport): Html {
  const { set, overview: data } = report;
  return section(
    'overview',
    facts([
      ['Status', [badge(set.status === 'complete' ? 'pass' : set.status === 'legacy' ? 'info' : 'warn', set.statusText), set.problems.length > 0 ? ` ${set.problems.join('; ')}` : '']],
      ['Purpose', set.purposeText],
      ['Pinned', set.pinned ? 'yes (retention never removes it)' : 'no'],
      ['Created', formatReportDate(set.createdAt)],
      ['Folder', h('code', {}, set.folder)],
      ['Total size', `${formatBytes(data.totalBytes)} (dump files ${formatBytes(data.dumpBytes)})`],
      ['Duration', formatOptionalDuration(data.durationMs)],
      ['Database at backup time', data.databaseAtBackup.summary],
    ]),
    h('h3', {}, 'Files'),
    table(
      ['File', 'Type', 'Size', 'What it is for'],
      data.files.map((file) => [
        h('code', {}, file.name),
        file.label,
        file.present ? formatOptionalBytes(file.bytes) : badge('fail', 'missing'),
        file.description,
      ]),
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
  );
}

function database(report: BackupReport): Html {
  const data = report.database;
  const known = (value: string | null, asCode = true): Content => (value === null ? h('span', { class: 'muted' }, 'not recorded') : asCode ? h('code', {}, value) : value);
  return section(
    'database',
    facts([
      ['PostgreSQL version', [known(data.serverVersion, false), data.serverVersionSource === 'dump header' ? ' (from the dump header)' : '']],
      ['Server', known(data.address)],
      ['User', known(data.user)],
      ['Database', known(data.name)],
      ['Size at backup time', formatOptionalBytes(data.sizeBytes)],
      ['pg_dump', [known(data.pgDumpVersion, false), data.pgDumpPath ? [' (', h('code', {}, data.pgDumpPath), ')'] : '']],
      ['Made with', data.pulseBackupVersion ? `pulse-backup ${data.pulseBackupVersion}` : 'the old backup script'],
    ]),
    data.note ? h('p', { class: 'muted' }, data.note) : '',
  );
}

function warnings(report: BackupReport): Html {
  const data = report.warnings;
  const showMeaning = data.foreignKeyCycles.length > 0 || !data.recorded;
  return section(
    'warnings',
    h('p', {}, rich(data.summary)),
    data.foreignKeyCycles.length > 0
      ? [h('h3', {}, 'Circular foreign keys'), h('ul', { class: 'cycles' }, data.foreignKeyCycles.map((cycle) => h('li', {}, h('code', {}, cycle.text))))]
      : '',
    showMeaning ? data.meaning.map((paragraph) => h('p', {}, rich(paragraph))) : '',
    h('h3', {}, 'How this set handles them'),
    h('ul', {}, data.handling.map((item) => h('li', {}, rich(item)))),
    data.recorded
      ? [
          h('h3', {}, "pg_dump's own messages"),
          data.pgDumpStderr.length === 0
            ? h('p', {}, 'pg_dump printed nothing on stderr while making this set.')
            : h('pre', {}, h('code', {}, data.pgDumpStderr.join('\n'))),
        ]
      : '',
  );
}

function restore(report: BackupReport): Html {
  const data = report.restore;
  return section(
    'restore',
    h('p', {}, 'Set the target database first (the psql commands read ', h('code', {}, `$${data.targetVariable}`), '):'),
    commandBlock(data.targetExample),
    data.options.map((option) =>
      h(
        'div',
        { class: 'restore-option' },
        h('h3', {}, option.title),
        h('p', {}, rich(option.description)),
        option.available ? '' : h('p', {}, badge('fail', 'missing'), ' The file this needs is missing: ', h('code', {}, option.file)),
        command(option.pulseBackup),
        option.psql.map(command),
      ),
    ),
    h('h3', {}, 'Notes'),
    h('ul', {}, data.notes.map((note) => h('li', {}, rich(note)))),
  );
}

function command(entry: ReportCommand): Content {
  return [h('p', { class: 'command-title' }, capitalise(entry.title), ':'), commandBlock(entry.command)];
}

function commandBlock(commandText: string): Html {
  return h('pre', { class: 'command' }, h('code', {}, commandText));
}

function schema(report: BackupReport): Html {
  const data = report.schema;
  if (!data.recorded) return section('schema', h('p', {}, data.note ?? 'Not recorded.'));
  return section(
    'schema',
    h('p', {}, `${schemaTotals(data)}. Row counts are exact, counted from the dump; sizes are on disk at the snapshot, indexes included.`),
    data.note ? h('p', { class: 'muted' }, data.note) : '',
    data.schemas.map((group) => [
      h('h3', {}, 'Schema ', h('code', {}, group.name), ' ', h('span', { class: 'muted' }, `(${schemaGroupTotals(group)})`)),
      table(
        ['Table', 'Kind', 'Rows', 'Size'],
        group.tables.map((entry) => [h('code', {}, entry.name), entry.kind, formatRows(entry.rows), formatBytes(entry.bytes)]),
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
  );
}

function verification(report: BackupReport): Html {
  const data = report.verification;
  return section(
    'verification',
    verificationRun('After the backup', data.postBackup, data.notVerified),
    verificationRun('Before a restore', data.preRestore, data.notVerified),
    h('p', { class: 'muted' }, `${formatCount(data.runs)} verification run${data.runs === 1 ? '' : 's'} recorded in this set's history.`),
  );
}

/** A check list with its outcome; the webview draws the same model its own way. */
export function verificationRunHtml(run: ReportVerificationRun): string {
  return render([
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
  ]);
}

function verificationRun(title: string, run: ReportVerificationRun | null, notVerified: RichText): Content {
  return [h('h3', {}, title), run ? new Markup(verificationRunHtml(run)) : h('p', {}, badge('info', 'not verified'), ' ', rich(capitaliseRich(notVerified)))];
}

function history(report: BackupReport): Html {
  const data = report.history;
  return section(
    'history',
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
    h('ul', {}, data.retention.rules.map((rule) => h('li', {}, rich(rule)))),
    h('p', {}, data.retention.summary),
    h('h3', {}, 'Pinned sets'),
    data.pinned.length === 0 ? h('p', {}, 'No set is pinned.') : h('ul', {}, data.pinned.map((id) => h('li', {}, h('code', {}, id)))),
  );
}

function security(report: BackupReport): Html {
  const data = report.security;
  const entries = [...(data.folderPermission ? [data.folderPermission] : []), ...data.permissions];
  return section(
    'security',
    h('p', {}, 'Backups folder: ', h('code', {}, data.folder)),
    h('h3', {}, 'Git'),
    h(
      'p',
      {},
      badge(data.git.state === 'not-ignored' ? 'fail' : data.git.state === 'unknown' || data.git.state === 'not-checked' ? 'warn' : 'pass', data.git.state.replace(/-/g, ' ')),
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
    data.permissionFix ? [h('p', {}, 'Only the owner should read them:'), commandBlock(data.permissionFix)] : '',
    h('h3', {}, 'Encryption'),
    h('p', {}, badge('warn', 'not encrypted'), ' ', data.encryption.summary),
    h('ul', {}, data.encryption.advice.map((item) => h('li', {}, rich(item)))),
    h('h3', {}, 'Notes'),
    h('ul', {}, data.notes.map((item) => h('li', {}, rich(item)))),
  );
}

// ---------------------------------------------------------------------------
// Pieces

function badge(kind: 'pass' | 'warn' | 'fail' | 'info', label: string): Html {
  return h('span', { class: `badge ${kind}` }, label);
}

function rich(value: RichText): Content {
  return value.map((part) => (typeof part === 'string' ? part : h('code', {}, part.code)));
}

function facts(rows: [string, Content][]): Html {
  return h('dl', { class: 'facts' }, rows.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

/** `numeric` lists the columns of figures, right-aligned; `highlight` marks rows. */
function table(headers: string[], rows: Content[][], numeric: number[] = [], highlight: boolean[] = []): Html {
  const cell = (tag: 'td' | 'th', index: number, content: Content) => h(tag, numeric.includes(index) ? { class: 'num' } : {}, content);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, headers.map((header, index) => cell('th', index, header)))),
      h('tbody', {}, rows.map((row, rowIndex) => h('tr', highlight[rowIndex] ? { class: 'current' } : {}, row.map((content, index) => cell('td', index, content))))),
    ),
  );
}

function joinCodes(values: string[]): Content {
  return joinWith(values.map((value) => h('code', {}, value)));
}

function joinWith(parts: Content[]): Content {
  return parts.flatMap((part, index) => (index === 0 ? [part] : [', ', part]));
}

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --subtle: #f6f8fa;
  --accent: #0969da; --pass: #1a7f37; --warn: #9a6700; --fail: #cf222e; --info: #0969da;
  --pass-bg: #dafbe1; --warn-bg: #fff8c5; --fail-bg: #ffebe9; --info-bg: #ddf4ff; --current: #fff8c5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --subtle: #151b23;
    --accent: #4493f8; --pass: #3fb950; --warn: #d29922; --fail: #f85149; --info: #4493f8;
    --pass-bg: #12261e; --warn-bg: #272115; --fail-bg: #25171c; --info-bg: #121d2f; --current: #272115;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 64px; }
h1 { font-size: 1.7em; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.3em; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
h3 { font-size: 1.05em; margin: 24px 0 8px; }
a { color: var(--accent); }
code { font: 0.9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--subtle); border: 1px solid var(--border); border-radius: 4px; padding: 0 4px; overflow-wrap: anywhere; }
pre { background: var(--subtle); border: 1px solid var(--border); border-radius: 6px; padding: 10px 12px; overflow-x: auto; margin: 4px 0 14px; }
pre code { background: none; border: 0; padding: 0; white-space: pre; overflow-wrap: normal; }
/* Soft-wrapped on screen; a copied command is still one line. */
pre.command code { white-space: pre-wrap; overflow-wrap: anywhere; }
td:first-child code { white-space: nowrap; overflow-wrap: normal; }
.muted { color: var(--muted); }
nav ol { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 10px 0 0 0; margin: 0; list-style: none; counter-reset: section; }
nav li { counter-increment: section; }
nav li::before { content: counter(section) ". "; color: var(--muted); }
.attention { list-style: none; padding: 0; margin: 16px 0; }
.attention li { border-left: 4px solid var(--info); background: var(--info-bg); padding: 8px 12px; margin: 6px 0; border-radius: 4px; }
.attention li.warn { border-color: var(--warn); background: var(--warn-bg); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: 6px 0 14px; }
table { border-collapse: collapse; width: 100%; font-size: 0.95em; }
th, td { text-align: left; vertical-align: top; padding: 5px 10px; border-bottom: 1px solid var(--border); }
th { background: var(--subtle); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.current td { background: var(--current); }
.badge { display: inline-block; font-size: 0.8em; font-weight: 600; line-height: 1.6; padding: 0 8px; border-radius: 999px; border: 1px solid currentColor; white-space: nowrap; }
.badge.pass { color: var(--pass); background: var(--pass-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.fail { color: var(--fail); background: var(--fail-bg); }
.badge.info { color: var(--info); background: var(--info-bg); }
.command-title { margin: 10px 0 2px; color: var(--muted); }
.restore-option { margin-bottom: 8px; }
@media print { nav { display: none; } pre { white-space: pre-wrap; } }
`;
