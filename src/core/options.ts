/**
 * The one table of what a person can set: for each option, the CLI flag, the
 * environment variable and the VS Code setting that mean the same thing.
 * The CLI's help (src/cli/args.ts), the settings' descriptions (package.json,
 * checked by test/unit/options.test.ts) and the hints each front door words
 * (core/commandLineWords.ts, src/extension/hints.ts) read it from here, so they
 * cannot disagree.
 */

export interface OptionSpec {
  /** The CLI flag without its dashes ("pg-bin-dir"); absent when only the environment sets it. */
  flag?: string;
  /** What the flag's value is, in the help ("DIR"). */
  value?: string;
  /** The environment variable that gives the same value when the flag is not passed. */
  env?: string;
  /** The VS Code setting under pulseBackup. ("clientToolsFolder"), with its title as the Settings editor shows it. */
  setting?: { key: string; title: string };
  /**
   * The VS Code command that sets it for a person (a picker, or one that also
   * keeps a secret); hints in VS Code name it instead of the setting when
   * `preferCommand` is set.
   */
  command?: CommandName;
  /** How VS Code names it where it has no setting (a choice in a dialog, "the restore mode"). */
  vscodeName?: string;
  /** In VS Code, name the command rather than the setting (the connection: its password lives in secret storage). */
  preferCommand?: boolean;
}

/** The remote of a folder's offsite copies, as VS Code's settings hold it. */
const OFFSITE_URL = { key: 'offsite.URL', title: 'Offsite: URL' };

export const OPTIONS = {
  connection: {
    flag: 'db',
    value: 'URL',
    env: 'PULSE_BACKUP_DB_URL',
    setting: { key: 'connectionURL', title: 'Connection URL' },
    command: 'configureConnection',
    preferCommand: true,
  },
  backupsFolder: { flag: 'dir', value: 'DIR', env: 'PULSE_BACKUP_DIR', setting: { key: 'backupsFolder', title: 'Backups Folder' }, command: 'chooseBackupsFolder' },
  filePrefix: { flag: 'prefix', value: 'NAME', setting: { key: 'filePrefix', title: 'File Prefix' } },
  clientToolsFolder: {
    flag: 'pg-bin-dir',
    value: 'DIR',
    env: 'PULSE_BACKUP_PG_BIN_DIR',
    setting: { key: 'clientToolsFolder', title: 'Client Tools Folder' },
    command: 'chooseClientToolsFolder',
  },
  profile: { flag: 'profile', value: 'PROFILE', setting: { key: 'profile', title: 'Profile' } },
  safetyBackup: { flag: 'no-safety-backup', setting: { key: 'safetyBackupBeforeRestore', title: 'Safety Backup Before Restore' } },
  keepLast: { flag: 'keep-last', value: 'N', setting: { key: 'retention.keepLast', title: 'Retention: Keep Last' } },
  keepHourly: { flag: 'keep-hourly', value: 'N', setting: { key: 'retention.keepHourly', title: 'Retention: Keep Hourly' } },
  keepDaily: { flag: 'keep-daily', value: 'N', setting: { key: 'retention.keepDaily', title: 'Retention: Keep Daily' } },
  keepWeekly: { flag: 'keep-weekly', value: 'N', setting: { key: 'retention.keepWeekly', title: 'Retention: Keep Weekly' } },
  keepMonthly: { flag: 'keep-monthly', value: 'N', setting: { key: 'retention.keepMonthly', title: 'Retention: Keep Monthly' } },
  keepYearly: { flag: 'keep-yearly', value: 'N', setting: { key: 'retention.keepYearly', title: 'Retention: Keep Yearly' } },
  keepSafety: { flag: 'keep-safety', value: 'N' },
  lockTimeout: { flag: 'lock-timeout', value: 'SECONDS' },
  jobs: { flag: 'jobs', value: 'N', setting: { key: 'jobs', title: 'Jobs' } },
  scratchDatabase: { flag: 'scratch-db', value: 'URL', setting: { key: 'scratchServerURL', title: 'Scratch Server URL' } },
  proveAfterBackup: { flag: 'prove', setting: { key: 'proveAfterBackup', title: 'Prove After Backup' } },
  allowRemote: { flag: 'allow-remote' },
  noTablespaces: { flag: 'no-tablespaces' },
  restoreMode: { flag: 'mode', value: 'MODE', vscodeName: 'the restore mode' },
  clean: { flag: 'clean', vscodeName: 'a clean restore' },
  reset: { flag: 'reset', vscodeName: 'the reset' },
  yes: { flag: 'yes' },
  compress: { flag: 'compress', value: 'METHOD', setting: { key: 'compress', title: 'Compress' } },
  encrypt: { flag: 'encrypt', vscodeName: 'encryption' },
  // VS Code keeps the passphrase in its secret storage: the command that stores it stands for the file and the variable there.
  passphrase: {
    flag: 'passphrase-file',
    value: 'FILE',
    env: 'PULSE_BACKUP_PASSPHRASE',
    vscodeName: 'the encryption passphrase',
    command: 'setEncryptionPassphrase',
    preferCommand: true,
  },
  recipient: { flag: 'recipient', value: 'RECIPIENT', vscodeName: 'an age recipient' },
  recipientsFile: { flag: 'recipients-file', value: 'FILE', vscodeName: 'a file of age recipients' },
  identityFile: { flag: 'identity-file', value: 'FILE', vscodeName: 'an age identity file' },
  passwordFile: { flag: 'password-file', value: 'FILE' },
  runIfBackupFails: { flag: 'run-if-backup-fails' },
  schedule: { flag: 'every', value: 'WHEN', setting: { key: 'schedule', title: 'Schedule' } },
  debug: { env: 'PULSE_BACKUP_DEBUG' },
  // Push's --to, pull's --from, list's --remote and backup's --offsite name one remote: in VS Code, the folder's one setting.
  offsiteTarget: { flag: 'to', value: 'URL', setting: OFFSITE_URL },
  offsiteSource: { flag: 'from', value: 'URL', setting: OFFSITE_URL },
  remoteListing: { flag: 'remote', value: 'URL', setting: OFFSITE_URL },
  offsiteAfterBackup: { flag: 'offsite', value: 'URL', setting: OFFSITE_URL },
  offsiteEndpoint: { flag: 'endpoint', value: 'URL', env: 'AWS_ENDPOINT_URL_S3', setting: { key: 'offsite.endpoint', title: 'Offsite: Endpoint' } },
  offsiteRegion: { flag: 'region', value: 'REGION', env: 'AWS_REGION', setting: { key: 'offsite.region', title: 'Offsite: Region' } },
  offsitePathStyle: { flag: 'path-style', setting: { key: 'offsite.pathStyle', title: 'Offsite: Path Style' } },
  // VS Code keeps the keys in its secret storage: the command that stores them stands for a profile there.
  awsProfile: { flag: 'aws-profile', value: 'NAME', env: 'AWS_PROFILE', command: 'setOffsiteCredentials', preferCommand: true },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** The things a person can run, by front-door-neutral name; each front door says how it runs them. */
export const COMMANDS = {
  backup: { cli: 'backup', vscode: { id: 'pulseBackup.backup', title: 'Back Up Database' } },
  verify: { cli: 'verify', vscode: { id: 'pulseBackup.verify', title: 'Verify' } },
  prove: { cli: 'prove', vscode: { id: 'pulseBackup.prove', title: 'Prove Restorable' } },
  diff: { cli: 'diff', vscode: { id: 'pulseBackup.compareWithDatabase', title: 'Compare with Database' } },
  configureConnection: { vscode: { id: 'pulseBackup.configureConnection', title: 'Configure Connection' } },
  chooseBackupsFolder: { vscode: { id: 'pulseBackup.chooseBackupsFolder', title: 'Choose Backups Folder' } },
  chooseClientToolsFolder: { vscode: { id: 'pulseBackup.chooseClientToolsFolder', title: 'Choose Client Tools Folder' } },
  showLog: { vscode: { id: 'pulseBackup.showLog', title: 'Show Log' } },
  setOffsiteCredentials: { vscode: { id: 'pulseBackup.setOffsiteCredentials', title: 'Set Offsite Credentials…' } },
  setEncryptionPassphrase: { vscode: { id: 'pulseBackup.setEncryptionPassphrase', title: 'Set Encryption Passphrase…' } },
} as const satisfies Record<string, { cli?: string; vscode?: { id: string; title: string } }>;

export type CommandName = keyof typeof COMMANDS;

/** The options that have a VS Code setting, with the setting's full key (pulseBackup.clientToolsFolder). */
export function settingOptions(): { name: OptionName; spec: OptionSpec; settingKey: string }[] {
  return (Object.entries(OPTIONS) as [OptionName, OptionSpec][]).flatMap(([name, spec]) => (spec.setting ? [{ name, spec, settingKey: `pulseBackup.${spec.setting.key}` }] : []));
}

/**
 * The sentence that ends a setting's description in package.json, naming
 * what sets the same on the command line (every flag of the options that
 * share the setting, as the offsite URL's do); a unit test holds
 * package.json to it.
 */
export function commandLineNote(settingKey: string): string {
  const specs = settingOptions()
    .filter((candidate) => candidate.settingKey === settingKey)
    .map((candidate) => candidate.spec);
  const parts = specs.flatMap((spec) => [
    ...(spec.flag === undefined ? [] : [`\`--${spec.flag}${spec.value ? ` ${spec.value}` : ''}\``]),
    ...(spec.env === undefined ? [] : [`\`${spec.env}\``]),
  ]);
  const listed = parts.length <= 2 ? parts.join(' or ') : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
  return `On the command line: ${listed}.`;
}

/** The option a CLI flag sets, if the table has it. */
export function optionOfFlag(flag: string): OptionSpec | undefined {
  return (Object.values(OPTIONS) as OptionSpec[]).find((spec) => spec.flag === flag);
}
