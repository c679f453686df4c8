import * as assert from 'node:assert/strict';
import type { BackupReport } from '../../src/core/report/types';
import { verificationRun } from '../../src/core/report/verification';
import { escapeHtml, renderReportHtml } from '../../src/core/report/html';
import { escapeMarkdown, markdownCode, markdownFence, renderReportMarkdown } from '../../src/core/report/markdown';
import { syntheticVerification } from '../support/syntheticSet';
import { HOSTILE_DETAIL, HOSTILE_SCHEMA, HOSTILE_TABLE, handBuiltReport } from '../support/reportModel';

/** Markdown outside code spans and fenced blocks: where a renderer would interpret HTML. */
function markdownProse(markdown: string): string {
  return markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '').replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, '');
}

/** Every element name the document opens. */
function tagNames(html: string): Set<string> {
  return new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => match[1].toLowerCase()));
}

describe('rendering a report', () => {
  let report: BackupReport;
  beforeEach(() => {
    report = handBuiltReport();
  });

  describe('as HTML', () => {
    it('escapes the five characters that can end text or an attribute', () => {
      assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
      assert.equal(escapeHtml(42), '42');
    });

    it('shows a table named <script> and a schema named "a&b" as text, never as markup', () => {
      const html = renderReportHtml(report);
      assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
      assert.ok(html.includes('&quot;a&amp;b&quot;'));
      assert.doesNotMatch(html, /<script/i);
      assert.doesNotMatch(html, /<img/i);
      assert.doesNotMatch(html, /<svg|<marquee|<iframe|<object/i);
      assert.doesNotMatch(html, /<[^>]*\son[a-z]+\s*=/i, 'no element carries an event handler');
    });

    it('opens only the elements the renderer itself writes', () => {
      const allowed = new Set([
        'html',
        'head',
        'meta',
        'title',
        'style',
        'body',
        'main',
        'header',
        'nav',
        'ol',
        'ul',
        'li',
        'a',
        'h1',
        'h2',
        'h3',
        'p',
        'section',
        'div',
        'table',
        'thead',
        'tbody',
        'tr',
        'th',
        'td',
        'code',
        'pre',
        'span',
        'strong',
        'dl',
        'dt',
        'dd',
      ]);
      const unexpected = [...tagNames(renderReportHtml(report))].filter((name) => !allowed.has(name));
      assert.deepEqual(unexpected, []);
    });

    it('loads nothing from anywhere: no src, only in-page links, no @import or url()', () => {
      const html = renderReportHtml(report);
      // Every '<' in the page opens one of the renderer's own tags (values are escaped), so tags are all there is to check.
      assert.doesNotMatch(html, /<[^>]*\ssrc\s*=/i);
      const links = [...html.matchAll(/<[^>]*\shref\s*=\s*"([^"]*)"/gi)];
      assert.equal(links.length, 8, 'the table of contents');
      for (const match of links) assert.match(match[1], /^#[a-z-]+$/, match[0]);
      assert.doesNotMatch(html, /@import|url\(/i);
      assert.doesNotMatch(html, /<link/i);
      // Attribute values are escaped; the browser reads &#39; as a quote.
      const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1].replace(/&#39;/g, "'");
      assert.equal(csp, "default-src 'none'; style-src 'unsafe-inline'");
    });

    it('is one document with its styles inline, for light and dark', () => {
      const html = renderReportHtml(report);
      assert.ok(html.startsWith('<!DOCTYPE html>'));
      assert.equal(html.match(/<style>/g)?.length, 1);
      assert.match(html, /@media \(prefers-color-scheme: dark\)/);
      assert.match(html, /color-scheme: light dark/);
    });

    it('puts every command in a pre/code block, escaped', () => {
      const html = renderReportHtml(report);
      assert.ok(
        html.includes(
          '<pre class="command"><code>pulse-backup restore factory_pulse_20250901_173948 --mode complete --dir &#39;/home/ana/My &quot;Backups&quot; &lt;b&gt;&#39;</code></pre>',
        ),
      );
      assert.ok(html.includes('-d &quot;$DATABASE&quot;'));
    });

    it('has the eight sections, with the check results of the last verification', () => {
      const html = renderReportHtml(report);
      for (const id of ['overview', 'database', 'warnings', 'restore', 'schema', 'verification', 'history', 'security']) {
        assert.match(html, new RegExp(`<section id="${id}">`));
      }
      assert.match(html, /<span class="badge fail">failed<\/span>/);
      assert.ok(html.includes(escapeHtml(HOSTILE_DETAIL)));
      assert.match(html, /not verified yet — run|Not verified yet — run/);
      assert.match(html, /1,234,567/);
      assert.ok(html.includes(`<dt>Dumped</dt><dd>${escapeHtml(report.overview.dumpedText ?? '')}</dd>`), 'how pg_dump ran, escaped');
    });
  });

  describe('as Markdown', () => {
    it('puts names from the database in code spans, where Markdown renderers show them literally', () => {
      const markdown = renderReportMarkdown(report);
      assert.ok(markdown.includes(`\`${HOSTILE_TABLE}\``));
      assert.ok(markdown.includes(`### Schema \`${HOSTILE_SCHEMA}\``));
    });

    it('leaves no raw HTML where a Markdown renderer would interpret it', () => {
      const prose = markdownProse(renderReportMarkdown(report));
      assert.doesNotMatch(prose, /(^|[^\\])</m);
      assert.ok(prose.includes('\\<img src=x onerror=alert(1)\\>'), 'a check detail is escaped text');
      assert.ok(prose.includes("| Dumped | 2 jobs: 1 big table's rows \\<b\\>dumped\\</b\\> in a session of its own, from the same snapshot |"), 'how pg_dump ran');
    });

    it('keeps a | in a table name inside its cell', () => {
      const markdown = renderReportMarkdown(report);
      const row = markdown.split('\n').find((line) => line.includes('pipe'));
      assert.equal(row, '| `pipe\\|table` | table | 1,234,567 | 64.0 KB |');
    });

    it('escapes a | only in a table cell, where it would end the cell; elsewhere a code span shows it as it is', () => {
      assert.equal(markdownCode('a|b'), '`a|b`');
      assert.equal(markdownCode('a|b', true), '`a\\|b`');
      assert.equal(markdownCode('two\nlines'), '`two\\nlines`', 'a line break shows as on the terminal, not as a space');
      assert.equal(markdownCode(' lead space '), '`  lead space  `', 'CommonMark takes a space off each side');
      assert.equal(markdownCode(' lead'), '` lead`');
    });

    it('widens a code span or fence around backticks in a value', () => {
      assert.equal(markdownCode('tick`table'), '``tick`table``');
      assert.equal(markdownCode('`x'), '`` `x ``');
      assert.equal(markdownFence('a\n```\nb', 'text'), '````text\na\n```\nb\n````');
      const markdown = renderReportMarkdown(report);
      assert.ok(markdown.includes('````text\npg_dump: warning: </code></pre><script>alert(6)</script>\n```\nhttps://evil.example/x.js\n````'));
    });

    it('escapes emphasis, links and HTML in text but keeps pg_dump readable', () => {
      assert.equal(escapeMarkdown('pg_dump *bold* [link](x) <b> a|b _under_'), 'pg_dump \\*bold\\* \\[link\\](x) \\<b\\> a\\|b \\_under\\_');
      assert.equal(escapeMarkdown('two\nlines'), 'two lines');
    });

    it("escapes $, which VS Code's tooltips read as an icon $(name) and math previews as a formula: a backslash, as Markdown escapes any punctuation", () => {
      assert.equal(escapeMarkdown('$(verified-filled) all good'), '\\$(verified-filled) all good');
      assert.equal(escapeMarkdown('price $5 and $6'), 'price \\$5 and \\$6');
      assert.equal(escapeMarkdown('a\\$(x)'), 'a\\\\\\$(x)', 'a backslash of its own stays one');
    });

    it('gives each restore command its own fenced shell block', () => {
      const markdown = renderReportMarkdown(report);
      assert.ok(markdown.includes(`\`\`\`sh\npulse-backup restore factory_pulse_20250901_173948 --mode complete --dir '/home/ana/My "Backups" <b>'\n\`\`\``));
      assert.ok(markdown.includes('```sh\npsql -X -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE" -f'));
      assert.match(markdown, /## 4\. Restore commands/);
    });

    it('has the eight numbered sections in order', () => {
      const headings = renderReportMarkdown(report)
        .split('\n')
        .filter((line) => line.startsWith('## '));
      assert.deepEqual(headings, [
        '## 1. Overview',
        '## 2. Database',
        '## 3. pg_dump warnings',
        '## 4. Restore commands',
        '## 5. Schema overview',
        '## 6. Verification',
        '## 7. History and retention',
        '## 8. Security',
      ]);
    });

    it('says a set was not verified, and how to verify it', () => {
      assert.match(renderReportMarkdown(report), /### Before a restore\n\nNot verified yet — run `pulse-backup verify factory_pulse_20250901_173948`/);
    });

    it('says row counts are not recorded for a set without a manifest', () => {
      report.schema = { ...report.schema, recorded: false, schemas: [], note: 'Not recorded: the old script kept no manifest.' };
      assert.match(renderReportMarkdown(report), /## 5\. Schema overview\n\nNot recorded: the old script kept no manifest\./);
    });
  });

  describe('the verification piece of the model', () => {
    const verification = syntheticVerification(
      'factory_pulse_20250901_173948',
      [
        { name: 'post-backup', title: 'After the backup', checks: [{ id: 'checksums', title: 'Checksums', status: 'pass', detail: 'ok' }] },
        {
          name: 'pre-restore',
          title: 'Before a restore',
          checks: [
            { id: 'target-reachable', title: 'Target reachable', status: 'pass', detail: 'ok' },
            { id: 'target-empty', title: 'Target empty', status: 'warn', detail: '3 tables exist' },
          ],
        },
      ],
      { checkedAt: '2025-09-01T15:41:00.000Z', durationMs: 1200, target: { host: '::1', port: 5432, database: 'restored', user: 'postgres' } },
    );

    it("takes one group's checks with words for their status and the group's own outcome", () => {
      const run = verificationRun(verification, 'pre-restore');
      assert.equal(run?.outcome, 'warn');
      assert.equal(run?.outcomeText, 'warning');
      assert.equal(run?.target, 'postgres@[::1]:5432/restored');
      assert.deepEqual(
        run?.checks.map((check) => [check.id, check.statusText]),
        [
          ['target-reachable', 'passed'],
          ['target-empty', 'warning'],
        ],
      );
      assert.equal(verificationRun(verification, 'post-backup')?.outcome, 'pass');
    });

    it('is null when the report did not run that group', () => {
      assert.equal(verificationRun({ ...verification, groups: [verification.groups[0]] }, 'pre-restore'), null);
      assert.equal(verificationRun(undefined, 'post-backup'), null);
    });
  });
});
