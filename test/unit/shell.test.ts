import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { quoteShellArgument, shellCommand } from '../../src/core/shell';

/** What a real POSIX shell makes of a command line: its arguments, one per line. */
function argumentsAsShellSeesThem(commandLine: string, env: NodeJS.ProcessEnv = {}, shell = 'sh'): string[] {
  const output = execFileSync(shell, ['-c', `for argument in ${commandLine}; do printf '%s\\0' "$argument"; done`], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return output.split('\0').slice(0, -1);
}

describe('quoting commands for a shell', () => {
  it('leaves plain paths and flags readable', () => {
    assert.equal(quoteShellArgument('/home/ana/backups/factory_pulse_complete_backup_20250901_173948.sql'), '/home/ana/backups/factory_pulse_complete_backup_20250901_173948.sql');
    assert.equal(quoteShellArgument('--mode'), '--mode');
    assert.equal(quoteShellArgument('ON_ERROR_STOP=1'), 'ON_ERROR_STOP=1');
  });

  it('quotes what a shell would split, expand or glob', () => {
    assert.equal(quoteShellArgument('/home/ana/My Backups/a.sql'), "'/home/ana/My Backups/a.sql'");
    assert.equal(quoteShellArgument('$HOME'), "'$HOME'");
    assert.equal(quoteShellArgument('*.sql'), "'*.sql'");
    assert.equal(quoteShellArgument('~/backups'), "'~/backups'");
    assert.equal(quoteShellArgument(''), "''");
    assert.equal(quoteShellArgument('=ls'), "'=ls'", 'zsh expands a leading = to a command path');
  });

  it('closes and reopens the quotes around a single quote', () => {
    assert.equal(quoteShellArgument("Bob's backups"), "'Bob'\\''s backups'");
  });

  it('gives a real shell back every argument exactly as it was', () => {
    const hostile = ['/tmp/My Backups/a.sql', "it's", '$(touch /tmp/pulse-backup-pwned)', '`id`', '"double"', 'back\\slash', '*', '--', '', 'ünïcödé', '!history', '; rm -rf /'];
    assert.deepEqual(argumentsAsShellSeesThem(hostile.map(quoteShellArgument).join(' ')), hostile);
  });

  it("spells a control character with $'…' escapes, which bash gives back exactly, so none reaches the terminal raw", () => {
    const controls = ['a\nb', 'tab\there', "/tmp/x\u001b]0;title\u0007 it's", 'back\\slash\u001b[2J', 'invoice\u202egpj.exe', 'del\u007f', '/srv/zw\u200bx'];
    const quoted = controls.map(quoteShellArgument);
    assert.equal(quoted[0], "$'a\\nb'");
    assert.equal(quoted[2], "$'/tmp/x\\x1b]0;title\\x07 it\\'s'");
    assert.equal(quoted[6], "$'/srv/zw\\xe2\\x80\\x8bx'", 'a character that shows nothing, printed escaped, is typed escaped');
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    for (const word of quoted) assert.doesNotMatch(word, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    assert.deepEqual(argumentsAsShellSeesThem(quoted.join(' '), {}, 'bash'), controls);
  });

  it('writes a variable the person sets as one quoted word', () => {
    const line = shellCommand(['psql', '-d', { variable: 'DATABASE' }, '-f', '/tmp/x y.sql']);
    assert.equal(line, `psql -d "$DATABASE" -f '/tmp/x y.sql'`);
    assert.deepEqual(argumentsAsShellSeesThem(line, { DATABASE: 'postgresql://u@h/db?sslmode=require&x=1 y' }), [
      'psql',
      '-d',
      'postgresql://u@h/db?sslmode=require&x=1 y',
      '-f',
      '/tmp/x y.sql',
    ]);
  });

  it('refuses a variable name a shell would read differently', () => {
    assert.throws(() => shellCommand([{ variable: 'DATA BASE' }]));
  });
});
