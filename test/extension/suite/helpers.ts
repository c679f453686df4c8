/**
 * What the extension-host tests share: the database the runner started, and
 * waiting for what the extension does asynchronously (tasks, watchers).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { temporaryPathFor } from '../../../src/core/files/atomicFile';
import type { Manifest } from '../../../src/core/sets/manifest';
import { fileNameFor, manifestNameFor, setIdFor } from '../../../src/core/sets/naming';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { ScriptedPrompts } from './prompts';

export interface TestDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** A copy of `database`, for the second folder of the multi-root workspace. */
  secondDatabase: string;
}

export function testDatabase(): TestDatabase {
  const raw = process.env.PULSE_TEST_DB;
  if (!raw) throw new Error('PULSE_TEST_DB is not set: run this suite with `npm run test:extension`');
  return JSON.parse(raw) as TestDatabase;
}

/** How the extension was first activated in this window by a test: by one of its commands, as a person activates it. */
let activatedByCommand = false;

/** Whether the window's first activation came from a command (Refresh), whichever test of the window asked first. */
export function firstActivatedByCommand(): boolean {
  return activatedByCommand;
}

/**
 * The extension under test, activated as a person activates it (its first
 * command, Refresh: a no-op when it is active already), and the API it
 * returned. Every describe of a window gets it here, so the window's first
 * activation is a command's whatever order its tests run in.
 */
export async function activatedApi(): Promise<PulseBackupApi> {
  const extension = vscode.extensions.getExtension<PulseBackupApi>('pulse-backup.pulse-backup');
  assert.ok(extension, 'the extension under test is loaded');
  if (!extension.isActive) {
    await vscode.commands.executeCommand('pulseBackup.refresh');
    activatedByCommand = extension.isActive;
  }
  return extension.activate();
}

/**
 * The hooks of a window's suite, registered after its own `before`: the
 * prompts scripted for the whole describe, the extension activated (its API
 * handed to `activated`), and no task left running after a test.
 */
export function useActivatedExtension(prompts: ScriptedPrompts, activated: (api: PulseBackupApi) => void): void {
  before(async function () {
    prompts.install();
    activated(await activatedApi());
  });
  after(function () {
    prompts.dispose();
  });
  afterEach(async function () {
    await tasksEnded();
  });
}

export function databaseUrl(db: TestDatabase, database: string, withPassword: boolean): string {
  const credentials = withPassword ? `${db.user}:${encodeURIComponent(db.password)}` : db.user;
  return `postgresql://${credentials}@${db.host}:${db.port}/${database}`;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every process's command line (Linux /proc), arguments joined by spaces. */
export function commandLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      // gone already
    }
  }
  return lines;
}

export function labelOf(item: vscode.TreeItem): string {
  const label = item.label;
  return typeof label === 'string' ? label : (label?.label ?? '');
}

/** Starts a task; `ended` resolves with its exit code (undefined when it had none). */
export function startTask(task: vscode.Task): { execution: Promise<vscode.TaskExecution>; ended: Promise<number | undefined> } {
  let resolveEnded: (code: number | undefined) => void = () => undefined;
  const ended = new Promise<number | undefined>((resolve) => {
    resolveEnded = resolve;
  });
  // Listening before the task starts: a quick task can end before executeTask's promise settles.
  let execution: vscode.TaskExecution | undefined;
  const pending: { execution: vscode.TaskExecution; code: number | undefined }[] = [];
  const finish = (code: number | undefined) => {
    processEnded.dispose();
    taskEnded.dispose();
    resolveEnded(code);
  };
  const processEnded = vscode.tasks.onDidEndTaskProcess((event) => {
    if (execution === undefined) pending.push({ execution: event.execution, code: event.exitCode });
    else if (event.execution === execution) finish(event.exitCode);
  });
  const taskEnded = vscode.tasks.onDidEndTask((event) => {
    if (execution === undefined || event.execution !== execution) return;
    // A task with an exit code reports it through onDidEndTaskProcess first; give it a moment.
    setTimeout(() => finish(undefined), 1000);
  });
  const started = Promise.resolve(vscode.tasks.executeTask(task)).then((value) => {
    execution = value;
    const early = pending.find((event) => event.execution === value);
    if (early) finish(early.code);
    return value;
  });
  return { execution: started, ended };
}

/**
 * Waits until no task runs any more, terminals closed: a test leaves none
 * still ending for the next one's run of the same task to be joined to (a
 * task the extension offers, or tasks.json's, has no run number of its own),
 * nor a terminal that the next runs could not reuse.
 */
export async function tasksEnded(): Promise<void> {
  await waitFor('the tasks of the test to end', () => (vscode.tasks.taskExecutions.length === 0 ? true : undefined), 60_000);
}

export { closedPort } from '../../support/ports';

/** `date +%Y%m%d_%H%M%S` in local time, as set names carry it. */
export function localTimestamp(date: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}_${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`;
}

/**
 * A copy of a real set under another timestamp, its manifest rewritten to
 * name the copies (and to date it then): a set of its own that verifies
 * like the original, made without a database.
 */
export function copySetAs(source: { folder: string; manifest: Manifest }, folder: string, timestamp: string, when: Date): string {
  const staged = stageSetCopy(source, folder, timestamp, when);
  staged.putInPlace();
  return staged.id;
}

/**
 * The same copy as a backup leaves it just before it puts the set in place:
 * every file, the manifest too, under the hidden name this process writes it
 * under (temporaryPathFor). `putInPlace` renames them, the manifest last, as
 * the engine does.
 */
export function stageSetCopy(source: { folder: string; manifest: Manifest }, folder: string, timestamp: string, when: Date): { id: string; putInPlace(): void } {
  const { manifest } = source;
  mkdirSync(folder, { recursive: true });
  const files = manifest.files.map((file) => {
    const name = fileNameFor(manifest.prefix, file.type, timestamp);
    copyFileSync(path.join(source.folder, file.name), temporaryPathFor(path.join(folder, name)));
    return { ...file, name };
  });
  const id = setIdFor(manifest.prefix, timestamp);
  const copy: Manifest = { ...manifest, id, timestamp, startedAt: when.toISOString(), files };
  const manifestPath = path.join(folder, manifestNameFor(manifest.prefix, timestamp));
  writeFileSync(temporaryPathFor(manifestPath), `${JSON.stringify(copy, null, 2)}\n`, { mode: 0o600 });
  return {
    id,
    putInPlace: () => {
      for (const final of [...files.map((file) => path.join(folder, file.name)), manifestPath]) renameSync(temporaryPathFor(final), final);
    },
  };
}

/** The second window's log (index.ts, secondWindow) starts with this line once its extension is active. */
export const SECOND_WINDOW_READY = '[second window] the extension is active';
