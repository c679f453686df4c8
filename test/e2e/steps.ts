/**
 * A person's path through Pulse Backup in a real VS Code, one step at a time,
 * each asserting on what the workbench shows: texts of views, quick picks,
 * notifications, the task terminal, the report webview, the modal dialog and
 * the status bar. SQL checks the database itself where a step changes it.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { diffFingerprints, fingerprintDatabase, type Fingerprint } from '../support/fingerprint';
import type { TestServer } from '../support/pgServer';
import { countRows, formatCount, treeLabelOf } from './fixtures';
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
    title: 'the Pulse Backup view shows its welcome content; Configure connection takes the password',
    needs: [],
    async run(scenario) {
      const { workbench } = scenario;
      await workbench.openActivityBarItem('Pulse Backup');
      await workbench.setSideBarWidth(430);
      const welcome = workbench.welcomeContent();
      await welcome.filter({ hasText: 'No backups in this folder yet.' }).waitFor({ timeout: UI_TIMEOUT_MS });
      for (const button of ['Backup database', 'Configure connection']) {
        await welcome.locator('.monaco-button', { hasText: exactly(button) }).waitFor({ timeout: UI_TIMEOUT_MS });
      }
      await workbench.statusBarItem().filter({ hasText: 'no backup' }).waitFor({ timeout: UI_TIMEOUT_MS });
      await workbench.movePointerAway();
      await workbench.screenshot('01-welcome-view');

      // The welcome view's own button; the URL comes from the folder settings, the password is typed.
      await welcome.locator('.monaco-button', { hasText: exactly('Configure connection') }).click();
      const urlBox = await workbench.inputBox('Pulse Backup: database of factory-pulse');
      assert.equal(urlBox.value, scenario.connectionUrl, 'the URL box offers the URL from the settings');
      await workbench.answerInputBox(undefined);
      const described = scenario.connectionUrl.replace(/^postgresql:\/\//, '');
      const passwordBox = await workbench.inputBox(`Password for ${described}`);
      assert.ok(passwordBox.isPassword, 'the password box hides what is typed');
      await workbench.answerInputBox(scenario.server.password);
      await workbench.waitForNotification(`Saved the URL for ${described} and its password.`);
      const settings = readFileSync(path.join(scenario.workspace, '.vscode', 'settings.json'), 'utf8');
      assert.ok(settings.includes(scenario.connectionUrl), 'the folder settings keep the URL');
      assert.ok(!settings.includes(scenario.server.password), 'the folder settings hold no password');
    },
  },
  {
    title: 'Backup database from the command palette: terminal progress, a notification, the set and its three files in the tree, "just now" in the status bar',
    needs: [1],
    async run(scenario) {
      const { workbench, server } = scenario;
      await workbench.clearNotifications();
      await workbench.runCommand('Pulse Backup: Backup database');
      assert.deepEqual(await workbench.quickPickLabels('Pulse Backup: Backup database'), ['Full backup set', 'Schema only', 'Data only']);
      await workbench.pickQuickPickItem('Full backup set');

      const message = await workbench.waitForNotification(/^Backup \S+ written \(/, WORK_TIMEOUT_MS);
      const written = /^Backup (\S+) written \(.+, (\d+) tables\)\.$/.exec(message);
      assert.ok(written, `the notification names the set: ${message}`);
      const setId = written[1];
      const timestamp = setId.slice(-15);
      assert.equal(setId, `factory_pulse_${timestamp}`, 'the set is named after the folder (factory-pulse → factory_pulse)');
      assert.equal(await workbench.notification(message).getByRole('button', { name: 'Open report', exact: true }).count(), 1, 'the notification offers Open report');

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
      assert.match(terminal, /^Done\.$/m);
      await workbench.clearNotifications();
      await workbench.movePointerAway();
      await workbench.screenshot('02-backup-task-terminal');

      await workbench.setPanelMaximized(false);
      await workbench.hidePanel();
      const label = treeLabelOf(timestamp);
      // The tree relists the folder once the task has ended: wait for the set's final state.
      await workbench.treeRow(`Backup set ${label}, ok, just now · `).waitFor({ timeout: UI_TIMEOUT_MS });
      assertThreeDumpFiles(await expandSet(workbench, label), 'factory_pulse', timestamp);
      await workbench.statusBarItem().filter({ hasText: 'just now' }).waitFor({ timeout: UI_TIMEOUT_MS });
      await workbench.movePointerAway();
      await workbench.screenshot('03-tree-and-status-bar');

      // Nothing changes the database until step 4: this is the content the set holds.
      scenario.backup = { setId, timestamp, content: await fingerprintDatabase(server.url(scenario.database)) };
    },
  },
  {
    title: 'the report webview shows the tables with their row counts, the circular foreign keys and, after Verify, the passed checks',
    needs: [2],
    async run(scenario) {
      const { workbench } = scenario;
      const { setId, timestamp } = backupSet(scenario);
      await workbench.clearNotifications();
      await workbench.inlineAction(workbench.treeRow(`Backup set ${treeLabelOf(timestamp)},`), 'Open backup report');
      // The report redraws whenever the set's files change (a verification adds to its history),
      // which replaces the webview's frame: every read goes through readWebview, which reads again then.
      const before = await workbench.readWebview(async (report) => {
        await report.locator('h1', { hasText: setId }).waitFor({ timeout: UI_TIMEOUT_MS });
        const rows = new Map<string, string>();
        for (const table of COUNTED_TABLES) {
          const [schema, name] = table.split('.');
          await report.locator('#schema h3', { has: report.locator('code', { hasText: exactly(schema) }) }).waitFor({ timeout: UI_TIMEOUT_MS });
          const cells = report.locator('#schema tr').filter({ has: report.locator('td:first-child code', { hasText: exactly(name) }) }).locator('td');
          rows.set(table, (await cells.nth(2).innerText()).trim());
        }
        await report.locator('#warnings h3', { hasText: 'Circular foreign keys' }).waitFor({ timeout: UI_TIMEOUT_MS });
        const cycles = (await report.locator('#warnings ul.cycles li').allInnerTexts()).map((text) => text.trim());
        return { rows, cycles, verification: await report.locator('#verification').innerText() };
      }, (read) => read.cycles.length > 0);
      await workbench.page.locator('.part.editor .tab', { hasText: `Backup ${setId}` }).waitFor({ timeout: UI_TIMEOUT_MS });
      for (const table of COUNTED_TABLES) {
        const rows = formatCount(scenario.rowCounts.get(table) ?? Number.NaN);
        assert.equal(before.rows.get(table), rows, `the report's schema overview gives ${table} ${rows} rows`);
      }
      assert.ok(
        before.cycles.some((cycle) => /\bpublic\.users\b/.test(cycle) && /\bpublic\.messages\b/.test(cycle) && cycle.includes('↔')),
        `the report names the users ↔ messages cycle, got ${JSON.stringify(before.cycles)}`,
      );
      assert.match(before.verification, /not verified/i, 'before Verify, the report says the set is not verified');

      await workbench.readWebview((report) => report.getByRole('button', { name: 'Verify now' }).click({ timeout: UI_TIMEOUT_MS }));
      const verified = await workbench.waitForNotification(`${setId} verifies:`, WORK_TIMEOUT_MS);
      const checks = /all (\d+) checks passed\.$/.exec(verified);
      assert.ok(checks, `the notification says every check passed: ${verified}`);
      const statuses = await workbench.readWebview(async (report) => {
        await report.locator('#verification p', { has: report.locator('.badge.pass', { hasText: 'passed' }) }).first().waitFor({ timeout: UI_TIMEOUT_MS });
        const checkRows = report.locator('#verification table').first().locator('tbody tr');
        return (await checkRows.locator('td:nth-child(2)').allInnerTexts()).map((text) => text.trim());
      }, (read) => read.length === Number(checks[1]));
      assert.equal(statuses.length, Number(checks[1]), `the report lists the ${checks[1]} checks`);
      assert.ok(statuses.every((status) => status === 'passed'), `every check passed in the report: ${JSON.stringify(statuses)}`);

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
    title: 'Restore… from the context menu, Data only, confirmed in the modal: the changed rows are back',
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
      for (const entry of ['Restore…', 'Verify', 'Open backup report', 'Copy restore command', 'Delete']) {
        assert.ok(entries.includes(entry), `the set's context menu offers ${entry} (got ${JSON.stringify(entries)})`);
      }
      assert.deepEqual(await workbench.quickPickLabels(`Restore ${setId}`), ['Complete', 'Schema only', 'Data only']);
      await workbench.pickQuickPickItem('Data only');

      const dialog = workbench.dialog();
      await dialog.waitFor({ state: 'visible', timeout: WORK_TIMEOUT_MS });
      const question = (await dialog.innerText()).trim();
      assert.ok(question.includes(`Restore ${setId} (data only) into database "${database}" on ${target(scenario)}?`), `the modal names the set, the mode and the target:\n${question}`);
      assert.match(question, /Pre-flight: the set verifies/);
      assert.match(question, /already exist and will be emptied first/);
      assert.match(question, /A safety backup of the target is taken first/);
      await workbench.movePointerAway();
      await workbench.screenshot('08-restore-confirmation');
      await dialog.getByRole('button', { name: 'Restore', exact: true }).click();

      const restored = await workbench.waitForNotification(`Restored ${setId} (data) into`, WORK_TIMEOUT_MS);
      const safety = /Safety backup: (\S+)\.$/.exec(restored);
      assert.ok(safety, `the notification names the safety backup: ${restored}`);
      assert.equal((await countRows(server, database, [CHANGED_TABLE])).get(CHANGED_TABLE), before, `${CHANGED_TABLE} has its ${before} rows again`);
      assert.deepEqual(diffFingerprints(content, await fingerprintDatabase(server.url(database))), [], 'the database holds what the set holds');
      // Listed as "being written" while the restore ran; relisted once the task has ended.
      await workbench.treeRow(`Backup set ${treeLabelOf(safety[1].slice(-15))}, safety backup, `).waitFor({ timeout: UI_TIMEOUT_MS });
    },
  },
  {
    title: 'with the database server stopped, Backup database shows a one-line connection error and adds no set',
    needs: [],
    async run(scenario) {
      const { workbench, server } = scenario;
      await workbench.clearNotifications();
      await workbench.hidePanel();
      const setsBefore = await setLabels(workbench);
      const filesBefore = backupFiles(scenario);
      await server.stop();

      await workbench.runCommand('Pulse Backup: Backup database');
      await workbench.quickPickLabels('Pulse Backup: Backup database');
      await workbench.pickQuickPickItem('Full backup set');
      const toast = workbench.errorNotifications().filter({ hasText: 'PostgreSQL' }).last();
      await toast.waitFor({ state: 'visible', timeout: WORK_TIMEOUT_MS });
      const message = (await toast.locator('.notification-list-item-message').innerText()).trim();
      assert.ok(!message.includes('\n'), `one line: ${JSON.stringify(message)}`);
      assert.match(message, new RegExp(`^cannot connect to PostgreSQL at ${target(scenario).replace(/\./g, '\\.')}: connection refused`));
      for (const button of ['Configure connection', 'Show log']) {
        assert.equal(await toast.getByRole('button', { name: button, exact: true }).count(), 1, `the error offers ${button}`);
      }

      await workbench.statusBarItem().filter({ hasNotText: 'Backing up' }).waitFor({ timeout: UI_TIMEOUT_MS });
      // Nothing may appear: watch the tree for a moment after the task ended.
      const watchUntil = Date.now() + 2000;
      while (Date.now() < watchUntil) {
        assert.deepEqual(await setLabels(workbench), setsBefore, 'no new set in the tree');
        await workbench.page.waitForTimeout(250);
      }
      assert.deepEqual(backupFiles(scenario), filesBefore, 'no new file in the backups folder');
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
      assert.match(hover, /Status: from the old script \(no manifest\)/);
      assert.match(hover, /Made by: the old backup script: no manifest, so no checksums or row counts/);
      await workbench.screenshot('10-old-script-set');
    },
  },
];
