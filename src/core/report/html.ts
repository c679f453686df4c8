/**
 * The report as one self-contained HTML file: inline CSS for light and dark,
 * no scripts, nothing loaded from anywhere. The sections come from
 * reportSections.ts; every value goes through escapeHtml, and the page's
 * Content-Security-Policy forbids scripts and remote loads, so a table
 * named <script> can only ever be text.
 */
import { formatReportDate } from '../format';
import { element, escapeHtml, htmlPage, renderContent } from '../markup';
import type { BackupReport } from './types';
import { attentionList, badge, code, plainCommandBlock, reportSections, sectionNav, statusTone } from './sections';

export { escapeHtml };

const h = element;

export function renderReportHtml(report: BackupReport): string {
  const title = `Backup set ${report.set.id}`;
  const body = [
    h(
      'header',
      {},
      h('h1', {}, 'Backup set ', code(report.set.id)),
      h('p', { class: 'muted' }, `Summary generated ${formatReportDate(report.generatedAt)} by ${report.generatedBy}.`),
      h('p', {}, badge(statusTone(report.set.status), report.set.statusText)),
    ),
    attentionList(report),
    sectionNav(),
    ...reportSections(report, { numbered: true, commandBlock: plainCommandBlock }),
  ];
  return htmlPage({
    // Defence in depth: even a value that escaped escaping could not run or load anything.
    csp: "default-src 'none'; style-src 'unsafe-inline'",
    title,
    head: ['<meta name="color-scheme" content="light dark">', `<style>${STYLE}</style>`],
    body: renderContent(h('main', {}, body)),
  });
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
