/**
 * A notification's text never turns into a link. VS Code makes
 * `[label](https:…|command:…|file:…)` in a non-modal notification clickable
 * (parseLinkedText, src/vs/base/common/linkedText.ts), and a table name, a
 * row's key or a server's error line can hold that text. Every notification
 * goes through notifications.ts, whose message passes through withoutLinks.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PulseError } from '../../src/core/errors';
import { RowSet, compareRowSets, rowKey } from '../../src/core/prove/rowDetail';
import { rowsDifference } from '../../src/core/prove/words';
import type { ProofRecord } from '../../src/core/prove/record';
import type { RestorePlan } from '../../src/core/restore/types';
import type { VerificationReport } from '../../src/core/verify/results';
import { restoredMessage, verifiedMessage } from '../../src/extension/dialogs';
import { forExtension, sentenceOf } from '../../src/extension/hints';
import { withoutLinks } from '../../src/extension/notificationText';
import { diffMessage, proofMessage } from '../../src/extension/proofText';

/** What VS Code's notification takes for a link: a bracketed label, then at once a parenthesised https:, http:, command: or file: target. */
const LINK = /\[[^\]]+\]\((?:https?:\/\/|command:|file:)[^)\s]+(?: (["']).+?\1)?\)/i;

function assertNoLink(text: string): void {
  assert.ok(!LINK.test(text), `reads as a link: ${text}`);
  assert.ok(!text.includes(']('), `holds "](": ${text}`);
}

const QUIT = '[Fix](command:workbench.action.quit)';

describe('notification text: nothing a database holds becomes a link', () => {
  it('splits a command:, an https: and a file: link, and a table name holding "](" ', () => {
    for (const text of [
      QUIT,
      'see [the docs](https://example.com/x "title")',
      '[open](file:///etc/passwd)',
      'relation "public.a](command:x)" does not exist',
      '[[nested](command:a)](https://b.example)',
      '[a]](command:b)',
    ]) {
      const shown = withoutLinks(text);
      assertNoLink(shown);
      assert.equal(shown.replaceAll('\u2060', ''), text, 'reads the same once the invisible joiner is taken out');
    }
  });

  it('leaves text without "](" as it is, and changes nothing more the second time', () => {
    for (const text of ['Backup shop_20250101_000000 written (1.2 MB, 16 tables).', 'array[1] (two)', 'f(x) [y]']) assert.equal(withoutLinks(text), text);
    assert.equal(withoutLinks(withoutLinks(QUIT)), withoutLinks(QUIT));
  });

  it("shows a proof's first difference quoting a row's key as plain text", () => {
    const row = (value: string) => Buffer.from(`${QUIT}\t${value}`);
    const before = new RowSet();
    const after = new RowSet();
    const old = row('old');
    const now = row('new');
    before.add(1, 0, rowKey(old, 0, old.length, [0], ['slug']));
    after.add(2, 0, rowKey(now, 0, now.length, [0], ['slug']));
    const detail = rowsDifference(1, 1, compareRowSets(before, after, true), 'proof');
    const record = {
      setId: 'app_20250902_100000',
      outcome: 'failed',
      summary: 'did not prove restorable',
      differences: [{ path: 'complete', kind: 'rows', object: 'public.pages', detail }],
    } as unknown as ProofRecord;
    const text = proofMessage(record, { afterBackup: true }).text;
    assert.ok(LINK.test(text), 'the record itself quotes the key as written');
    assertNoLink(withoutLinks(text));
  });

  it('shows a comparison, a verification, a restore and a failure naming such a table as plain text', () => {
    const table = `public."${QUIT}"`;
    const plan = { setId: 'shop_20250101_000000', mode: 'data', target: `app@db:5432/${QUIT}` } as RestorePlan;
    const report: VerificationReport = {
      setId: 'shop_20250101_000000',
      checkedAt: '2025-01-01T00:00:00Z',
      durationMs: 1,
      outcome: 'fail',
      groups: [{ name: 'post-backup', title: 'After the backup', checks: [{ id: 'rows', title: 'Row counts', status: 'fail', detail: `${table} holds 3 rows, not 4` }] }],
    };
    for (const text of [
      diffMessage({ same: false, summary: `1 table changed: ${table}` }),
      verifiedMessage(report),
      restoredMessage({ plan, rowCountsMatch: true, safetyBackup: 'shop_20250101_000001' }),
      sentenceOf(forExtension(new PulseError('restore-failed', `psql stopped: ERROR: relation ${table} does not exist`, { hint: 'see the log' }))),
    ]) {
      assert.ok(text.includes(QUIT), text);
      assertNoLink(withoutLinks(text));
    }
  });

  it('every notification and progress notification of the extension goes through notifications.ts', () => {
    const folder = resolve(__dirname, '..', '..', 'src', 'extension');
    const direct = readdirSync(folder)
      .filter((name) => name.endsWith('.ts') && name !== 'notifications.ts')
      .filter((name) => /\bshow(?:Information|Warning|Error)Message\b|ProgressLocation\.Notification/.test(readFileSync(join(folder, name), 'utf8')));
    assert.deepEqual(direct, []);
  });
});
