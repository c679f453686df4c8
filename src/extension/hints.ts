/**
 * The extension's words for a hint's actions: a setting by the title the
 * Settings editor shows ("Pulse Backup: Client Tools Folder"), a command by
 * its palette title, the log instead of PULSE_BACKUP_DEBUG, and nothing of
 * the command line's flags. Advice that fits the folder (no `supabase start`
 * where there is no Supabase project) and sentences that start with a
 * capital letter, as VS Code's own messages do. Pure, so unit tests cover
 * every action without VS Code. And the commands a failure's notification
 * offers for its kind (Configure Connection, Set Offsite Credentials…).
 */
import { PulseError, formatError, toPulseError, type PulseErrorCode } from '../core/errors';
import { nestedWords, wordHint, type Action, type ActionWords } from '../core/hint';
import { COMMANDS, OPTIONS, type CommandName, type OptionSpec } from '../core/options';

/** What the folder an error is about is like, where the advice depends on it. */
export interface HintContext {
  /** The folder has a Supabase project (supabase/config.toml). */
  supabase?: boolean;
}

/** "Pulse Backup: Configure Connection", as the palette shows it. */
export function commandTitle(command: CommandName): string {
  const vscodeCommand: { vscode?: { title: string } } = COMMANDS[command];
  return `Pulse Backup: ${vscodeCommand.vscode?.title ?? command}`;
}

/** 'the setting "Pulse Backup: Client Tools Folder"', or the command that sets it where that is how it is set. */
function settingOf(spec: OptionSpec, value?: string): string {
  if (spec.preferCommand && spec.command) return commandTitle(spec.command);
  if (!spec.setting) return spec.vscodeName === undefined ? 'the command line' : `${spec.vscodeName}${value === undefined ? '' : ` ${value}`}`;
  const named = `the setting "Pulse Backup: ${spec.setting.title}"`;
  return value === undefined ? named : `${named} set to ${value}`;
}

export function extensionWords(context: HintContext = {}): ActionWords {
  const words = (action: Action): string => {
    switch (action.kind) {
      case 'option':
        return settingOf(OPTIONS[action.option], action.value);
      case 'set': {
        const spec: OptionSpec = OPTIONS[action.option];
        if (spec.preferCommand && spec.command) return `run ${commandTitle(spec.command)}`;
        return spec.setting ? `set "Pulse Backup: ${spec.setting.title}" in the settings` : `set ${settingOf(spec)}`;
      }
      case 'run':
        return `run ${commandTitle(action.command)}${action.on === undefined ? '' : ` on ${action.on}`}`;
      case 'see-sets':
        return 'see the sets in the Backups view';
      case 'start-server':
        return context.supabase ? 'start the Supabase stack (supabase start)' : 'start the PostgreSQL server';
      case 'details':
        return `see ${commandTitle('showLog')} for ${action.of ?? 'details'}`;
      case 'command-line':
        return action.otherwise === undefined ? '' : nestedWords(action.otherwise, words);
    }
  };
  return words;
}

/** The same error, its hint worded for VS Code (a plain line from here on). */
export function forExtension(error: unknown, context: HintContext = {}): PulseError {
  const pulseError = toPulseError(error);
  if (pulseError.hint === undefined || pulseError.hint.every((part) => typeof part === 'string')) return pulseError;
  const hint = wordHint(pulseError.hint, extensionWords(context));
  return new PulseError(pulseError.code, pulseError.message, { hint, ...(pulseError.details !== undefined ? { details: pulseError.details } : {}), cause: pulseError });
}

/** An error's one line in the extension's words. */
export function extensionLine(error: unknown, context: HintContext = {}): string {
  return formatError(error, extensionWords(context));
}

/** "Cannot connect to …: start …": the one line, as a sentence, the way VS Code's messages read. */
export function sentenceOf(error: PulseError, context: HintContext = {}): string {
  return capitalise(extensionLine(error, context));
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Command ids the failure notification can offer; registered in commands.ts and offsiteCommands.ts. */
export const FAILURE_ACTIONS = {
  configureConnection: { title: 'Configure Connection', command: 'pulseBackup.configureConnection' },
  clientTools: { title: 'Choose Client Tools Folder', command: 'pulseBackup.chooseClientToolsFolder' },
  backupsFolder: { title: 'Choose Backups Folder', command: 'pulseBackup.chooseBackupsFolder' },
  offsiteCredentials: { title: 'Set Offsite Credentials…', command: 'pulseBackup.setOffsiteCredentials' },
  offsiteSettings: { title: 'Open Offsite Settings', command: 'pulseBackup.openOffsiteSettings' },
  passphrase: { title: 'Set Encryption Passphrase…', command: 'pulseBackup.setEncryptionPassphrase' },
  showLog: { title: 'Show Log', command: 'pulseBackup.showLog' },
} as const;

type FailureAction = (typeof FAILURE_ACTIONS)[keyof typeof FAILURE_ACTIONS];

const CONNECTION_CODES: ReadonlySet<PulseErrorCode> = new Set([
  'connection-refused',
  'connection-timeout',
  'host-not-found',
  'authentication-failed',
  'database-not-found',
  'permission-denied',
  'remote-target',
]);

/** The action that helps with an error of this kind, then always the log. */
export function actionsFor(code: PulseErrorCode): FailureAction[] {
  const actions: FailureAction[] = [];
  if (CONNECTION_CODES.has(code)) actions.push(FAILURE_ACTIONS.configureConnection);
  if (code === 'tools-not-found' || code === 'tools-too-old') actions.push(FAILURE_ACTIONS.clientTools);
  if (code === 'folder-not-writable' || code === 'folder-not-a-folder' || code === 'disk-full') actions.push(FAILURE_ACTIONS.backupsFolder);
  if (code === 'offsite-no-credentials' || code === 'offsite-access-denied') actions.push(FAILURE_ACTIONS.offsiteCredentials);
  if (code === 'offsite-not-configured' || code === 'offsite-bucket-not-found' || code === 'offsite-wrong-region' || code === 'offsite-unreachable')
    actions.push(FAILURE_ACTIONS.offsiteSettings);
  if (code === 'wrong-key' || code === 'key-missing') actions.push(FAILURE_ACTIONS.passphrase);
  actions.push(FAILURE_ACTIONS.showLog);
  return actions;
}
