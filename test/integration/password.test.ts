/**
 * Where the password travels: out of the CLI's own command line as soon as
 * it starts, from ~/.pgpass without the driver's warnings, asked for on a
 * terminal when none was given, and errors that lead to PGPASSWORD, the
 * password file or PULSE_BACKUP_DB_URL rather than to the command line.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExeca } from '../support/execa';
import { assertOneLineError, CLI_PATH, cleanEnv, REPO_ROOT, runCli, startCli } from '../support/cli';
import { useServer, useTempFolders } from '../support/integration';
import { commandLineOf, hasProc } from '../support/proc';
import { skipBecause } from '../support/skip';
import { holdTable } from '../support/tableLock';

describe('the password', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-password-');
  let folder: string;
  const database = 'secret_app';

  before(async function () {
    await server.createDatabase(database);
    await server.query(database, 'CREATE TABLE notes (id int PRIMARY KEY, body text)');
    await server.query(database, "INSERT INTO notes VALUES (1, 'one'), (2, 'two')");
    folder = newFolder();
  });

  /** The server's URL without its password: what a person should put on a command line. */
  const urlWithoutPassword = () => `postgresql://${server.user}@${server.host}:${server.port}/${database}`;

  it("given in --db, leaves the CLI's visible command line before the CLI does anything", async function () {
    if (!hasProc) skipBecause(this, "needs /proc to read a process's command line");
    const dir = join(folder, 'argv');
    // Hold the table, so the backup waits for it while its command line is read.
    const blocker = await holdTable(server.url(database), 'notes');
    const { subprocess } = await startCli(['backup', '--db', server.url(database), '--dir', dir, '--prefix', 'argv']);
    const pid = subprocess.pid!;
    const seen: string[] = [];
    try {
      // The lock entry is the first thing the CLI makes; by then the password must be gone.
      while (!(existsSync(dir) && readdirSync(dir).some((name) => name.startsWith('.pulse-backup.lock')))) {
        const line = commandLineOf(pid);
        if (line === undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      for (let look = 0; look < 20; look += 1) {
        seen.push(commandLineOf(pid) ?? '');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await blocker.release();
    }
    const result = await subprocess;
    assert.equal(result.exitCode, 0, String(result.stderr));
    for (const line of seen) assert.ok(!line.includes(server.password), `the password is in the command line: ${line.replace(server.password, '<password>')}`);
    assert.match(seen[0] ?? '', new RegExp(`backup --db postgresql://${server.user}:\\*\\*\\*\\*@${server.host}:${server.port}/${database} --dir`));
  });

  it('comes from ~/.pgpass without a warning from the driver', async function () {
    const home = mkdtempSync(join(folder, 'home-'));
    writeFileSync(join(home, '.pgpass'), `${server.host}:${server.port}:*:${server.user}:${server.password}\n`, { mode: 0o600 });
    const result = await runCli(['backup', '--db', urlWithoutPassword(), '--dir', join(folder, 'pgpass'), '--prefix', 'pgpass'], { env: { HOME: home } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
  });

  it('missing without a terminal: one line that leads to PGPASSWORD, ~/.pgpass or PULSE_BACKUP_DB_URL, not to the command line', async function () {
    const home = mkdtempSync(join(folder, 'empty-home-'));
    const result = await runCli(['backup', '--db', urlWithoutPassword(), '--dir', join(folder, 'none'), '--prefix', 'none'], { env: { HOME: home } });
    assertOneLineError(result);
    assert.match(result.stderr, /asked for a password for user "postgres" and none was given/);
    assert.match(result.stderr, /set PGPASSWORD, add it to ~\/\.pgpass, or put the whole URL in PULSE_BACKUP_DB_URL/);
    assert.ok(!/PASSWORD@/.test(result.stderr), result.stderr);
  });

  describe('on a terminal', function () {
    /** Runs the CLI in a pseudo-terminal (`script`), typing `typed` once the password prompt shows. */
    async function onTerminal(
      args: string[],
      typed?: string,
      env: NodeJS.ProcessEnv = {},
      prompt = /Password for user \S+ at \S+: $/,
    ): Promise<{ code: number | undefined; output: string }> {
      const execa = await loadExeca();
      const quoted = [process.execPath, CLI_PATH, ...args].map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
      const child = execa('script', ['-qec', quoted, '/dev/null'], {
        cwd: REPO_ROOT,
        env: { ...cleanEnv(), TERM: 'xterm', ...env },
        extendEnv: false,
        reject: false,
        stdin: 'pipe',
        timeout: 60_000,
      });
      let output = '';
      let answered = false;
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (typed !== undefined && !answered && prompt.test(output)) {
          answered = true;
          child.stdin?.write(`${typed}\r`);
        }
      });
      const result = await child;
      return { code: result.exitCode, output };
    }

    before(function () {
      const execa = existsSync('/usr/bin/script') || existsSync('/bin/script');
      if (!execa) skipBecause(this, 'needs util-linux script for a pseudo-terminal');
    });

    it('asks for a password none was given, without echoing it, and backs up with it', async function () {
      const home = mkdtempSync(join(folder, 'tty-home-'));
      const result = await onTerminal(['backup', '--db', urlWithoutPassword(), '--dir', join(folder, 'tty'), '--prefix', 'tty', '--json'], server.password, { HOME: home });
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, new RegExp(`Password for user ${server.user} at ${server.host}:${server.port}: `));
      assert.ok(!result.output.includes(server.password), 'the password is not echoed');
      assert.match(result.output, /"format": "pulse-backup-manifest"/);
    });

    it('Ctrl-C at the passphrase prompt of backup --encrypt says no passphrase was given, and writes nothing', async function () {
      const into = join(folder, 'tty-passphrase');
      const result = await onTerminal(
        ['backup', '--db', server.url(database), '--dir', into, '--prefix', 'ttypass', '--encrypt'],
        '\u0003',
        {},
        /Passphrase to encrypt the backup set: $/,
      );
      assert.equal(result.code, 130, result.output);
      assert.match(result.output, /pulse-backup: no passphrase was given: nothing was changed/);
      assert.ok(!existsSync(into) || readdirSync(into).length === 0, 'nothing was written');
    });

    it('a passphrase with a tab, typed at the prompt with an arrow key on the way, opens the set it encrypted from the environment', async function () {
      const into = join(folder, 'tty-tab');
      const backup = await runCli(['backup', '--db', server.url(database), '--dir', into, '--prefix', 'ttytab', '--encrypt', '--json'], {
        env: { PULSE_BACKUP_PASSPHRASE: 'tab\there' },
      });
      assert.equal(backup.code, 0, backup.stderr);
      const id = (JSON.parse(backup.stdout) as { id: string }).id;
      const result = await onTerminal(['verify', id, '--dir', into], 'tab\the\u001b[Are', {}, /Passphrase of the backup set: $/);
      assert.equal(result.code, 0, result.output);
      assert.doesNotMatch(result.output, /does not decrypt/);
    });

    it('a password on the command line brings a note on where it belongs, and the backup runs', async function () {
      const result = await onTerminal(['backup', '--db', server.url(database), '--dir', join(folder, 'tty-argv'), '--prefix', 'ttyargv']);
      assert.equal(result.code, 0, result.output);
      assert.match(
        result.output,
        /pulse-backup: note: a password on the command line can be read by other users of this machine .*: set PGPASSWORD, add it to ~\/\.pgpass, or put the whole URL in PULSE_BACKUP_DB_URL instead/,
      );
    });
  });
});
