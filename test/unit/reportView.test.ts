/**
 * The report panel's page, drawn from the report model: every value from the
 * database or the file system stays text, nothing can run but the nonce'd
 * script, and the restore commands come with copy buttons.
 */
import * as assert from 'node:assert/strict';
import { renderReportBody, renderReportDocument, renderReportError } from '../../src/extension/reportView';
import { HOSTILE_FOLDER, HOSTILE_TABLE, handBuiltReport } from '../support/reportModel';

describe('the report panel page', () => {
  const body = renderReportBody(handBuiltReport(), { trusted: true });

  it('keeps hostile table names, folders and check details as text', () => {
    assert.ok(!body.includes('<script'), 'no script element from the data');
    assert.ok(!body.includes('<img'), 'no img element from the data');
    assert.ok(!body.includes('<svg'), 'no svg element from the data');
    assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), HOSTILE_TABLE);
    assert.ok(body.includes('My &quot;Backups&quot; &lt;b&gt;'), HOSTILE_FOLDER);
  });

  it('puts a copy button beside every restore command, carrying the command as its text', () => {
    const report = handBuiltReport();
    const commands = report.restore.options.flatMap((option) => [option.pulseBackup, ...option.psql]).map((command) => command.command);
    for (const command of commands) {
      const attribute = command.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
      assert.ok(body.includes(`data-copy="${attribute}"`), command);
    }
  });

  it('shows the sections of the model, the long ones folded, with row counts of the tables and each cell named for a narrow page', () => {
    for (const id of ['overview', 'database', 'warnings', 'restore', 'schema', 'verification', 'history', 'security']) {
      assert.ok(body.includes(`<section id="${id}">`), id);
    }
    const folded = [...body.matchAll(/<section id="([a-z]+)"><details( open="open")?>/g)].map((match) => [match[1], match[2] !== undefined]);
    assert.deepEqual(folded, [
      ['overview', true],
      ['database', false],
      ['warnings', false],
      ['restore', false],
      ['schema', false],
      ['verification', true],
      ['history', false],
      ['security', false],
    ]);
    assert.match(body, /<td class="num" data-label="Rows">2<\/td>/);
  });

  it("shows the set's one state as the tree does, its words in the theme's text colour", () => {
    assert.match(body, /<span class="badge state state-incomplete">incomplete<\/span>/);
  });

  it('offers Verify Now, Restore… and Export Markdown, but no tool-running button in Restricted Mode', () => {
    assert.match(body, />Verify Now</);
    assert.match(body, /data-action="verify"/);
    assert.match(body, /data-action="restore"/);
    assert.match(body, /data-action="exportMarkdown"/);
    const restricted = renderReportBody(handBuiltReport(), { trusted: false });
    assert.doesNotMatch(restricted, /data-action="verify"|data-action="restore"/);
    assert.match(restricted, /data-action="exportMarkdown"/);
  });

  it('offers Prove Now right after Verify Now for a whole set; none for an incomplete set or in Restricted Mode', () => {
    const whole = handBuiltReport();
    whole.set.status = 'complete';
    const actions = /<div class="actions"[^>]*>(.*?)<\/div>/s.exec(renderReportBody(whole, { trusted: true }))?.[1] ?? '';
    assert.deepEqual(
      [...actions.matchAll(/data-action="(\w+)"/g)].map((match) => match[1]),
      ['verify', 'prove', 'restore', 'exportMarkdown'],
    );
    assert.match(actions, />Prove Now</);
    assert.doesNotMatch(body, /data-action="prove"/, 'an incomplete set cannot be proved');
    assert.doesNotMatch(renderReportBody(whole, { trusted: false }), /data-action="prove"/);
  });

  it('allows only the nonce script and the stylesheet from the webview, starting from default-src none', () => {
    const page = renderReportDocument({
      title: 'Backup <x>',
      body,
      nonce: 'abc123',
      cspSource: 'https://webview.example',
      styleUri: 'https://webview.example/media/report.css',
      scriptUri: 'https://webview.example/media/report.js',
      state: { folderUri: 'file:///work/a"b', setId: 'factory_pulse_20250901_173948' },
    });
    // Attribute values are escaped; the browser reads &#39; as a quote.
    const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(page)?.[1].replace(/&#39;/g, "'");
    assert.equal(csp, "default-src 'none'; style-src https://webview.example; script-src 'nonce-abc123'; img-src https://webview.example; font-src https://webview.example");
    assert.match(page, /<script nonce="abc123" src="https:\/\/webview\.example\/media\/report\.js"><\/script>/);
    assert.equal((page.match(/<script/g) ?? []).length, 1);
    assert.doesNotMatch(page, /style="/);
    assert.match(page, /data-folder-uri="file:\/\/\/work\/a&quot;b"/);
    assert.match(page, /<title>Backup &lt;x&gt;<\/title>/);
  });

  it('shows a report that cannot be built as its one-line message', () => {
    const page = renderReportError('factory_pulse_20250901_173948', 'no backup set <x> in /tmp');
    assert.match(page, /no backup set &lt;x&gt; in \/tmp/);
    assert.match(page, /data-action="refresh"/);
  });
});
