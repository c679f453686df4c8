/**
 * The passphrase of a folder's encrypted sets (`….sql.age`), kept in
 * VS Code's secret storage by Set Encryption Passphrase… (never in the
 * settings, a log, a terminal or a child's environment) and handed to the
 * engine as a callback it calls only when a file needs it. With none
 * stored, a run asks for it in a password box, and once the run has proved
 * it (the engine checks a key on each file's header before reading on),
 * offers to remember it.
 */
import * as vscode from 'vscode';
import { showInformation } from './notifications';
import type { SetKeys } from '../core/codecs/types';
import { Declined } from './taskTerminal';
import type { Log } from './log';

export const PASSPHRASE_PREFIX = 'pulseBackup.passphrase:';

/** The keys of one run, and what to do once it succeeded. */
export interface RunKeys {
  keys: SetKeys;
  /** The passphrase was typed in for this run (not stored): offer to keep it, now that it opened the set. */
  offerToRemember(): Promise<void>;
}

export class Passphrases {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: Log,
  ) {}

  private key(folder: vscode.WorkspaceFolder): string {
    return `${PASSPHRASE_PREFIX}${folder.uri.toString()}`;
  }

  async stored(folder: vscode.WorkspaceFolder): Promise<string | undefined> {
    const value = await this.secrets.get(this.key(folder));
    return value === undefined || value === '' ? undefined : value;
  }

  async store(folder: vscode.WorkspaceFolder, passphrase: string): Promise<void> {
    this.log.addSecret(passphrase);
    await this.secrets.store(this.key(folder), passphrase);
  }

  /** True when one was stored. */
  async clear(folder: vscode.WorkspaceFolder): Promise<boolean> {
    const had = (await this.stored(folder)) !== undefined;
    await this.secrets.delete(this.key(folder));
    return had;
  }

  /** Only what is stored, never a question: for a report that reads an encrypted file's top when it can. */
  async storedKeys(folder: vscode.WorkspaceFolder): Promise<SetKeys | undefined> {
    const passphrase = await this.stored(folder);
    if (passphrase === undefined) return undefined;
    this.log.addSecret(passphrase);
    return { passphrase: () => Promise.resolve(passphrase) };
  }

  /** The stored passphrase, else asked once (Escape declines the run: nothing is read). */
  forRun(folder: vscode.WorkspaceFolder, what: string): RunKeys {
    let typed: string | undefined;
    let asked: Promise<string> | undefined;
    const passphrase = (): Promise<string> => {
      asked ??= (async () => {
        const stored = await this.stored(folder);
        if (stored !== undefined) {
          this.log.addSecret(stored);
          return stored;
        }
        const answer = await vscode.window.showInputBox({
          title: `Passphrase of ${what}`,
          prompt: `The set is encrypted (age). Pulse Backup: Set Encryption Passphrase… keeps the passphrase of ${folder.name}'s sets in VS Code's secret storage.`,
          password: true,
          ignoreFocusOut: true,
        });
        if (answer === undefined || answer === '') throw new Declined(`no passphrase was given for ${what}`, 'nothing was read');
        this.log.addSecret(answer);
        typed = answer;
        return answer;
      })();
      return asked;
    };
    return {
      keys: { passphrase },
      offerToRemember: async () => {
        if (typed === undefined) return;
        const remember = 'Remember';
        const choice = await showInformation(`Remember the passphrase of ${folder.name}'s encrypted sets in VS Code's secret storage?`, remember, 'Not Now');
        if (choice !== remember) return;
        await this.store(folder, typed);
        this.log.info(`the passphrase of ${folder.name}'s encrypted sets is kept in secret storage`);
      },
    };
  }
}
