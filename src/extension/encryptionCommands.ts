/**
 * Set Encryption Passphrase… and Clear Encryption Passphrase: the passphrase
 * of a folder's encrypted sets (`….sql.age`) in VS Code's secret storage,
 * typed twice (a typo would only show when a set needs it), so verify,
 * restore, prove and compare read those sets without asking.
 */
import * as vscode from 'vscode';
import { showError, showInformation } from './notifications';
import { registerCommands } from './commands';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import type { Passphrases } from './passphrases';
import { pickWorkspaceFolder, type SettingsStore } from './settingsStore';

export class EncryptionCommands extends Disposable {
  constructor(
    private readonly config: SettingsStore,
    private readonly passphrases: Passphrases,
    private readonly log: Log,
  ) {
    super();
    const commands = {
      'pulseBackup.setEncryptionPassphrase': () => this.setPassphrase(),
      'pulseBackup.clearEncryptionPassphrase': () => this.clearPassphrase(),
    };
    for (const registration of registerCommands(commands, log)) this._register(registration);
  }

  private async setPassphrase(): Promise<void> {
    const folder = await pickWorkspaceFolder(this.config, 'Set the passphrase of which folder’s encrypted sets?');
    if (!folder) return;
    const ask = (title: string, prompt: string) => vscode.window.showInputBox({ title, prompt, password: true, ignoreFocusOut: true });
    const first = await ask(
      `Passphrase of ${folder.name}'s encrypted sets`,
      "Kept in VS Code's secret storage, never in the settings; verify, restore, prove and compare use it for sets encrypted with it.",
    );
    if (first === undefined || first === '') return;
    const again = await ask(`Passphrase of ${folder.name}'s encrypted sets, again`, 'The same passphrase again.');
    if (again === undefined) return;
    if (again !== first) {
      void showError('The two passphrases differ: nothing was stored. Run Pulse Backup: Set Encryption Passphrase… again.');
      return;
    }
    await this.passphrases.store(folder, first);
    this.log.info(`the passphrase of ${folder.name}'s encrypted sets is kept in secret storage`);
    void showInformation(`Saved the passphrase of ${folder.name}'s encrypted sets in VS Code's secret storage.`);
  }

  private async clearPassphrase(): Promise<void> {
    const folder = await pickWorkspaceFolder(this.config, 'Clear the passphrase of which folder’s encrypted sets?');
    if (!folder) return;
    const had = await this.passphrases.clear(folder);
    if (had) this.log.info(`the passphrase of ${folder.name}'s encrypted sets was removed from secret storage`);
    void showInformation(had ? `Removed the passphrase of ${folder.name}'s encrypted sets from VS Code's secret storage.` : `No passphrase was stored for ${folder.name}.`);
  }
}
