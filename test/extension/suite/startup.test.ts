/**
 * Folders that open with something to show: a Supabase project without
 * backups yet (plant-lisbon), and a plain folder whose backups folder
 * already holds a set (old-backups; compressed, ….sql.gz, so the start-up
 * globs are seen to match stored sets as well as plain ones). In both the extension starts with the
 * window, so the status bar is there without any command; in the Supabase
 * project it speaks of the project, at its own port.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PulseBackupApi } from '../../../src/extension/extension';
import { testDatabase, waitFor } from './helpers';
import { ScriptedPrompts } from './prompts';

const EXTENSION_ID = 'pulse-backup.pulse-backup';

describe('Pulse Backup in a folder that has backups or a Supabase project', function () {
  const prompts = new ScriptedPrompts();
  const folder = (vscode.workspace.workspaceFolders ?? [])[0];
  const supabase = folder !== undefined && existsSync(path.join(folder.uri.fsPath, 'supabase', 'config.toml'));
  /** The API of the extension as it started by itself with the window (no command is run here). */
  async function startedApi(): Promise<PulseBackupApi> {
    const extension = vscode.extensions.getExtension<PulseBackupApi>(EXTENSION_ID);
    assert.ok(extension);
    await waitFor('the extension to start by itself', () => (extension.isActive ? true : undefined), 20_000);
    return extension.exports;
  }

  before(function () {
    prompts.install();
  });

  after(function () {
    prompts.dispose();
  });

  it('starts with the window, without any command, and shows the status bar', async function () {
    const api = await startedApi();
    const status = await waitFor('the status bar', () => (api.statusBar().visible ? api.statusBar() : undefined));
    if (supabase) {
      assert.equal(status.text, '$(database) no backup');
      assert.equal(status.warning, false, 'neutral: no connection configured and no backup made yet');
      assert.equal(status.command, 'pulseBackup.configureConnection');
    } else {
      // Made before the first window opened: its age depends on how long the other scenarios took.
      assert.match(status.text, /^\$\(database\) (just now|\d+ min ago|\d+h ago)$/);
      assert.equal(status.warning, false);
      assert.equal(status.command, 'pulseBackup.openReport');
    }
  });

  // Each folder gets the test that is about it.
  const supabaseIt = supabase ? it : () => undefined;
  const setsIt = supabase ? () => undefined : it;

  supabaseIt('in a Supabase project: the view names the project and its own port, and Configure Connection offers that database', async function () {
    const db = testDatabase();
    const api = await startedApi();
    const view = await waitFor('the Backups view message', async () => {
      // The message is set when the listing is known; the tree asks for it.
      await api.backupsTree.getChildren(undefined);
      return api.viewMessage();
    });
    assert.equal(view, `Supabase project Plant Lisbon: backups read its local database, postgres@127.0.0.1:${db.port}/postgres (supabase/config.toml).`);

    prompts.answerInput = () => undefined;
    await vscode.commands.executeCommand('pulseBackup.configureConnection');
    const box = prompts.inputs[0];
    assert.ok(box);
    const projectUrl = `postgresql://postgres@127.0.0.1:${db.port}/postgres`;
    assert.equal(box.value, projectUrl, "the project's own database, ready to accept");
    assert.ok(box.prompt?.includes(`e.g. ${projectUrl}`), box.prompt);
    assert.ok(box.prompt?.includes("Empty: this Supabase project's local database"), box.prompt);
    assert.ok(!box.prompt?.includes('54322'), 'not the default port of other projects');
  });

  setsIt('in a folder with sets: the set shows in the tree as the CLI wrote it', async function () {
    const api = await startedApi();
    const roots = await api.backupsTree.getChildren(undefined);
    assert.equal(roots?.length, 1);
    const [node] = roots ?? [];
    assert.ok(node?.kind === 'set' && /^old_backups_\d{8}_\d{6}$/.test(node.entry.set.id));
  });
});
