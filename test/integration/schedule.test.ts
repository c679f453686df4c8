/**
 * `pulse-backup schedule print`: what it prints runs, the way cron and
 * systemd run it, and makes a backup set; the password given when printing
 * is never in what it prints, and the scheduled run reads it from where the
 * person keeps it (~/.pgpass, a password file, the service's environment file).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity } from '../../src/core/crypto/keys';
import { assertOneLineError, CLI_PATH, runCli } from '../support/cli';
import { listSets, useServer, useTempFolders } from '../support/integration';
import { cronCommand, crontabLineOf, environmentOf, execStartWords, expandSpecifiers, unitFilesOf, unitSettings } from '../support/schedule';

describe('schedule print', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-schedule-');
  const database = 'scheduled';

  before(async function () {
    await server.createDatabase(database);
    await server.query(database, "CREATE TABLE presses (id int PRIMARY KEY, name text); INSERT INTO presses SELECT n, 'press ' || n FROM generate_series(1, 50) n;");
  });

  /** A project folder whose name a shell and cron would both trip over if it were not quoted: a space, a %, a quote. */
  function project(): string {
    const folder = join(newFolder(), "plant 1% 'north'");
    mkdirSync(folder);
    return folder;
  }

  /** A home folder as cron's user has it, with the password in ~/.pgpass when asked. */
  function home(withPgpass: boolean): string {
    const folder = newFolder();
    if (withPgpass) writeFileSync(join(folder, '.pgpass'), `${server.host}:${server.port}:*:${server.user}:${server.password}\n`, { mode: 0o600 });
    return folder;
  }

  function assertNoPassword(text: string): void {
    assert.ok(!text.includes(server.password), `the password is in:\n${text.replaceAll(server.password, '<PASSWORD>')}`);
  }

  it('--cron: the line, run by sh -c as cron runs it (env -i HOME PATH=/usr/bin:/bin), makes a set; the password stays in ~/.pgpass', async function () {
    const folder = project();
    const printed = await runCli(['schedule', 'print', '--cron', '--db', server.url(database), '--every', '*/5 * * * *', '--keep-daily', '7', '--compress', 'gzip'], {
      cwd: folder,
    });
    assert.equal(printed.code, 0, printed.stderr);
    assertNoPassword(printed.stdout + printed.stderr);
    assert.match(printed.stderr, /^pulse-backup: note: the password given here is left out of the schedule, so the scheduled backup will not have it: put it in ~\/\.pgpass/m);
    const line = crontabLineOf(printed.stdout);
    assert.ok(line.startsWith(`*/5 * * * * umask 077; mkdir -p `), line);
    assert.ok(line.includes(`${process.execPath} ${CLI_PATH} backup`), 'absolute paths to node and the CLI');
    assert.ok(line.includes(`--db postgresql://${server.user}@${server.host}:${server.port}/${database} `), 'the connection without its password');
    assert.ok(line.includes('--keep-daily 7') && line.includes('--compress gzip'), 'the backup flags given');

    const cronHome = home(true);
    const run = spawnSync('env', ['-i', `HOME=${cronHome}`, 'PATH=/usr/bin:/bin', 'sh', '-c', cronCommand(line)], { cwd: cronHome, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout + run.stderr, '', 'everything went to the log');
    const sets = await listSets(join(folder, 'backups'));
    assert.equal(sets.length, 1);
    assert.equal(sets[0].status, 'complete');
    assert.equal(sets[0].purpose, 'backup');
    assert.match(sets[0].id, /^plant_1_north_\d{8}_\d{6}$/);
    assert.ok(
      sets[0].files.every((file) => file.name.endsWith('.sql.gz')),
      'compressed, as asked',
    );
    const log = readFileSync(join(folder, 'backups', 'pulse-backup.log'), 'utf8');
    assert.match(log, new RegExp(`^Backup set ${sets[0].id} written to `, 'm'));
    assertNoPassword(log);
  });

  it('--cron --password-file: the scheduled run reads the file, which must be its owner’s alone', async function () {
    const folder = project();
    const passwordFile = join(newFolder(), 'db password');
    writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o644 });
    const open = await runCli(['schedule', 'print', '--cron', '--db', server.url(database), '--password-file', passwordFile], { cwd: folder });
    assertOneLineError(open, 2);
    assert.match(open.stderr, /the password file .* can be read by other users: make it yours alone \(chmod 600 /);

    spawnSync('chmod', ['600', passwordFile]);
    const printed = await runCli(['schedule', 'print', '--cron', '--db', server.url(database), '--password-file', passwordFile, '--every', 'daily@02:15'], { cwd: folder });
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stderr, '', 'no note: the password has its place');
    assertNoPassword(printed.stdout);
    assert.match(printed.stdout, /^# .* every day at 02:15 \(next: \d{4}-\d\d-\d\d 02:15\)\.$/m);
    const line = crontabLineOf(printed.stdout);
    assert.ok(line.startsWith('15 2 * * * '), line);
    const cronHome = home(false);
    const run = spawnSync('env', ['-i', `HOME=${cronHome}`, 'PATH=/usr/bin:/bin', 'sh', '-c', cronCommand(line)], { cwd: cronHome, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, readFileSync(join(folder, 'backups', 'pulse-backup.log'), 'utf8'));
    const sets = await listSets(join(folder, 'backups'));
    assert.deepEqual(
      sets.map((set) => set.status),
      ['complete'],
      readFileSync(join(folder, 'backups', 'pulse-backup.log'), 'utf8'),
    );
  });

  it('--systemd: the units pass systemd-analyze verify, and ExecStart, run as the service runs it, makes a set with the password from its environment file', async function () {
    const folder = project();
    const printed = await runCli(['schedule', 'print', '--systemd', '--db', server.url(database), '--every', '30 2 * * 1-5', '--prefix', 'north'], { cwd: folder });
    assert.equal(printed.code, 0, printed.stderr);
    assertNoPassword(printed.stdout + printed.stderr);
    const files = unitFilesOf(printed.stdout);
    assert.deepEqual([...files.keys()], ['pulse-backup-north.service', 'pulse-backup-north.timer']);
    const service = files.get('pulse-backup-north.service')!;
    const timer = files.get('pulse-backup-north.timer')!;
    assert.deepEqual(unitSettings(timer, 'Timer').get('OnCalendar'), ['Mon..Fri *-*-* 02:30:00']);
    assert.deepEqual(unitSettings(timer, 'Timer').get('Persistent'), ['true']);

    const userHome = home(false);
    const units = join(userHome, '.config', 'systemd', 'user');
    mkdirSync(units, { recursive: true });
    writeFileSync(join(units, 'pulse-backup-north.service'), service);
    writeFileSync(join(units, 'pulse-backup-north.timer'), timer);
    const runtime = join(userHome, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    const verify = spawnSync('systemd-analyze', ['verify', '--user', join(units, 'pulse-backup-north.service'), join(units, 'pulse-backup-north.timer')], {
      env: { PATH: process.env.PATH, HOME: userHome, XDG_RUNTIME_DIR: runtime },
      encoding: 'utf8',
    });
    if (verify.error) console.log('      systemd-analyze verify: skipped: systemd-analyze is not installed here');
    else assert.equal(verify.status, 0, `${verify.stdout}${verify.stderr}`);
    if (!verify.error) assert.equal(verify.stdout + verify.stderr, '', 'not a word of complaint');

    const settings = unitSettings(service, 'Service');
    const environmentFile = expandSpecifiers(settings.get('EnvironmentFile')![0].replace(/^-/, ''), userHome);
    assert.equal(environmentFile, join(userHome, '.config', 'pulse-backup', 'pulse-backup-north.env'));
    mkdirSync(join(userHome, '.config', 'pulse-backup'));
    writeFileSync(environmentFile, `PGPASSWORD=${server.password}\n`, { mode: 0o600 });
    const words = execStartWords(settings.get('ExecStart')![0], userHome);
    const env = {
      HOME: userHome,
      PATH: '/usr/bin:/bin',
      ...environmentOf(settings.get('Environment') ?? [], userHome),
      ...Object.fromEntries(
        readFileSync(environmentFile, 'utf8')
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      ),
    };
    const cwd = expandSpecifiers(settings.get('WorkingDirectory')![0], userHome);
    assert.equal(cwd, folder);
    const run = spawnSync(words[0], words.slice(1), { cwd, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Backup set north_\d{8}_\d{6} written to /m);
    assert.equal((await listSets(join(folder, 'backups'))).length, 1);
  });

  it('refuses, as backup would, the keys and offsite URL every scheduled run would fail on, with no PULSE_BACKUP_PASSPHRASE to fall back on', async function () {
    const folder = project();
    const passphraseFile = join(newFolder(), 'passphrase');
    writeFileSync(passphraseFile, 'correct horse battery staple\n', { mode: 0o600 });
    const env = { ...process.env, PULSE_BACKUP_PASSPHRASE: 'only in this shell' };
    const recipient = generateIdentity().identity.recipient.text;
    const otherIdentityFile = join(newFolder(), 'other.txt');
    writeFileSync(otherIdentityFile, `${generateIdentity().text}\n`, { mode: 0o600 });
    const refused: [string[], RegExp][] = [
      [
        ['--encrypt'],
        /^pulse-backup: encrypting needs a passphrase or age recipients, so the scheduled backup would fail every run: give --passphrase-file FILE \(chmod 600\) or --recipient: /,
      ],
      [
        ['--encrypt', '--passphrase-file', '/nonexistent'],
        /^pulse-backup: cannot read the passphrase file \/nonexistent: it does not exist, so the scheduled backup would fail every run: /,
      ],
      [['--encrypt', '--recipient', 'notakey'], /^pulse-backup: a --recipient value is not an age recipient .*, so the scheduled backup would fail every run: /],
      [['--recipient', 'notakey'], /^pulse-backup: --recipient says whom to encrypt to: it needs --encrypt, so the scheduled backup would fail every run: /],
      [['--offsite', 'notaurl'], /^pulse-backup: "notaurl" is not an s3:\/\/ URL, so the scheduled backup would fail every run: write it as s3:\/\/BUCKET\/PREFIX/],
      [
        ['--encrypt', '--recipient', recipient, '--prove'],
        /^pulse-backup: --prove restores the new set, which is encrypted to age recipients: it needs --identity-file FILE to decrypt it, so the scheduled backup would fail every run: /,
      ],
      [
        ['--encrypt', '--recipient', recipient, '--prove', '--identity-file', otherIdentityFile],
        /^pulse-backup: none of the identities in \S+ belongs to a recipient the new set is encrypted to, so --prove could not decrypt it, so the scheduled backup would fail every run: /,
      ],
      [
        ['--identity-file', '/nonexistent'],
        /^pulse-backup: cannot read the identity file \/nonexistent: it does not exist, so the scheduled backup would fail every run: check the path/,
      ],
    ];
    for (const [flags, message] of refused) {
      for (const printer of ['--cron', '--systemd']) {
        const printed = await runCli(['schedule', 'print', printer, '--db', server.url(database), ...flags], { cwd: folder, env });
        assertOneLineError(printed, 2);
        assert.match(printed.stderr, message, flags.join(' '));
        assert.equal(printed.stdout, '', 'nothing printed');
      }
    }
    const encrypted = await runCli(['schedule', 'print', '--cron', '--db', server.url(database), '--encrypt', '--passphrase-file', passphraseFile], { cwd: folder, env });
    assert.equal(encrypted.code, 0, encrypted.stderr);
    assert.ok(crontabLineOf(encrypted.stdout).includes(`--encrypt --passphrase-file ${passphraseFile}`));
    assert.ok(!encrypted.stdout.includes('correct horse'), 'the passphrase is read, never printed');
  });

  it('names no --db where the connection is the default, which the folder finds again; and needs one of --cron, --systemd', async function () {
    const folder = project();
    const printed = await runCli(['schedule', 'print', '--cron'], { cwd: folder });
    assert.equal(printed.code, 0, printed.stderr);
    assert.ok(!crontabLineOf(printed.stdout).includes('--db'), printed.stdout);
    assert.ok(!printed.stdout.includes('postgres:postgres@'), 'not even the local default password');
    assertOneLineError(await runCli(['schedule', 'print'], { cwd: folder }), 2);
    assertOneLineError(await runCli(['schedule', 'print', '--cron', '--systemd'], { cwd: folder }), 2);
    const bad = await runCli(['schedule', 'print', '--cron', '--every', '0 0 L * *'], { cwd: folder });
    assertOneLineError(bad, 2);
    assert.match(bad.stderr, /--every "0 0 L \* \*" is not hourly, daily@HH:MM or a cron expression: "L" is not a day of the month cron understands/);
    assert.equal(existsSync(join(folder, 'backups')), false, 'printing writes nothing');
  });
});
