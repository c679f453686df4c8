/**
 * The extension-host side of `npm run test:extension`: the module VS Code
 * loads through `--extensionTestsPath` (and the code-server host through
 * the same contract). It runs the mocha suite in the extension host and
 * rejects when a test fails, which makes the host exit non-zero.
 *
 * Built by esbuild into out/test/extension/suite.js, inside the
 * extension's folder: there `require('vscode')` yields the extension's own
 * API object, which prompts.ts relies on to answer dialogs.
 */
import { renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import type { PulseBackupApi } from '../../../src/extension/extension';
import { SECOND_WINDOW_READY } from './helpers';
import { applyTestOrder, describeTestOrder, parseTestOrder } from './order';

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension('pulse-backup.pulse-backup');
  if (!extension) throw new Error('the extension under test (pulse-backup.pulse-backup) is not loaded');
  const inside = path.relative(extension.extensionPath, __filename);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    throw new Error(`the suite (${__filename}) must be loaded from inside the extension's folder (${extension.extensionPath}) to share its vscode API`);
  }
  // The project's reporter: mocha's spec output and a closing "N passed, N failed, N skipped" line.
  const reporter = path.join(extension.extensionPath, 'test', 'support', 'summaryReporter.cjs');
  const mocha = new Mocha({ ui: 'bdd', reporter, color: false, timeout: 180_000, slow: 10_000 });
  // The runner opens one window per scenario: the project folder, a multi-root workspace,
  // folders that start with sets or a Supabase project, or a Supabase project on the stack's container.
  const folders = vscode.workspace.workspaceFolders ?? [];
  const scenario =
    folders.length > 1
      ? 'multiRoot.test'
      : process.env.PULSE_TEST_STACK
        ? 'supabaseStack.test'
        : folders[0]?.name === 'factory-pulse'
          ? 'extension.test'
          : folders[0]?.name === 'night-shift'
            ? 'schedule.test'
            : 'startup.test';
  mocha.suite.emit('pre-require', globalThis, scenario, mocha);
  if (scenario === 'multiRoot.test') await import('./multiRoot.test');
  else if (scenario === 'supabaseStack.test') await import('./supabaseStack.test');
  else if (scenario === 'extension.test') {
    await import('./extension.test');
    await import('./offsite.test');
    await import('./encryption.test');
    await import('./compression.test');
    await import('./parallel.test');
  } else if (scenario === 'schedule.test') await import('./schedule.test');
  else await import('./startup.test');
  // PULSE_TEST_ORDER: the runner resolves `shuffle` to one seed for every window.
  const order = parseTestOrder(process.env.PULSE_TEST_ORDER);
  applyTestOrder(mocha.suite, order);
  if (order.kind !== 'written') console.log(`Test order: ${describeTestOrder(order)}`);
  // PULSE_TEST_GREP="Offsite" runs the tests whose titles match (while working on some).
  if (process.env.PULSE_TEST_GREP) mocha.grep(process.env.PULSE_TEST_GREP);
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension test${failures === 1 ? '' : 's'} failed`);
}

/**
 * A second window on the scheduled backups' folder (run.ts): the extension
 * started in its own extension host, its log mirrored twice a second to
 * PULSE_TEST_SECOND_WINDOW_LOG (written whole), which the first window's
 * tests read to see what this one decided. It runs until the run ends.
 */
export async function secondWindow(): Promise<void> {
  const file = process.env.PULSE_TEST_SECOND_WINDOW_LOG;
  const extension = vscode.extensions.getExtension<PulseBackupApi>('pulse-backup.pulse-backup');
  if (!file || !extension) return;
  const api = await extension.activate();
  const mirror = () => {
    writeFileSync(`${file}.partial`, [SECOND_WINDOW_READY, ...api.logLines()].join('\n'));
    renameSync(`${file}.partial`, file);
  };
  mirror();
  setInterval(mirror, 500);
  await new Promise(() => undefined);
}
