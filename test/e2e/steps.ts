/**
 * A person's path through Pulse Backup in a real VS Code, one step at a time,
 * each asserting on what the workbench shows: texts of views, quick picks,
 * notifications, the task terminal, the report webview, the modal dialog and
 * the status bar. SQL checks the database itself where a step changes it.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { diffFingerprints, fingerprintDatabase, type Fingerprint } from '../support/fingerprint';
import type { TestServer } from '../support/pgServer';
import { copySets, countRows, formatCount, treeLabelOf } from './fixtures';
import { UI_TIMEOUT_MS, WORK_TIMEOUT_MS, Workbench, exactly } from './workbench';

export interface Scenario {
  workbench: Workbench;
  server: TestServer;
  database: string;
  workspace: string;
  backupsFolder: string;
  /** As in the folder settings: no password. */
  connectionUrl: string;
  /** The old script's three files, written before VS Code started, copied into the backups folder in step 6. */
  oldScriptFiles: string[];
  oldScriptTimestamp: string;
  /** Row counts of a few tables when the run began. */
  rowCounts: Map<string, number>;
  /** Set by step 2. */
  backup?: { setId: string; timestamp: string; content: Fingerprint };
}

/** The little of a DOM element that scrolling it needs (the project compiles without the DOM library). */
interface ScrollableElement {
  scrollIntoView(options: { block: 'start' }): void;
}

export interface Step {
  title: string;
  /** Steps (1-based) whose results this one uses: it is skipped when one of them failed. */
  needs: number[];
  run(scenario: Scenario): Promise<void>;
}

/** Tables whose row counts the terminal and the report must show. */
export const COUNTED_TABLES = ['public.users', 'public.messages', 'public.stock_movements'] as const;
/** The table step 4 damages. */
const CHANGED_TABLE = 'public.stock_movements';

function backupSet(scenario: Scenario): { setId: string; timestamp: string; content: Fingerprint } {
  if (!scenario.backup) throw new Error('no backup set from step 2');
  return scenario.backup;
}

function target(scenario: Scenario): string {
  return `${scenario.server.host}:${scenario.server.port}`;
}

/** What the backups folder holds, temporary and lock files aside. */
function backupFiles(scenario: Scenario): string[] {
  return existsSync(scenario.backupsFolder) ? readdirSync(scenario.backupsFolder).filter((name) => !name.startsWith('.')) : [];
}

/** The themes a person may use: VS Code's default light, dark and high-contrast themes, and the class the workbench then carries. */
const THEMES = [
  { name: 'Default Light Modern', label: 'Light Modern', file: 'light', workbenchClass: 'vs' },
  { name: 'Default Dark Modern', label: 'Dark Modern', file: 'dark', workbenchClass: 'vs-dark' },
  { name: 'Default High Contrast', label: 'Dark High Contrast', file: 'high-contrast', workbenchClass: 'hc-black' },
] as const;

/** Two window widths: a laptop's, and a narrow window (or half a screen). */
const WIDTHS = [1280, 800] as const;

/** WCAG AA for normal text. */
const AA_TEXT = 4.5;

/** As a person switches: Preferences: Color Theme, the theme's name, a click on it. */
async function setTheme(scenario: Scenario, theme: (typeof THEMES)[number]): Promise<void> {
  await scenario.workbench.runCommand('Preferences: Color Theme');
  await scenario.workbench.filterQuickPick(theme.label);
  await scenario.workbench.page.locator(`.monaco-workbench.${theme.workbenchClass}`).waitFor({ timeout: UI_TIMEOUT_MS });
}

/**
 * Inside the report's page: every element that shows text of its own, with
 * its text colour, the background it is drawn on (the nearest ancestor's
 * that is not transparent) and the contrast ratio between the two (WCAG
 * 2.x). An expression evaluated in the webview, so it is plain JavaScript
 * (as source, it passes through no compiler).
 */
const MEASURE_CONTRAST = `((root) => {
  const parse = (value) => { const m = value.match(/rgba?\\(([^)]+)\\)/); if (!m) return null; const p = m[1].split(',').map((x) => parseFloat(x)); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const channel = (c) => { c = c / 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return parse(getComputedStyle(document.body).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 };
  };
  const results = [];
  for (const element of root.ownerDocument.querySelectorAll('h1, h2, h3, p, li, dt, dd, th, td, code, a, button, summary, .badge, .muted')) {
    const own = Array.from(element.childNodes).some((node) => node.nodeType === 3 && node.textContent.trim() !== '');
    const box = element.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0) continue;
    const fg = parse(getComputedStyle(element).color);
    if (!fg) continue;
    const bg = background(element);
    const blend = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
    const [hi, lo] = [luminance(blend), luminance(bg)].sort((x, y) => y - x);
    results.push({ what: element.tagName.toLowerCase() + (element.className ? '.' + String(element.className).split(' ').join('.') : ''), text: element.textContent.trim().slice(0, 40), ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100, color: getComputedStyle(element).color, background: 'rgb(' + [bg.r, bg.g, bg.b].join(', ') + ')' });
  }
  return results;
})(document.body)`;

/** Inside the report's page: every folded section opened. */
const OPEN_EVERY_SECTION = `(() => { for (const details of document.querySelectorAll('section > details')) details.open = true; })()`;

interface ContrastEntry {
  what: string;
  text: string;
  ratio: number;
  color: string;
  background: string;
}

interface Overflow {
  width: number;
  pageWidth: number;
  cut: string[];
}

/** Inside the report's page: what does not fit its width (a page wider than the panel, an element cut off on the right). */
const MEASURE_OVERFLOW = `((root) => {
  const doc = root.ownerDocument;
  const width = doc.documentElement.clientWidth;
  const cut = [];
  for (const element of doc.querySelectorAll('main *')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (element.closest('pre')) continue;
    if (box.right > width + 1) cut.push(element.tagName.toLowerCase() + ' ' + (element.textContent || '').trim().slice(0, 40) + ' ' + Math.round(box.right) + ' > ' + width);
  }
  return { width, pageWidth: doc.documentElement.scrollWidth, cut: cut.slice(0, 10) };
})(document.body)`;

/** Set rows of the Backups tree: their labels ("2025-09-01 17:39:48") in order. */
async function setLabels(workbench: Workbench): Promise<string[]> {
  return (await workbench.treeRows()).flatMap((row) => {
    const match = /^Backup set (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),/.exec(row.label);
    return match ? [match[1]] : [];
  });
}

/** Expands a set row (a click toggles it) and waits for its children. */
async function expandSet(workbench: Workbench, label: string): Promise<string[]> {
  const rowStart = `Backup set ${label},`;
  const row = workbench.treeRow(rowStart);
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  const deadline = Date.now() + UI_TIMEOUT_MS;
  for (;;) {
    const children = Workbench.childrenOf(await workbench.treeRows(), rowStart).map((child) => child.label);
    if (children.length > 0) return children;
    if (Date.now() > deadline) throw new Error(`the set ${label} shows no children when expanded`);
    await workbench.page.waitForTimeout(100);
  }
}

function assertThreeDumpFiles(children: string[], prefix: string, timestamp: string): void {
  const files = children.filter((child) => child.endsWith('.sql'));
  assert.deepEqual(
    files.map((file) => file.split(',')[0]),
    ['Complete dump', 'Schema-only dump', 'Data-only dump'],
    `three dump files under the set, got ${JSON.stringify(children)}`,
  );
  for (const kind of ['complete', 'schema', 'data']) {
    assert.ok(
      files.some((file) => file.endsWith(`, ${prefix}_${kind}_backup_${timestamp}.sql`)),
      `the ${kind} file ${prefix}_${kind}_backup_${timestamp}.sql is listed (got ${JSON.stringify(files)})`,
    );
  }
}

export const STEPS: readonly Step[] = [
  {
    title: 'the Pulse Backup view shows its welcome content; Configure Connection takes the password and tests the connection',
    needs: [],
    async run(scenario) {
      const { workbench } = scenario;
      await workbench.openActivityBarItem('Pulse Backup');
      const welcome = workbench.welcomeContent();
      await welcome.filter({ hasText: 'No backups in this folder yet.' }).waitFor({ timeout: UI_TIMEOUT_MS });
      for (const button of ['Back Up Database', 'Configure Connection']) {
        await welcome.locator('.monaco-button', { hasText: exactly(button) }).waitFor({ timeout: UI_TIMEOUT_MS });
      }
      await workbench.statusBarItem().filter({ hasText: 'no backup' }).waitFor({ timeout: UI_TIMEOUT_MS });
      await workbench.movePointerAway();
      await workbench.screenshot('01-welcome-view');

      // The welcome view's own button; the URL comes from the folder settings, the password is typed.
      await welcome.locator('.monaco-button', { hasText: exactly('Configure Connection') }).click();
      const urlBox = await workbench.inputBox('Pulse Backup: Database of factory-pulse');
      assert.equal(urlBox.value, scenario.connectionUrl, 'the URL box offers the URL from the settings');
      await workbench.answerInputBox(undefined);
      const described = scenario.connectionUrl.replace(/^postgresql:\/\//, '');
      const passwordBox = await workbench.inputBox(`Password for ${described}`);
      assert.ok(passwordBox.isPassword, 'the password box hides what is typed');
      await workbench.answerInputBox(scenario.server.password);
      const saved = await workbench.waitForNotification(`Saved the URL for ${described} and its password.`, WORK_TIMEOUT_MS);
      assert.match(saved, /Connected: PostgreSQL \d+\.\d+ at /, `the connection was tried, with the server version: ${saved}`);
      const settings = readFileSync(path.join(scenario.workspace, '.vscode', 'settings.json'), 'utf8');
      assert.ok(settings.includes(scenario.connectionUrl), 'the folder settings keep the URL');
      assert.ok(!settings.includes(scenario.server.password), 'the folder settings hold no password');
    },
  },
  {
    title:
      'typing "backup database" in the palette finds Back Up Database: terminal progress and the proof that follows, a notification, the set in the tree as proved with its size whole at the default width, "just now" and the proof in the status bar',
    needs: [1],
    async run(scenario) {
      const { workbench, server } = scenario;
      await workbench.clearNotifications();
      // The title is VS Code's verb ("Back Up"); what people type ("backup") still finds it.
      const offered = await workbench.typeInPalette('backup database');
      assert.equal(offered[0], 'Pulse Backup: Back Up Database', `the palette offers it first for "backup database": ${JSON.stringify(offered)}`);
      await workbench.pickQuickPickItem('Pulse Backup: Back Up Database');

      const message = await workbench.waitForNotification(/^Backup \S+ written \(/, WORK_TIMEOUT_MS);
      // pulseBackup.proveAfterBackup is auto: a set this small is proved in the same task.
      // Tables are counted as the proof counts them; the sample's partitioned parent is named apart.
      const written = /^Backup (\S+) written \(.+, (\d+) tables(?: and \d+ partitioned tables?)?\) and proved restorable\.$/.exec(message);
      assert.ok(written, `the notification names the set: ${message}`);
      const setId = written[1];
      const timestamp = setId.slice(-15);
      assert.equal(setId, `factory_pulse_${timestamp}`, 'the set is named after the folder (factory-pulse → factory_pulse)');
      assert.equal(await workbench.notification(message).getByRole('button', { name: 'Open Report', exact: true }).count(), 1, 'the notification offers Open Report');
      assert.equal(
        await workbench.page.locator('.notifications-toasts .notification-toast .monaco-progress-container.active').count(),
        0,
        'no progress notification: the terminal shows it',
      );

      await workbench.waitForTerminalText(/^Done\.$/m, WORK_TIMEOUT_MS);
      // The task terminal over the editor area: the whole run on screen, beside the tree.
      await workbench.setPanelMaximized(true);
      const terminal = await workbench.waitForTerminalText(/^ \* +Executing task: Pulse Backup: backup/m, UI_TIMEOUT_MS);
      assert.ok(terminal.includes(`Backing up ${server.user}@${target(scenario)}/${scenario.database} into`), `the terminal says what it backs up:\n${terminal}`);
      for (const table of COUNTED_TABLES) {
        const rows = formatCount(scenario.rowCounts.get(table) ?? Number.NaN);
        assert.match(terminal, new RegExp(`^\\s+${table.replace('.', '\\.')}\\s+${rows} rows\\s`, 'm'), `the terminal lists ${table} with ${rows} rows`);
      }
      assert.ok(terminal.includes(`Backup set ${setId} written to`), `the terminal sums up the set:\n${terminal}`);
      assert.match(terminal, /^Proving \S+ in scratch databases on /m, `the proof follows in the same terminal:\n${terminal}`);
      // The terminal wraps long lines: the summary's start says enough.
      const proved = /^Proved restorable: (\d+) tables, [\d,]+ rows and the schema equal, by the complete file and by schema/m.exec(terminal);
      assert.ok(proved, `the terminal says the set proved restorable:\n${terminal}`);
      assert.equal(proved[1], written[2], 'the notification counts the tables as the proof does');
      assert.match(terminal, /^Done\.$/m);
      await workbench.clearNotifications();
      await workbench.movePointerAway();
      await workbench.screenshot('02-backup-task-terminal');

      await workbench.setPanelMaximized(false);
      await workbench.hidePanel();
      const label = treeLabelOf(timestamp);
      // The tree relists the folder once the task has ended: wait for the set's final state.
      const row = workbench.treeRow(`Backup set ${label}, proved by a test restore, `);
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      const description = await workbench.descriptionFits(row);
      assert.match(description.text, /^[\d.]+ (KB|MB) · just now · proved just now$/);
      assert.ok(description.fits, `the description is not cut at the default side bar width: "${description.text}"`);
      assertThreeDumpFiles(await expandSet(workbench, label), 'factory_pulse', timestamp);
      await workbench.statusBarItem().filter({ hasText: 'just now' }).waitFor({ timeout: UI_TIMEOUT_MS });
      const setHover = await workbench.hoverText(row, 'Proof');
      assert.match(setHover, /Proof:\s*Proved restorable just now: \d+ tables/, `the set's tooltip says when it was proved:\n${setHover}`);
      await workbench.screenshot('03-set-tooltip-proof');
      await workbench.movePointerAway();
      // Found by what only the status bar's tooltip says: the tree's hover may still be fading.
      const statusHover = await workbench.hoverText(workbench.statusBarItem(), 'Last good backup');
      assert.match(statusHover, /Proof: Proved restorable just now/, `the status bar's tooltip says the last backup was proved:\n${statusHover}`);
      await workbench.screenshot('03-status-bar-proof');
      await workbench.movePointerAway();
      await workbench.screenshot('03-tree-and-status-bar');

      // Nothing changes the database until step 4: this is the content the set holds.
      scenario.backup = { setId, timestamp, content: await fingerprintDatabase(server.url(scenario.database)) };
    },
  },
  {
    title:
      'the report shows the tables with their row counts, the circular foreign keys, after Verify Now the passed checks, and the proof with Prove Now beside Verify Now; it speaks VS Code, not the CLI',
    needs: [2],
    async run(scenario) {
      const { workbench } = scenario;
      const { setId, timestamp } = backupSet(scenario);
      await workbench.clearNotifications();
      await workbench.inlineAction(workbench.treeRow(`Backup set ${treeLabelOf(timestamp)},`), 'Open Backup Report');
      // The report redraws whenever the set's files change (a verification adds to its history),
      // which replaces the webview's frame: every read goes through readWebview, which reads again then.
      const before = await workbench.readWebview(
        async (report) => {
          await report.locator('h1', { hasText: setId }).waitFor({ timeout: UI_TIMEOUT_MS });
          // Long sections are folded: a person opens them with a click on the heading.
          for (const section of ['schema', 'warnings']) {
            const details = report.locator(`#${section} > details`);
            if ((await details.getAttribute('open')) === null) await report.locator(`#${section} summary`).click();
          }
          const rows = new Map<string, string>();
          for (const table of COUNTED_TABLES) {
            const [schema, name] = table.split('.');
            await report.locator('#schema h3', { has: report.locator('code', { hasText: exactly(schema) }) }).waitFor({ timeout: UI_TIMEOUT_MS });
            const cells = report
              .locator('#schema tr')
              .filter({ has: report.locator('td:first-child code', { hasText: exactly(name) }) })
              .locator('td');
            rows.set(table, (await cells.nth(2).innerText()).trim());
          }
          await report.locator('#warnings h3', { hasText: 'Circular foreign keys' }).waitFor({ timeout: UI_TIMEOUT_MS });
          const cycles = (await report.locator('#warnings ul.cycles li').allInnerTexts()).map((text) => text.trim());
          return { rows, cycles, verification: await report.locator('#verification').innerText(), page: await report.locator('main').innerText() };
        },
        (read) => read.cycles.length > 0,
      );
      await workbench.page.locator('.part.editor .tab', { hasText: `Backup ${setId}` }).waitFor({ timeout: UI_TIMEOUT_MS });
      for (const table of COUNTED_TABLES) {
        const rows = formatCount(scenario.rowCounts.get(table) ?? Number.NaN);
        assert.equal(before.rows.get(table), rows, `the report's schema overview gives ${table} ${rows} rows`);
      }
      assert.ok(
        before.cycles.some((cycle) => /\bpublic\.users\b/.test(cycle) && /\bpublic\.messages\b/.test(cycle) && cycle.includes('↔')),
        `the report names the users ↔ messages cycle, got ${JSON.stringify(before.cycles)}`,
      );
      assert.match(before.verification, /not verified yet — use Verify Now above/i, 'before Verify, the report says the set is not verified, in VS Code words');
      assert.doesNotMatch(before.page, /pulse-backup verify|--keep\b/, 'no CLI advice beside the Verify Now button');

      await workbench.readWebview((report) => report.getByRole('button', { name: 'Verify Now' }).click({ timeout: UI_TIMEOUT_MS }));
      const verified = await workbench.waitForNotification(`${setId} verifies:`, WORK_TIMEOUT_MS);
      const checks = /all (\d+) checks passed\.$/.exec(verified);
      assert.ok(checks, `the notification says every check passed: ${verified}`);
      const statuses = await workbench.readWebview(
        async (report) => {
          await report
            .locator('#verification p', { has: report.locator('.badge.pass', { hasText: 'passed' }) })
            .first()
            .waitFor({ timeout: UI_TIMEOUT_MS });
          const checkRows = report.locator('#verification table').first().locator('tbody tr');
          return (await checkRows.locator('td:nth-child(2)').allInnerTexts()).map((text) => text.trim());
        },
        (read) => read.length === Number(checks[1]),
      );
      assert.equal(statuses.length, Number(checks[1]), `the report lists the ${checks[1]} checks`);
      assert.ok(
        statuses.every((status) => status === 'passed'),
        `every check passed in the report: ${JSON.stringify(statuses)}`,
      );
      // Proved beats verified: the header keeps the proof's state.
      await workbench.readWebview(async (report) => {
        await report.locator('header .badge.state-proved', { hasText: 'proved by a test restore' }).waitFor({ timeout: UI_TIMEOUT_MS });
      });
      // The Verification section shows the proof; Prove Now, beside Verify Now, runs one again.
      const proofText = await workbench.readWebview(async (report) => {
        await report.locator('#verification h3', { hasText: 'Proved restorable' }).waitFor({ timeout: UI_TIMEOUT_MS });
        await report.getByRole('button', { name: 'Prove Now' }).waitFor({ timeout: UI_TIMEOUT_MS });
        return report.locator('#verification').innerText();
      });
      assert.match(proofText, /proved restorable .*: proved restorable: \d+ tables, [\d,]+ rows and the schema equal/i, `the report shows the proof:\n${proofText}`);
      assert.match(proofText, /1 proof recorded in this set's history/);
      await workbench.clearNotifications();
      await workbench.readWebview((report) => report.getByRole('button', { name: 'Prove Now' }).click({ timeout: UI_TIMEOUT_MS }));
      await workbench.waitForNotification(`${setId} is proved restorable:`, WORK_TIMEOUT_MS);
      await workbench.readWebview(async (report) => {
        await report.locator('#verification p', { hasText: "2 proofs recorded in this set's history" }).waitFor({ timeout: UI_TIMEOUT_MS });
      });

      await workbench.clearNotifications();
      await workbench.hidePanel();
      await workbench.movePointerAway();
      await workbench.screenshot('04-report-webview');
      for (const [section, name] of [
        ['schema', '05-report-tables'],
        ['warnings', '06-report-circular-foreign-keys'],
        ['verification', '07-report-verification'],
      ] as const) {
        await workbench.readWebview((report) => report.locator(`#${section} h2`).evaluate((heading: ScrollableElement) => heading.scrollIntoView({ block: 'start' })));
        await workbench.screenshot(name);
      }
    },
  },
  {
    title:
      'Restore… from the context menu (beside Prove Restorable and Compare with Database), Data only: the modal leads with what changes and names the proof; confirmed, the changed rows are back and the toast offers Undo',
    needs: [2],
    async run(scenario) {
      const { workbench, server, database } = scenario;
      const { setId, timestamp, content } = backupSet(scenario);
      const before = scenario.rowCounts.get(CHANGED_TABLE) ?? Number.NaN;
      await server.query(database, `DELETE FROM ${CHANGED_TABLE} WHERE id % 2 = 0`);
      const damaged = (await countRows(server, database, [CHANGED_TABLE])).get(CHANGED_TABLE);
      assert.ok(damaged !== undefined && damaged < before, `rows were deleted from ${CHANGED_TABLE} (${before} → ${String(damaged)})`);
      assert.notDeepEqual(diffFingerprints(content, await fingerprintDatabase(server.url(database))), []);

      await workbench.runCommand('View: Close All Editors');
      await workbench.clearNotifications();
      const entries = await workbench.contextMenu(workbench.treeRow(`Backup set ${treeLabelOf(timestamp)},`), 'Restore…');
      for (const entry of ['Restore…', 'Verify', 'Prove Restorable', 'Compare with Database', 'Open Backup Report', 'Copy Restore Command', 'Open Backups Folder', 'Delete']) {
        assert.ok(entries.includes(entry), `the set's context menu offers ${entry} (got ${JSON.stringify(entries)})`);
      }
      assert.ok(!entries.includes('Reveal in File Explorer'), "VS Code's own name is not borrowed");
      assert.deepEqual(await workbench.quickPickLabels(`Restore ${setId}`), ['Complete', 'Schema only', 'Data only']);
      await workbench.pickQuickPickItem('Data only');

      const dialog = workbench.dialog();
      await dialog.waitFor({ state: 'visible', timeout: WORK_TIMEOUT_MS });
      const question = (await dialog.innerText()).trim();
      assert.ok(
        question.includes(`Restore ${setId} (data only) into database "${database}" on ${target(scenario)}?`),
        `the modal names the set, the mode and the target:\n${question}`,
      );
      const deleted = before - (damaged ?? 0);
      assert.ok(question.includes(`1 table will get back ${formatCount(deleted)} rows removed since the backup.`), `it leads with what changes:\n${question}`);
      assert.match(question, /A safety backup of the target is taken first/);
      assert.match(question, /Proved restorable (just now|\d+ min ago): a test restore read back \d+ tables and [\d,]+ rows equal\./, `the dialog names the proof:\n${question}`);
      assert.ok(await dialog.getByRole('button', { name: 'Show Details', exact: true }).isVisible(), 'the object list waits behind Show Details');
      await workbench.movePointerAway();
      await workbench.screenshot('08-restore-confirmation');
      await dialog.getByRole('button', { name: 'Restore', exact: true }).click();

      const restored = await workbench.waitForNotification(`Restored ${setId} (data only) into`, WORK_TIMEOUT_MS);
      const safety = /Safety backup: (\S+)\.$/.exec(restored);
      assert.ok(safety, `the notification names the safety backup: ${restored}`);
      assert.equal(await workbench.notification(restored).getByRole('button', { name: 'Undo', exact: true }).count(), 1, 'the toast offers Undo');
      assert.equal((await countRows(server, database, [CHANGED_TABLE])).get(CHANGED_TABLE), before, `${CHANGED_TABLE} has its ${before} rows again`);
      assert.deepEqual(diffFingerprints(content, await fingerprintDatabase(server.url(database))), [], 'the database holds what the set holds');
      // Listed as "being written" while the restore ran; relisted once the task has ended.
      await workbench.treeRow(`Backup set ${treeLabelOf(safety[1].slice(-15))}, safety backup, `).waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    title: 'twelve sets it never kept, and a backup: the modal lists what retention would remove, and Keep Them removes nothing',
    needs: [2],
    async run(scenario) {
      const { workbench } = scenario;
      const { setId } = backupSet(scenario);
      await workbench.clearNotifications();
      await workbench.hidePanel();
      const copies = copySets(scenario.backupsFolder, setId, 12, 6);
      const before = backupFiles(scenario);
      await workbench.runCommand('Pulse Backup: Back Up Database');
      const dialog = workbench.dialog();
      await dialog.waitFor({ state: 'visible', timeout: WORK_TIMEOUT_MS });
      const question = (await dialog.innerText()).trim();
      assert.match(question, /Remove \d+ backup sets \([\d.]+ (KB|MB)\) from factory-pulse\?/);
      assert.match(question, /The backup is written\. Retention after it will remove these sets, which the policy does not keep:/);
      for (const id of copies.slice(-3)) assert.ok(question.includes(id), `the list names ${id}`);
      assert.ok(
        before.every((name) => backupFiles(scenario).includes(name)),
        'nothing removed while the question is open',
      );
      await workbench.movePointerAway();
      await workbench.screenshot('15-retention-question');
      await dialog.getByRole('button', { name: 'Keep Them', exact: true }).click();
      const toast = await workbench.waitForNotification(/^Backup \S+ written/, WORK_TIMEOUT_MS);
      assert.match(toast, /Retention kept \d+ sets it would remove, as you chose\.$/);
      assert.ok(
        before.every((name) => backupFiles(scenario).includes(name)),
        'Keep Them removed nothing',
      );
      // More than eight sets: groups, as the Timeline has them.
      await workbench.treeRow('Today,').waitFor({ timeout: UI_TIMEOUT_MS });
      await workbench.movePointerAway();
      await workbench.screenshot('16-tree-groups');
      // The copies go again, so the steps after this one see the short list.
      for (const id of copies) {
        for (const name of backupFiles(scenario).filter((file) => file.includes(id.slice(-15)))) rmSync(path.join(scenario.backupsFolder, name));
      }
      await workbench.treeRow('Today,').waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    },
  },
  {
    title: 'with the database server stopped, Back Up Database shows a one-line sentence with VS Code advice, no "failed to launch", and adds no set',
    needs: [],
    async run(scenario) {
      const { workbench, server } = scenario;
      await workbench.clearNotifications();
      await workbench.hidePanel();
      const setsBefore = await setLabels(workbench);
      const filesBefore = backupFiles(scenario);
      await server.stop();

      await workbench.runCommand('Pulse Backup: Back Up Database');
      const toast = workbench.errorNotifications().filter({ hasText: 'PostgreSQL' }).last();
      await toast.waitFor({ state: 'visible', timeout: WORK_TIMEOUT_MS });
      const message = (await toast.locator('.notification-list-item-message').innerText()).trim();
      assert.ok(!message.includes('\n'), `one line: ${JSON.stringify(message)}`);
      assert.match(
        message,
        new RegExp(
          `^Cannot connect to PostgreSQL at ${target(scenario).replace(/\./g, '\\.')}: connection refused: start the PostgreSQL server, or run Pulse Backup: Configure Connection if it runs elsewhere$`,
        ),
      );
      for (const button of ['Configure Connection', 'Show Log']) {
        assert.equal(await toast.getByRole('button', { name: button, exact: true }).count(), 1, `the error offers ${button}`);
      }
      // The task's terminal ends with the engine's line only, not VS Code's "failed to launch".
      const terminal = await workbench.waitForTerminalText(/Cannot connect to PostgreSQL/, UI_TIMEOUT_MS);
      assert.doesNotMatch(terminal, /failed to launch/, `the terminal:\n${terminal}`);

      // Nothing may appear: watch the tree for a moment after the task ended.
      const watchUntil = Date.now() + 2000;
      while (Date.now() < watchUntil) {
        assert.deepEqual(await setLabels(workbench), setsBefore, 'no new set in the tree');
        await workbench.page.waitForTimeout(250);
      }
      assert.deepEqual(backupFiles(scenario), filesBefore, 'no new file in the backups folder');
      await workbench.hidePanel();
      await workbench.movePointerAway();
      await workbench.screenshot('09-connection-refused');
    },
  },
  {
    title: 'sets made by the old script (no manifest) show in the tree as such',
    needs: [],
    async run(scenario) {
      const { workbench } = scenario;
      await workbench.clearNotifications();
      await workbench.hidePanel();
      mkdirSync(scenario.backupsFolder, { recursive: true });
      for (const file of scenario.oldScriptFiles) copyFileSync(file, path.join(scenario.backupsFolder, path.basename(file)));
      const label = treeLabelOf(scenario.oldScriptTimestamp);
      const row = workbench.treeRow(`Backup set ${label}, from the old script (no manifest), `);
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      assertThreeDumpFiles(await expandSet(workbench, label), 'factory_pulse', scenario.oldScriptTimestamp);
      const hover = await workbench.hoverText(row, 'Made by');
      assert.match(hover, /Status:\s*from the old script \(no manifest\)/);
      assert.match(hover, /Made by: the old backup script: no manifest, so no checksums or row counts/);
      await workbench.screenshot('10-old-script-set');
    },
  },
  {
    title: 'the Settings editor titles the settings "Connection URL" and "Retention: Keep Last"',
    needs: [],
    async run(scenario) {
      const { workbench } = scenario;
      await workbench.clearNotifications();
      await workbench.runCommand('Preferences: Open User Settings');
      const search = workbench.page.locator('.settings-editor .suggest-input-container textarea, .settings-editor .search-container input').first();
      await search.waitFor({ timeout: UI_TIMEOUT_MS });
      await search.fill('@ext:pulse-backup.pulse-backup');
      const titles = workbench.page.locator('.settings-editor .setting-item-title');
      await titles.filter({ hasText: 'Connection URL' }).first().waitFor({ timeout: UI_TIMEOUT_MS });
      // "Pulse Backup: Connection URL (Modified in Workspace)", "Pulse Backup › Retention: Keep Last": the extension's name, then the title.
      const shown = (await titles.allInnerTexts()).map((text) =>
        text
          .replace(/\s+/g, ' ')
          .replace(/ \(Modified in [^)]*\)$/, '')
          .trim(),
      );
      for (const title of ['Connection URL', 'Retention: Keep Last', 'Backups Folder']) {
        assert.ok(
          shown.some((text) => text === `Pulse Backup: ${title}` || text === `Pulse Backup › ${title}`),
          `the Settings editor shows "${title}" (got ${JSON.stringify(shown)})`,
        );
      }
      await workbench.movePointerAway();
      await workbench.screenshot('11-settings');
      await workbench.runCommand('View: Close All Editors');
    },
  },
  {
    title: 'in Light, Dark and High Contrast, at 1280 and 800 px: the report readable from 300 px up with nothing cut, its text and badges at WCAG AA contrast',
    needs: [2],
    async run(scenario) {
      const { workbench } = scenario;
      const { setId, timestamp } = backupSet(scenario);
      await workbench.clearNotifications();
      await workbench.hidePanel();
      const findings: string[] = [];
      try {
        for (const theme of THEMES) {
          await setTheme(scenario, theme);
          for (const width of WIDTHS) {
            await workbench.page.setViewportSize({ width, height: 800 });
            await workbench.runCommand('View: Close All Editors');
            await workbench.inlineAction(workbench.treeRow(`Backup set ${treeLabelOf(timestamp)},`), 'Open Backup Report');
            // Every section open, so everything is measured.
            const measured = await workbench.readWebview(
              async (report) => {
                await report.locator('h1', { hasText: setId }).waitFor({ timeout: UI_TIMEOUT_MS });
                await report.locator('body').evaluate<void, undefined>(OPEN_EVERY_SECTION);
                const contrast = await report.locator('body').evaluate<ContrastEntry[], undefined>(MEASURE_CONTRAST);
                const overflow = await report.locator('body').evaluate<Overflow, undefined>(MEASURE_OVERFLOW);
                return { contrast, overflow };
              },
              (read) => read.contrast.length > 20,
            );
            const weak = measured.contrast.filter((entry) => entry.ratio < AA_TEXT);
            const badges = measured.contrast.filter((entry) => entry.what.startsWith('span.badge'));
            assert.ok(badges.length >= 3, `the badges were measured (${theme.name}, ${width} px)`);
            const lowest = [...measured.contrast].sort((a, b) => a.ratio - b.ratio)[0];
            findings.push(
              `${theme.name} ${width} px: ${measured.contrast.length} texts, lowest ${lowest.ratio}:1 (${lowest.what} "${lowest.text}"), badges ≥ ${Math.min(...badges.map((badge) => badge.ratio))}:1; panel ${measured.overflow.width} px`,
            );
            assert.deepEqual(weak, [], `every text at AA (${AA_TEXT}:1) in ${theme.name} at ${width} px`);
            assert.deepEqual(measured.overflow.cut, [], `nothing cut in the report (${theme.name}, ${width} px, panel ${measured.overflow.width} px)`);
            assert.ok(
              measured.overflow.pageWidth <= measured.overflow.width + 1,
              `no sideways scrolling: page ${measured.overflow.pageWidth} px in a ${measured.overflow.width} px panel`,
            );
            await workbench.movePointerAway();
            await workbench.screenshot(`12-report-${theme.file}-${width}`);
            await workbench.readWebview((report) => report.locator('#schema h2').evaluate((heading: ScrollableElement) => heading.scrollIntoView({ block: 'start' })));
            await workbench.screenshot(`12-report-${theme.file}-${width}-tables`);
          }
          // The narrowest: the side bar wide, the report in the 300 px that are left.
          await workbench.page.setViewportSize({ width: 800, height: 800 });
          await workbench.setSideBarWidth(450);
          const narrow = await workbench.readWebview(async (report) => {
            await report.locator('h1', { hasText: setId }).waitFor({ timeout: UI_TIMEOUT_MS });
            return report.locator('body').evaluate<Overflow, undefined>(MEASURE_OVERFLOW);
          });
          findings.push(`${theme.name} narrow: panel ${narrow.width} px, page ${narrow.pageWidth} px`);
          assert.ok(narrow.width <= 320 && narrow.width >= 280, `the report panel is about 300 px wide (${narrow.width} px)`);
          assert.deepEqual(narrow.cut, [], `nothing cut at ${narrow.width} px (${theme.name})`);
          assert.ok(narrow.pageWidth <= narrow.width + 1, `no sideways scrolling at ${narrow.width} px`);
          await workbench.readWebview((report) => report.locator('#schema h2').evaluate((heading: ScrollableElement) => heading.scrollIntoView({ block: 'start' })));
          await workbench.movePointerAway();
          await workbench.screenshot(`13-report-${theme.file}-300px`);
          await workbench.runCommand('View: Close All Editors');
          await workbench.movePointerAway();
          await workbench.screenshot(`14-tree-${theme.file}-800`);
          await workbench.setSideBarWidth(300);
        }
      } finally {
        for (const line of findings) console.log(`    ${line}`);
        await workbench.page.setViewportSize({ width: 1280, height: 800 });
        // Back to the dark theme; a failure here must not hide the step's own.
        await setTheme(scenario, THEMES[1]).catch(() => undefined);
      }
    },
  },
  {
    title: "the installed extension's details page shows the README with every picture loaded from the .vsix, and the changelog",
    needs: [],
    async run(scenario) {
      const { workbench } = scenario;
      await workbench.clearNotifications();
      await workbench.runCommand('View: Close All Editors');
      await workbench.runCommand('Extensions: Show Enabled Extensions');
      await workbench.sideBar().locator('.monaco-list-row').filter({ hasText: 'Pulse Backup' }).first().click({ timeout: UI_TIMEOUT_MS });
      const editor = workbench.page.locator('.extension-editor');
      await editor.locator('.header .name', { hasText: 'Pulse Backup' }).waitFor({ timeout: UI_TIMEOUT_MS });
      // The README arrives in a webview that takes pictures from https: and data: only: they come inside the packaged README (scripts/package.ts).
      const readme = await workbench.readWebview(
        async (page) => {
          await page.locator('h1', { hasText: 'Pulse Backup' }).waitFor({ timeout: UI_TIMEOUT_MS });
          return page.locator('body').evaluate<DetailsPage, undefined>(READ_DETAILS_PAGE);
        },
        (read) => read.images.length > 0 && read.images.every((image) => image.complete),
        WORK_TIMEOUT_MS,
      );
      console.log(`    ${readme.images.length} pictures: ${readme.images.map((image) => `${image.src.slice(0, 22)}… ${image.naturalWidth}×${image.naturalHeight}`).join(', ')}`);
      const expected = [...readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]);
      assert.equal(readme.images.length, expected.length, `the page shows the README's ${expected.length} pictures`);
      // A link the page cannot open would take a person nowhere: only the web, mail and the page's own anchors.
      const dead = readme.links.filter((link) => !/^(https?:|mailto:|#)/.test(link.href));
      assert.deepEqual(dead, [], 'no link on the page leads nowhere');
      const broken = readme.images.filter((image) => image.naturalWidth === 0).map((image) => image.src.slice(0, 80));
      assert.deepEqual(broken, [], 'every picture loaded (naturalWidth > 0)');
      assert.ok(readme.headings.includes('Documentation'), `the whole README is there (headings: ${readme.headings.join(', ')})`);
      await editor.locator('.navbar .action-label', { hasText: 'Changelog' }).waitFor({ timeout: UI_TIMEOUT_MS });
      await workbench.movePointerAway();
      await workbench.screenshot('15-extension-details');
      await workbench.readWebview((page) =>
        page
          .locator('img')
          .first()
          .evaluate((image: ScrollableElement) => image.scrollIntoView({ block: 'start' })),
      );
      await workbench.screenshot('15-extension-details-picture');
      await workbench.runCommand('View: Close All Editors');
    },
  },
];

interface DetailsPage {
  images: { src: string; complete: boolean; naturalWidth: number; naturalHeight: number }[];
  links: { href: string; resolved: string }[];
  headings: string[];
}

/** Inside the details page's webview: its pictures (as the README names them, and whether they loaded), its links and its headings. */
const READ_DETAILS_PAGE = `(() => ({
  images: Array.from(document.images).map((image) => ({ src: image.getAttribute('src'), complete: image.complete, naturalWidth: image.naturalWidth, naturalHeight: image.naturalHeight })),
  links: Array.from(document.querySelectorAll('a[href]')).map((link) => ({ href: link.getAttribute('href'), resolved: link.href })),
  headings: Array.from(document.querySelectorAll('h1, h2')).map((heading) => heading.textContent.trim()),
}))()`;
