/**
 * One table maps settings, flags and environment variables
 * (src/core/options.ts). The CLI's flags and help, package.json's settings
 * and commands, and the extension's setting names must all agree with it.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLAGS, helpText } from '../../src/cli/args';
import { COMMANDS as CLI_COMMANDS } from '../../src/cli/commands';
import { COMMANDS, OPTIONS, commandLineNote, settingOptions, type OptionSpec } from '../../src/core/options';
import { RETENTION_SETTINGS, SETTING } from '../../src/extension/settings';

interface PackageSetting {
  markdownDescription?: string;
  markdownDeprecationMessage?: string;
}
const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, PackageSetting> }; commands: { command: string; title: string }[] };
};
const properties = manifest.contributes.configuration.properties;

/**
 * Settings that only VS Code has: nothing on the command line means the same
 * (pushing after each backup is `backup --offsite URL`, the remote's
 * retention `prune --remote URL --keep N`: flags of the URL and of prune).
 */
const VSCODE_ONLY = ['pulseBackup.staleAfterHours', 'pulseBackup.offsite.pushAfterBackup', 'pulseBackup.offsite.keep', 'pulseBackup.offsite.encrypt', 'pulseBackup.guard'];

describe('the one table of settings, flags and environment variables', () => {
  it('names only flags the CLI has, with the value the CLI shows', () => {
    for (const [name, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
      if (spec.flag === undefined) continue;
      const flag = (FLAGS as Record<string, { value?: string } | undefined>)[spec.flag];
      assert.ok(flag, `${name}: --${spec.flag} is not a flag of the CLI`);
      if (spec.value !== undefined) assert.equal(flag.value, spec.value, `${name}: --${spec.flag}`);
    }
  });

  it("shows each flag's environment variable and VS Code setting in the CLI's help", () => {
    const help = helpText(CLI_COMMANDS);
    for (const spec of Object.values(OPTIONS) as OptionSpec[]) {
      if (spec.flag === undefined) continue;
      const line = help.split('\n').find((candidate) => candidate.startsWith(`  --${spec.flag} `)) ?? '';
      assert.ok(line, `--${spec.flag} is in the help`);
      if (spec.env) assert.ok(line.includes(spec.env), `--${spec.flag}: ${line}`);
      if (spec.setting) assert.ok(line.includes(`"Pulse Backup: ${spec.setting.title}"`), `--${spec.flag}: ${line}`);
    }
  });

  it("ends each setting's description in package.json with what sets it on the command line", () => {
    for (const { settingKey } of settingOptions()) {
      const property = properties[settingKey];
      assert.ok(property, `${settingKey} is declared in package.json`);
      assert.ok(property.markdownDescription?.endsWith(commandLineNote(settingKey)), `${settingKey}: ${property.markdownDescription}`);
    }
  });

  it('covers every setting package.json declares, except the renamed ones and those only VS Code has', () => {
    const inTable = new Set(settingOptions().map((option) => option.settingKey));
    const declared = Object.entries(properties)
      .filter(([, property]) => property.markdownDeprecationMessage === undefined)
      .map(([key]) => key)
      .filter((key) => !VSCODE_ONLY.includes(key));
    assert.deepEqual(
      declared.filter((key) => !inTable.has(key)),
      [],
    );
    assert.deepEqual(
      [...inTable].filter((key) => !(key in properties)),
      [],
    );
  });

  it("titles each setting as VS Code's Settings editor does, from its key", () => {
    const titled = (key: string): string =>
      key
        .split('.')
        .map((part) => part.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (letter) => letter.toUpperCase()))
        .join(': ');
    for (const { spec } of settingOptions()) assert.equal(spec.setting?.title, titled(spec.setting?.key ?? ''));
    const extensionKeys = new Set<string>([...Object.values(SETTING), ...Object.values(RETENTION_SETTINGS)]);
    for (const { spec } of settingOptions()) assert.ok(extensionKeys.has(spec.setting?.key ?? ''), `the extension reads ${spec.setting?.key}`);
  });

  it('names commands by the id and title package.json gives them', () => {
    for (const [name, command] of Object.entries(COMMANDS) as [string, { cli?: string; vscode?: { id: string; title: string } }][]) {
      if (command.vscode) {
        const declared = manifest.contributes.commands.find((candidate) => candidate.command === command.vscode?.id);
        assert.equal(declared?.title, command.vscode.title, name);
      }
      if (command.cli)
        assert.ok(
          CLI_COMMANDS.some((candidate) => candidate.name === command.cli),
          `${name}: pulse-backup ${command.cli}`,
        );
    }
  });
});
