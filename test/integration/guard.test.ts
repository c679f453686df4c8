/**
 * `pulse-backup guard -- COMMAND`: a safety set first, whole and listed
 * before the command starts, then the command with the person's terminal,
 * folder and environment, its exit code passed through. A command that drops
 * a table is undone by restoring that set; a backup that fails keeps the
 * command from running at all.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ListedJson } from '../support/integration';
import { loadExeca } from '../support/execa';
import { assertOneLineError, CLI_PATH, cleanEnv, REPO_ROOT, runCli, startCli } from '../support/cli';
import { assertSameContent } from '../support/fingerprint';
import { listSets, restoreSet, useServer, useTempFolders } from '../support/integration';
import { closedPort } from '../support/ports';
import { skipBecause } from '../support/skip';
import { waitFor } from '../support/wait';

describe('guard', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-guard-');
  const database = 'guarded';
  const original = 'guarded_before';

  before(async function () {
    await server.createDatabase(database);
    await server.query(
      database,
      `CREATE TABLE machines (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
       CREATE TABLE readings (id bigserial PRIMARY KEY, machine_id int NOT NULL REFERENCES machines, taken_at timestamptz NOT NULL, value numeric(10,3));
       CREATE INDEX readings_taken ON readings (taken_at);
       CREATE VIEW latest AS SELECT DISTINCT ON (machine_id) machine_id, value FROM readings ORDER BY machine_id, taken_at DESC;
       INSERT INTO machines (name) SELECT 'press ' || n FROM generate_series(1, 5) n;
       INSERT INTO readings (machine_id, taken_at, value) SELECT 1 + n % 5, '2026-01-01'::timestamptz + n * interval '1 minute', n / 7.0 FROM generate_series(1, 2000) n;`,
    );
    // The database as it is before any guarded command: what a restore of the safety set must give back.
    await server.createDatabase(original, { template: database });
  });

  /** The URL without the password (which the tests give in PGPASSWORD, as a person would). */
  const url = () => `postgresql://${server.user}@${server.host}:${server.port}/${database}`;
  const env = () => ({ PGPASSWORD: server.password, GUARDED_URL: url() });
  const psql = (sql: string) => `psql -X -q -v ON_ERROR_STOP=1 "$GUARDED_URL" -c '${sql}'`;

  it('npm run db:reset that drops a table: the safety set is whole and listed before it starts, and restoring it brings the table back', async function () {
    const project = newFolder();
    const folder = join(project, 'backups');
    // What the command sees when it starts, written by the command itself.
    const seen = join(project, 'seen.json');
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'guarded-project',
        private: true,
        scripts: {
          'db:reset': `echo "$PULSE_BACKUP_SAFETY_SET" > safety-set.txt && "${process.execPath}" "${CLI_PATH}" list --dir backups --json > ${JSON.stringify(seen)} && ${psql('DROP VIEW latest; DROP TABLE readings')}`,
        },
      }),
    );
    const result = await runCli(['guard', '--db', url(), '--prefix', 'plant', '--', 'npm', 'run', 'db:reset'], { cwd: project, env: env() });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^pulse-backup: safety set plant_\d{8}_\d{6} written \(.*\); running npm run db:reset$/m);

    const listed = JSON.parse(readFileSync(seen, 'utf8')) as ListedJson[];
    assert.equal(listed.length, 1, 'one set in the folder when the command started');
    assert.equal(listed[0].purpose, 'safety');
    assert.equal(listed[0].takenBefore, 'npm run db:reset');
    assert.equal(listed[0].status, 'complete', 'whole, with its manifest, before the command started');
    const setId = readFileSync(join(project, 'safety-set.txt'), 'utf8').trim();
    assert.equal(setId, listed[0].id, 'PULSE_BACKUP_SAFETY_SET names it');
    const manifest = JSON.parse(readFileSync(join(folder, `${setId}.manifest.json`), 'utf8')) as { purpose: string; takenBefore?: string };
    assert.equal(manifest.purpose, 'safety');
    assert.equal(manifest.takenBefore, 'npm run db:reset');
    const show = await runCli(['show', setId, '--dir', folder]);
    assert.match(show.stdout, /\(safety backup taken before npm run db:reset\)/);

    const gone = await server.query(database, "SELECT to_regclass('public.readings') AS found");
    assert.equal(gone[0].found, null, 'the command ran: the table is gone');
    const restored = await restoreSet(server, setId, folder, database, 'complete', ['--clean', '--no-safety-backup']);
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(original), server.url(database));
  });

  it('a command that fails: its exit code passes through, with the restore that undoes it, which works as printed', async function () {
    const project = newFolder();
    const folder = join(project, 'sets');
    const result = await runCli(['guard', '--db', url(), '--dir', folder, '--prefix', 'plant', '--', 'sh', '-c', `${psql('DELETE FROM readings WHERE id % 3 = 0')} && exit 7`], {
      cwd: project,
      env: env(),
    });
    assert.equal(result.code, 7, result.stderr);
    const undo = /the safety set (\S+) holds the database as it was before it: (pulse-backup restore .*)$/m.exec(result.stderr);
    assert.ok(undo, result.stderr);
    const args = undo[2]
      .split(' ')
      .slice(1)
      .map((word) => word.replace(/^'(.*)'$/, '$1'));
    assert.deepEqual(args.slice(0, 5), ['restore', undo[1], '--mode', 'complete', '--clean']);
    const restored = await runCli([...args, '--yes'], { cwd: project, env: { PGPASSWORD: server.password } });
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(original), server.url(database));
    const sets = await listSets(folder);
    assert.deepEqual(
      sets.map((set) => set.purpose),
      ['safety', 'safety'],
      "the guard's safety set and the restore's own",
    );
  });

  it('the exit code of a command ended by a signal is 128 + its number, a command that is not there is 127, a script whose interpreter is not there 126', async function () {
    const folder = newFolder();
    const killed = await runCli(['guard', '--db', url(), '--dir', folder, '--prefix', 'sig', '--', 'sh', '-c', 'kill -TERM $$'], { env: env() });
    assert.equal(killed.code, 143, killed.stderr);
    assert.match(killed.stderr, /was ended by SIGTERM \(exit code 143\)/);
    const missing = await runCli(['guard', '--db', url(), '--dir', folder, '--prefix', 'sig', '--', 'no-such-command-here', 'db', 'reset'], { env: env() });
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr.trim().split('\n').at(-1) ?? '', /^pulse-backup: cannot run no-such-command-here: there is no such command on PATH: /);
    // A script that is there, whose #! line names an interpreter that is not: 126, as a shell says it.
    const script = join(folder, 'reset.sh');
    writeFileSync(script, '#!/no/such/interpreter\necho reset\n', { mode: 0o755 });
    const interpreter = await runCli(['guard', '--db', url(), '--dir', folder, '--prefix', 'sig', '--', './reset.sh'], { cwd: folder, env: env() });
    assert.equal(interpreter.code, 126, interpreter.stderr);
    assert.equal(
      interpreter.stderr.trim().split('\n').at(-1),
      'pulse-backup: cannot run ./reset.sh: the interpreter its #! line names (/no/such/interpreter) does not exist: install it, or correct the first line of the script (e.g. #!/usr/bin/env bash)',
    );
    // Saved with Windows line endings, the #! line names "/bin/sh\r".
    writeFileSync(script, '#!/bin/sh\r\necho reset\r\n', { mode: 0o755 });
    const crlf = await runCli(['guard', '--db', url(), '--dir', folder, '--prefix', 'sig', '--', './reset.sh'], { cwd: folder, env: env() });
    assert.equal(crlf.code, 126, crlf.stderr);
    assert.equal(
      crlf.stderr.trim().split('\n').at(-1),
      "pulse-backup: cannot run ./reset.sh: its #! line ends in a carriage return (Windows line endings), so it names /bin/sh\\r, which does not exist: convert the script's line endings (dos2unix, or sed -i 's/\\r$//' on it)",
    );
  });

  it('a backup that fails (the database is down) keeps the command from running: one line, exit 125; --run-if-backup-fails runs it', async function () {
    const project = newFolder();
    const marker = join(project, 'ran');
    const down = `postgresql://${server.user}@127.0.0.1:${await closedPort()}/${database}`;
    const refused = await runCli(['guard', '--db', down, '--dir', join(project, 'backups'), '--', 'touch', marker], { cwd: project, env: env() });
    assertOneLineError(refused, 125);
    assert.match(
      refused.stderr,
      /^pulse-backup: the safety backup failed, so touch .* did not run: cannot connect to PostgreSQL at 127\.0\.0\.1:\d+: connection refused: .*; to run it without a safety set, pass --run-if-backup-fails$/,
    );
    assert.equal(existsSync(marker), false, 'the command did not run');
    assert.equal(existsSync(join(project, 'backups')), false, 'nothing was written');

    const anyway = await runCli(['guard', '--db', down, '--dir', join(project, 'backups'), '--run-if-backup-fails', '--', 'sh', '-c', `touch ${marker}; exit 3`], {
      cwd: project,
      env: env(),
    });
    assert.equal(anyway.code, 3, anyway.stderr);
    assert.match(anyway.stderr, /^pulse-backup: warning: no safety backup \(cannot connect to PostgreSQL .*\); running sh -c .* without one, as --run-if-backup-fails asks$/m);
    assert.equal(existsSync(marker), true, 'the command ran');
  });

  it('a proof that cannot run (its scratch server is down) says the safety set is unproved, not unrestorable; --run-if-backup-fails runs the command with it', async function () {
    const project = newFolder();
    const folder = join(project, 'backups');
    const marker = join(project, 'ran');
    const scratch = `postgresql://${server.user}@127.0.0.1:${await closedPort()}/postgres`;
    const guard = (extra: string[]) =>
      runCli(['guard', '--db', url(), '--dir', folder, '--prefix', 'unproved', '--prove', '--scratch-db', scratch, ...extra, '--', 'touch', marker], { cwd: project, env: env() });
    const refused = await guard([]);
    assertOneLineError(refused, 125);
    assert.match(
      refused.stderr,
      /^pulse-backup: the safety set (unproved_\S+) could not be proved, so touch .* did not run: cannot connect to PostgreSQL at 127\.0\.0\.1:\d+: connection refused: .*; to run it with the unproved safety set, pass --run-if-backup-fails$/,
    );
    assert.equal(existsSync(marker), false, 'the command did not run');
    // A --scratch-db that is no URL at all is named, before any backup: backup --prove and guard --prove alike.
    for (const command of [['backup'], ['guard']]) {
      const bad = await runCli(
        [...command, '--db', url(), '--dir', join(project, 'never'), '--prove', '--scratch-db', 'scratch-server', ...(command[0] === 'guard' ? ['--', 'touch', marker] : [])],
        {
          cwd: project,
          env: env(),
        },
      );
      assertOneLineError(bad, 2);
      assert.match(bad.stderr, /^pulse-backup: the --scratch-db URL is not a valid PostgreSQL URL: /);
      assert.equal(existsSync(join(project, 'never')), false, `${command[0]} wrote nothing`);
    }
    assert.equal(existsSync(marker), false, 'the command did not run');
    const anyway = await guard(['--run-if-backup-fails']);
    assert.equal(anyway.code, 0, anyway.stderr);
    assert.match(
      anyway.stderr,
      /^pulse-backup: warning: the safety set unproved_\S+ could not be proved: cannot connect to PostgreSQL .*; running touch .* all the same, as --run-if-backup-fails asks$/m,
    );
    assert.equal(existsSync(marker), true, 'the command ran');
  });

  it('--prove proves the safety set before the command starts; --compress gzip writes it compressed', async function () {
    const project = newFolder();
    const folder = join(project, 'backups');
    const seen = join(project, 'proof.txt');
    const result = await runCli(
      [
        'guard',
        '--db',
        url(),
        '--dir',
        folder,
        '--prefix',
        'proved',
        '--prove',
        '--compress',
        'gzip',
        '--',
        'sh',
        '-c',
        `"${process.execPath}" "${CLI_PATH}" show "$PULSE_BACKUP_SAFETY_SET" --dir "${folder}" > "${seen}"`,
      ],
      {
        cwd: project,
        env: env(),
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^pulse-backup: the safety set proved_\S+ proved restorable$/m);
    assert.match(readFileSync(seen, 'utf8'), /^ {2}proof {5}.*proved restorable/m, 'the proof was recorded before the command ran');
    const [set] = await listSets(folder);
    assert.deepEqual(
      set.files.map((file) => file.name.replace(/^.*\.sql/, '.sql')),
      ['.sql.gz', '.sql.gz', '.sql.gz'],
    );
  });

  it("the command gets the person's environment without PULSE_BACKUP_DB_URL, in the same folder, and our words stay off its stdout", async function () {
    const project = newFolder();
    const result = await runCli(
      ['guard', '--dir', join(project, 'backups'), '--prefix', 'envcheck', '--', 'sh', '-c', 'pwd; echo "url=${PULSE_BACKUP_DB_URL-unset} mine=$MY_SETTING"'],
      {
        cwd: project,
        env: { PULSE_BACKUP_DB_URL: server.url(database), MY_SETTING: 'kept' },
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `${project}\nurl=unset mine=kept`);
    assert.ok(!result.stderr.includes(server.password), 'no password in what guard says');
  });

  /**
   * A command that counts the times `signal` reaches it: from the first, it
   * waits a second for more, writes the count and exits 3. (Node counts each
   * delivery; a shell's trap would run once for two that come close together.)
   */
  const counting = (signal: string, ready: string, log: string) => [
    process.execPath,
    '-e',
    `const fs = require('node:fs'); let count = 0;
     process.on('${signal}', () => { if (count++ === 0) setTimeout(() => { fs.writeFileSync(${JSON.stringify(log)}, String(count)); process.exit(3); }, 1000); });
     fs.writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000);`,
  ];

  it('SIGTERM to guard reaches the command once, and guard ends with its exit code', async function () {
    const project = newFolder();
    const log = join(project, 'signals');
    const ready = join(project, 'ready');
    const { subprocess } = await startCli(['guard', '--db', url(), '--dir', join(project, 'backups'), '--prefix', 'term', '--', ...counting('SIGTERM', ready, log)], {
      cwd: project,
      env: env(),
    });
    await waitFor('the command to start', () => existsSync(ready));
    subprocess.kill('SIGTERM');
    const result = await subprocess;
    assert.equal(result.exitCode, 3, String(result.stderr));
    assert.equal(readFileSync(log, 'utf8'), '1');
  });

  /**
   * guard in a pseudo-terminal (util-linux `script`), as a person runs it:
   * what is written to `terminal.stdin` is typed. Wrapped, since awaiting the
   * subprocess itself would wait for it to end.
   */
  async function inTerminal(project: string, prefix: string, command: readonly string[]) {
    const execa = await loadExeca();
    const argv = [process.execPath, CLI_PATH, 'guard', '--db', url(), '--dir', join(project, 'backups'), '--prefix', prefix, '--', ...command];
    const quoted = argv.map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
    // exec: guard is the terminal's foreground job on its own, as an interactive shell starts it; a shell left waiting
    // (dash, when SHELL is unset) would be in that job too and die of the Ctrl-C meant for the command.
    const terminal = execa('script', ['-qec', `exec ${quoted}`, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { ...cleanEnv(), ...env(), TERM: 'xterm' },
      extendEnv: false,
      reject: false,
      stdin: 'pipe',
      timeout: 60_000,
    });
    return { terminal };
  }

  describe('in a terminal', function () {
    before(function () {
      if (!(existsSync('/usr/bin/script') || existsSync('/bin/script'))) skipBecause(this, 'needs util-linux script for a pseudo-terminal');
    });

    it('Ctrl-C goes to the command (once), not to guard', async function () {
      const project = newFolder();
      const log = join(project, 'signals');
      const ready = join(project, 'ready');
      const { terminal } = await inTerminal(project, 'ctrlc', counting('SIGINT', ready, log));
      await waitFor('the command to start', () => existsSync(ready));
      terminal.stdin?.write('\x03');
      const result = await terminal;
      assert.equal(result.exitCode, 3, String(result.stdout));
      assert.equal(readFileSync(log, 'utf8'), '1', 'one SIGINT: the terminal sent it, guard did not send another');
    });

    it("the command's question reaches the person, and their answer the command (as prisma migrate reset asks)", async function () {
      const project = newFolder();
      const { terminal } = await inTerminal(project, 'asks', ['sh', '-c', 'printf "Reset the database? "; read answer; echo "answered [$answer]"; [ "$answer" = yes ]']);
      let output = '';
      terminal.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.endsWith('Reset the database? ')) terminal.stdin?.write('yes\r');
      });
      const result = await terminal;
      assert.equal(result.exitCode, 0, output);
      assert.match(output, /answered \[yes\]/);
    });
  });
});
