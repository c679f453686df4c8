/**
 * The report webview's HTML, drawn from the engine's BackupReport model (not
 * from its Markdown): the engine's sections (reportSections.ts) with copy
 * buttons on the commands, under a header with the panel's actions. Pure:
 * no VS Code, so it is tested in Node. Every value goes through escapeHtml;
 * there is no inline style or script (the CSP forbids both), colours come
 * from the theme in media/report.css, behaviour from media/report.js.
 */
import { formatReportDate } from '../core/format';
import { Markup, element, escapeHtml, htmlPage, renderContent } from '../core/markup';
import type { BackupReport } from '../core/report/types';
import { attentionList, badge, code, reportSections, sectionNav } from '../core/report/sections';
import type { SetState } from '../core/sets/state';

const e = escapeHtml;
const html = renderContent;
const el = element;

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

export interface ReportViewOptions {
  /** Restricted Mode: no Verify, Prove or Restore button, since they would run tools. */
  trusted: boolean;
}

/** The body of the report panel: a header with the actions, then the engine's sections. */
export function renderReportBody(report: BackupReport, options: ReportViewOptions): string {
  const { set } = report;
  const actions = el(
    'div',
    { class: 'actions', role: 'toolbar', 'aria-label': 'Actions' },
    options.trusted ? el('button', { type: 'button', 'data-action': 'verify' }, 'Verify Now') : null,
    options.trusted && set.status !== 'running' && set.status !== 'incomplete' ? el('button', { type: 'button', class: 'secondary', 'data-action': 'prove' }, 'Prove Now') : null,
    options.trusted && set.status !== 'running' ? el('button', { type: 'button', 'data-action': 'restore' }, 'Restore…') : null,
    el('button', { type: 'button', class: 'secondary', 'data-action': 'exportMarkdown' }, 'Export Markdown'),
  );
  const header = el(
    'header',
    {},
    el('h1', {}, 'Backup set ', code(set.id)),
    el(
      'p',
      {},
      stateBadge(set.state, set.stateText),
      set.pinned ? [' ', badge('info', 'pinned')] : null,
      set.purpose === 'safety' && set.state !== 'safety' ? [' ', stateBadge('safety', 'safety backup')] : null,
    ),
    el('p', { class: 'muted' }, `Generated ${formatReportDate(report.generatedAt)} by ${report.generatedBy}.`),
    actions,
  );
  return html(el('main', {}, header, attentionList(report), sectionNav(), ...reportSections(report, { numbered: false, commandBlock, folded: (key) => !OPEN_SECTIONS.has(key) })));
}

/** Open at first: what the set is and whether it was checked; the long sections wait for a click. */
const OPEN_SECTIONS = new Set(['overview', 'verification']);

/** The set's state in the tree's words and colour (the colour on the dot and border; the text keeps the theme's foreground). */
function stateBadge(state: SetState, text: string): Markup {
  return el('span', { class: `badge state state-${state}` }, text);
}

/** A body for when the report cannot be built: the one-line error, no raw detail. */
export function renderReportError(setId: string, message: string): string {
  return html(
    el(
      'main',
      {},
      el('h1', {}, 'Backup set ', code(setId)),
      el('p', {}, badge('fail', 'cannot build the report'), ' ', message),
      el(
        'div',
        { class: 'actions' },
        el('button', { type: 'button', 'data-action': 'refresh' }, 'Try Again'),
        el('button', { type: 'button', class: 'secondary', 'data-action': 'showLog' }, 'Show Log'),
      ),
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
  return htmlPage({
    csp,
    title: parts.title,
    head: [`<link rel="stylesheet" href="${e(parts.styleUri)}">`],
    bodyAttributes: { 'data-folder-uri': parts.state.folderUri, 'data-set-id': parts.state.setId },
    body: `\n${parts.body}\n<script nonce="${e(parts.nonce)}" src="${e(parts.scriptUri)}"></script>\n`,
  });
}
