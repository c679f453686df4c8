/**
 * pulseBackup.schedule and the guard, in a real VS Code, against a real
 * server (night-shift/, its own copy of the sample). The first test waits
 * for the timer itself (a schedule of every minute); the others drive the
 * same decision the timer makes through the API with a time of their own,
 * which is how "the machine slept for three days" is simulated. In
 * code-server the runner opens this folder in a second window as well: the
 * first test sees its scheduler stand back for the one set the two windows
 * take (through the log it mirrors); another test has two schedulers of
 * this window decide at the very same moment.
 */
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import * as vscode from 'vscode';
import { readScheduleState, SCHEDULE_FOLDER, type SlotOutcome } from '../../../src/core/schedule/runner';
import { listSets } from '../../../src/core/sets/listing';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { BackupsNode, SetNode } from '../../../src/extension/tree';
import { databaseUrl, SECOND_WINDOW_READY, startTask, testDatabase, useActivatedExtension, waitFor } from './helpers';
import { ScriptedPrompts } from './prompts';

describe('scheduled backups and the guard', function () {
  const prompts = new ScriptedPrompts();
  let api: PulseBackupApi;
  useActivatedExtension(prompts, (activated) => (api = activated));
  const folder = (vscode.workspace.workspaceFolders ?? [])[0];
  const backups = path.join(folder.uri.fsPath, 'backups');
  const database = process.env.PULSE_TEST_SCHEDULE_DB ?? 'night_shift';

  function settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('pulseBackup', folder.uri);
  }

  /** The complete sets on disk (their manifests). */
  function setIds(): string[] {
    return existsSync(backups)
      ? readdirSync(backups)
          .filter((name) => name.endsWith('.manifest.json') && !name.startsWith('.'))
          .map((name) => name.replace(/\.manifest\.json$/, ''))
          .sort()
      : [];
  }

  async function setNodes(): Promise<SetNode[]> {
    const roots = (await api.backupsTree.getChildren(undefined)) ?? [];
    const nested = await Promise.all(roots.filter((node) => node.kind === 'group').map(async (node) => (await api.backupsTree.getChildren(node)) ?? []));
    return [...roots, ...nested.flat()].filter((node: BackupsNode): node is SetNode => node.kind === 'set');
  }

  /** A schedule from now on: no state left by an earlier test, then the setting; its timer's first look starts it. */
  async function scheduleFromNow(value: string): Promise<void> {
    const state = path.join(backups, SCHEDULE_FOLDER, 'state.json');
    rmSync(path.join(backups, SCHEDULE_FOLDER), { recursive: true, force: true });
    await settings().update('schedule', value, vscode.ConfigurationTarget.WorkspaceFolder);
    await waitFor("the schedule's first look", () => existsSync(state));
  }

  /**
   * The schedule's decision at `now`, as the timer makes it. The timer of the
   * same schedule may be deciding at that moment (it wakes once a minute):
   * then this one is told "busy" and asks again.
   */
  async function decide(now: Date): Promise<SlotOutcome | undefined> {
    return waitFor(`the schedule's decision at ${now.toISOString()}`, async () => {
      const outcome = await api.runSchedule(folder.name, now);
      return outcome?.kind === 'busy' ? undefined : { outcome };
    }).then(({ outcome }) => outcome);
  }

  async function write(sql: string): Promise<void> {
    const client = new Client({ connectionString: databaseUrl(testDatabase(), database, true) });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      // Its statistics reach the server as the session ends.
      await client.end();
    }
  }

  afterEach(async function () {
    await settings().update('schedule', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    prompts.messages.length = 0;
  });

  /**
   * The second window on this folder (run.ts, code-server only): its log's
   * lines so far, once its extension is active; undefined without one.
   */
  async function secondWindowLog(): Promise<(() => string[]) | undefined> {
    const file = process.env.PULSE_TEST_SECOND_WINDOW_LOG;
    if (!file) return undefined;
    const read = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []);
    await waitFor("the second window's extension", () => (read()[0] === SECOND_WINDOW_READY ? true : undefined), 90_000);
    return read;
  }

  it('a schedule of every minute, set by the test, backs up by itself: the set shows up in the tree, nothing is asked or said; with a second window open on the folder, one of the two takes it', async function () {
    this.timeout(240_000);
    const secondWindow = await secondWindowLog();
    const before = setIds();
    await scheduleFromNow('* * * * *');
    const status = await waitFor('the next time in the status bar', () =>
      /Next scheduled backup: (?:today|tomorrow) at \d\d:\d\d/.test(api.statusBar().tooltip) ? api.statusBar() : undefined,
    );
    // The tooltip is Markdown: the cron expression's stars are escaped.
    assert.match(status.tooltip, /Next scheduled backup: (?:today|tomorrow) at \d\d:\d\d \(when cron's "\\\* \\\* \\\* \\\* \\\*" says\)/);
    const added = await waitFor(
      'the scheduled set, whole, in the Backups view',
      async () => (await setNodes()).find((node) => !before.includes(node.entry.set.id) && node.entry.set.status === 'complete'),
      120_000,
    );
    assert.equal(added.entry.set.purpose, 'backup');
    // The scheduler records the set once its task has ended.
    await waitFor('the schedule to record the set', () => readScheduleState(backups).then((state) => state?.seen?.setId === added.entry.set.id || undefined));
    assert.deepEqual(prompts.messages, [], 'no question, no notification');
    assert.deepEqual(prompts.quickPicks, []);
    if (secondWindow) {
      // Both windows' timers woke for that time: one wrote the set; the other found the folder taken, or the time covered by it.
      const setId = added.entry.set.id;
      const wrote = (lines: readonly string[]) => lines.some((line) => line.includes(`scheduled backup of ${folder.name} for `) && line.includes(` wrote ${setId}`));
      const stoodBack = (lines: readonly string[]) =>
        lines.some(
          (line) =>
            line.includes(`scheduled backup of ${folder.name}: another window (or a backup) holds the backups folder`) ||
            line.includes(`: ${setId} was written since, nothing to do`) ||
            line.includes(`written no row since ${setId}`),
        );
      const logs = await waitFor(
        'the other window to stand back',
        () => {
          const both = { first: api.logLines(), second: secondWindow() };
          return (wrote(both.first) && stoodBack(both.second)) || (wrote(both.second) && stoodBack(both.first)) ? both : undefined;
        },
        90_000,
      );
      assert.ok(!(wrote(logs.first) && wrote(logs.second)), 'only one window wrote the set');
      assert.deepEqual(
        setIds().filter((id) => !before.includes(id)),
        [setId],
        'one set for the two windows',
      );
    }
    await settings().update('schedule', 'off', vscode.ConfigurationTarget.WorkspaceFolder);
    await waitFor('"Schedule: off" in the tooltip', () => (api.statusBar().tooltip.includes('Schedule: off (pulseBackup.schedule)') ? true : undefined));
  });

  it('after a simulated sleep of three days, exactly one catch-up runs', async function () {
    await scheduleFromNow('0 * * * *');
    const before = setIds();
    // A minute past an hour, three days on: the looks within the next half hour meet no further hour.
    const woke = new Date(Date.now() + 3 * 24 * 3600_000);
    woke.setMinutes(1, 0, 0);
    const outcome = await decide(woke);
    assert.equal(outcome?.kind, 'ran');
    assert.ok(outcome?.kind === 'ran' && outcome.missed >= 70, `the hours missed were folded into one: ${JSON.stringify(outcome)}`);
    for (const minutes of [1, 5, 30]) assert.equal((await decide(new Date(woke.getTime() + minutes * 60_000)))?.kind, 'wait');
    assert.equal(setIds().length, before.length + 1, 'one set, not one per missed hour');
    assert.deepEqual(prompts.messages, []);
  });

  it('an unchanged database is skipped; a row written makes the next time back up', async function () {
    await scheduleFromNow('0 3 1 1 *');
    const before = setIds();
    let year = new Date().getFullYear() + 1;
    const first = await decide(new Date(year++, 0, 1, 3, 0, 30));
    assert.equal(first?.kind, 'ran');
    // The counters are the whole database's, system catalogs included: should anything reach them after a set
    // (the server's own work counts too: autovacuum's ANALYZE writes pg_statistic), the next time backs up
    // again; the time after that, with nothing written, is skipped for the newest set.
    const ran = [first];
    const unchanged = await waitFor('a time skipped as unchanged', async () => {
      const outcome = await decide(new Date(year++, 0, 1, 3, 0, 30));
      if (outcome?.kind === 'ran') ran.push(outcome);
      else assert.equal(outcome?.kind, 'unchanged', JSON.stringify(outcome));
      return outcome?.kind === 'unchanged' ? outcome : undefined;
    });
    assert.ok(ran.length <= 3, `a database nobody writes to is skipped from the second or third time: ${ran.length} sets`);
    const newest = ran[ran.length - 1];
    assert.equal(unchanged.setId, newest?.kind === 'ran' ? newest.setId : undefined);
    assert.equal(setIds().length, before.length + ran.length);
    await write(`UPDATE organizations SET name = name || ' (night)' WHERE id = (SELECT min(id) FROM organizations)`);
    // Its statistics reach the server as its session ends; should a time come before they do, it is skipped and the next one backs up.
    const changed = await waitFor('the write to be seen', async () => {
      const outcome = await decide(new Date(year++, 0, 1, 3, 0, 30));
      return outcome?.kind === 'ran' ? outcome : undefined;
    });
    assert.equal(changed.kind, 'ran');
    assert.equal(setIds().length, before.length + ran.length + 1);
    assert.ok(api.logLines().some((line) => line.includes('skipped: the database has written no row since')));
  });

  it('two schedulers deciding at once on one folder take one backup (the folder lock two windows share)', async function () {
    await scheduleFromNow('0 * * * *');
    const before = setIds();
    const due = new Date(Date.now() + 2 * 3600_000);
    // The timer of the same schedule may be looking at that moment (it did, just after the setting changed):
    // then both are told "busy", nothing is done, and the two ask again.
    const outcomes = await waitFor('two decisions at once, not both told busy by the timer', async () => {
      const both = await Promise.all([api.runSchedule(folder.name, due), api.runSchedule(folder.name, due)]);
      return both.every((outcome) => outcome?.kind === 'busy') ? undefined : both;
    });
    assert.deepEqual(outcomes.map((outcome) => outcome?.kind).sort(), ['busy', 'ran']);
    assert.equal((await decide(due))?.kind, 'wait', 'and the time is handled for whoever looks next');
    assert.equal(setIds().length, before.length + 1);
  });

  it('warns when supabase db reset starts in a task, offering Back Up Now', async function () {
    const bin = fakeSupabase();
    const task = new vscode.Task(
      { type: 'shell', label: 'reset' },
      folder,
      'reset the database',
      'test',
      new vscode.ShellExecution('supabase db reset', { cwd: folder.uri.fsPath, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } }),
      [],
    );
    const { ended } = startTask(task);
    assert.equal(await ended, 0);
    const warning = await waitFor('the guard', () => prompts.messages.find((call) => call.kind === 'warning' && call.message.startsWith('supabase db reset started in the task')));
    assert.deepEqual(warning.buttons, ['Back Up Now', 'Turn Off These Warnings']);
    assert.match(warning.message, /It is already running, so a backup now may miss what it changes/);
  });

  it('Back Up and Reset Database in a Supabase project: the safety set is whole before supabase db reset starts, and its own reset is not warned about', async function () {
    const project = path.join(folder.uri.fsPath, 'supabase');
    const seen = path.join(mkdtempSync(path.join(tmpdir(), 'pulse-guarded-')), 'backups-at-start.txt');
    const bin = fakeSupabase({ backups, into: seen });
    const terminalEnv = vscode.workspace.getConfiguration('terminal.integrated.env');
    await terminalEnv.update('linux', { PATH: `${bin}:${process.env.PATH ?? ''}` }, vscode.ConfigurationTarget.Workspace);
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, 'config.toml'), 'project_id = "night-shift"\n');
    prompts.answerMessage = (call) =>
      call.modal && call.message.startsWith('Back up the database of night-shift, then run supabase db reset?') ? 'Back Up, Then Reset' : undefined;
    try {
      await vscode.commands.executeCommand('pulseBackup.guardedReset');
      const atStart = await waitFor('the reset to have run', () => (existsSync(seen) ? readFileSync(seen, 'utf8').split('\n') : undefined));
      const safety = (await listSets(backups)).filter((set) => set.purpose === 'safety');
      assert.equal(safety.length, 1, 'one safety set');
      assert.equal(safety[0].manifest?.takenBefore, 'supabase db reset');
      assert.ok(atStart.includes(`${safety[0].id}.manifest.json`), `the safety set's manifest was in place when the reset started: ${atStart.join(' ')}`);
      const modal = prompts.messages.find((call) => call.modal);
      assert.match(modal?.detail ?? '', /the reset starts only once it is whole, and does not start at all when the backup fails/);
      assert.equal(
        prompts.messages.find((call) => call.message.includes('started in')),
        undefined,
        "the guard does not warn about the guarded reset's own command",
      );
    } finally {
      prompts.answerMessage = () => undefined;
      rmSync(project, { recursive: true, force: true });
      await terminalEnv.update('linux', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('warns when supabase db reset is typed in a terminal, where shell integration runs', async function () {
    const bin = fakeSupabase();
    const terminal = vscode.window.createTerminal({ name: 'guarded shell', cwd: folder.uri, env: { PATH: `${bin}:${process.env.PATH ?? ''}` }, shellPath: '/bin/bash' });
    try {
      const integrated = await new Promise<boolean>((resolve) => {
        if (terminal.shellIntegration) return resolve(true);
        const listener = vscode.window.onDidChangeTerminalShellIntegration((event) => {
          if (event.terminal !== terminal) return;
          listener.dispose();
          resolve(true);
        });
        setTimeout(() => {
          listener.dispose();
          resolve(false);
        }, 15_000);
      });
      if (!integrated) {
        console.log('    shell integration did not start in this terminal within 15 s: the terminal guard is not tested here');
        this.skip();
      }
      terminal.sendText('supabase db reset');
      const warning = await waitFor('the guard', () =>
        prompts.messages.find((call) => call.kind === 'warning' && call.message.startsWith('supabase db reset started in the terminal "guarded shell"')),
      );
      assert.deepEqual(warning.buttons, ['Back Up Now', 'Turn Off These Warnings']);
    } finally {
      terminal.dispose();
    }
  });
});

/**
 * A `supabase` that only says what it was asked (the real one would need
 * Docker), and with `seen` writes what the backups folder held as it started.
 */
function fakeSupabase(seen?: { backups: string; into: string }): string {
  const bin = mkdtempSync(path.join(tmpdir(), 'pulse-fake-supabase-'));
  const record = seen ? `ls -a '${seen.backups}' > '${seen.into}'\n` : '';
  writeFileSync(path.join(bin, 'supabase'), `#!/bin/sh\n${record}echo "supabase $*"\n`);
  chmodSync(path.join(bin, 'supabase'), 0o755);
  return bin;
}
