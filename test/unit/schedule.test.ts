import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliError } from '../../src/core/commandLineWords';
import { PulseError } from '../../src/core/errors';
import { printableLines } from '../../src/core/format';
import { CRON_COMMAND_LIMIT, CRON_LOG_NAME, crontabLine, crontabText } from '../../src/core/schedule/crontab';
import type { ScheduledBackup } from '../../src/core/schedule/plan';
import { systemdText, systemdUnits } from '../../src/core/schedule/systemd';
import { nextRuns, parseEvery } from '../../src/core/schedule/when';
import { cronCommand, crontabLineOf, environmentOf, execStartWords, unitFilesOf, unitSettings } from '../support/schedule';

function everyError(text: string): string {
  try {
    parseEvery(text);
  } catch (error) {
    assert.ok(error instanceof PulseError);
    assert.equal(error.exitCode, 2);
    return cliError(error);
  }
  assert.fail(`--every ${text} was accepted`);
}

/** The next `count` times systemd's calendars fire after `from`, as `systemd-analyze calendar` says (merged, as a timer with several OnCalendar= fires). */
function systemdRuns(calendars: readonly string[], count: number, from: Date): Date[] | undefined {
  const base = `${from.getFullYear()}-${String(from.getMonth() + 1).padStart(2, '0')}-${String(from.getDate()).padStart(2, '0')} 00:00:00`;
  const times: number[] = [];
  for (const calendar of calendars) {
    const result = spawnSync('systemd-analyze', ['calendar', `--iterations=${count}`, `--base-time=${base}`, calendar], { encoding: 'utf8' });
    if (result.error) return undefined;
    assert.equal(result.status, 0, result.stderr);
    for (const match of result.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)/g)) times.push(new Date(`${match[1]}T${match[2]}`).getTime());
  }
  return [...new Set(times)]
    .sort((a, b) => a - b)
    .slice(0, count)
    .map((time) => new Date(time));
}

describe('schedule: --every', () => {
  it('reads hourly, daily@HH:MM and five-field cron expressions with names, ranges, steps and lists', () => {
    assert.deepEqual(parseEvery('hourly'), { cron: '0 * * * *', description: 'every hour, on the hour', onCalendar: ['*-*-* *:00:00'] });
    assert.deepEqual(parseEvery('daily@3:05'), { cron: '5 3 * * *', description: 'every day at 03:05', onCalendar: ['*-*-* 03:05:00'] });
    assert.deepEqual(parseEvery('*/15 9-17 * * mon-fri').onCalendar, ['Mon..Fri *-*-* 09..17:00,15,30,45:00']);
    assert.deepEqual(parseEvery('5 4 * * 7').onCalendar, ['Sun *-*-* 04:05:00']);
    assert.deepEqual(parseEvery('0 0 1,15 * 5').onCalendar, ['*-*-01,15 00:00:00', 'Fri *-*-* 00:00:00'], "cron's day of the month OR of the week: two calendars");
    assert.deepEqual(parseEvery('30 2 */2 * 1').onCalendar.length, 1, 'a field that starts with * makes it AND, as Vixie cron reads it');
  });

  it('refuses, in one line with examples, what cron would not read', () => {
    assert.equal(
      everyError('daily'),
      `--every "daily" is not hourly, daily@HH:MM or a cron expression: say the time too, as daily@HH:MM (e.g. daily@03:30): e.g. --every daily@03:30, or --every '30 3 * * 1-5' (minute hour day-of-month month day-of-week)`,
    );
    assert.match(everyError('daily@24:00'), /the time must be HH:MM from 00:00 to 23:59/);
    assert.match(everyError('* * * *'), /a cron expression has five fields \(minute hour day-of-month month day-of-week\), not 4/);
    assert.match(everyError('0 0 * * * *'), /five fields .*, not 6/);
    assert.match(everyError('61 * * * *'), /invalid value for minute: 61/);
    for (const extension of ['0 0 L * *', '0 0 * * mon#2', '0 0 * * 5L', '0 0 ? * *', '0 0 15W * *', '@reboot'])
      assert.match(everyError(extension), /is not (a|an) .* cron understands|five fields/, extension);
    assert.match(everyError('0 0 * * january'), /"january" is not a day of the week cron understands/);
    assert.match(everyError('0 0 * mon *'), /"mon" is not a month cron understands/);
    assert.ok(!everyError('*/0 * * * *').includes('\n'));
  });

  it("names a value out of range as the user wrote it, in cron's own counting (not croner's from 0)", () => {
    assert.match(everyError('0 0 32 * *'), /: invalid value for day of the month: 32 \(it is 1 to 31\)/);
    assert.match(everyError('0 0 0 * *'), /: invalid value for day of the month: 0 \(it is 1 to 31\)/);
    assert.match(everyError('0 0 * 13 *'), /: invalid value for month: 13 \(it is 1 to 12\)/);
    assert.match(everyError('0 0 1-40 * *'), /: invalid value for day of the month: 40 /);
    assert.match(everyError('0 0 * * 8'), /: invalid value for day of the week: 8 \(it is 0 to 7\)/);
    assert.match(everyError('0 24 * * *'), /: invalid value for hour: 24 \(it is 0 to 23\)/);
  });

  it('says a daily time that is not HH:MM is not, rather than asking for a time', () => {
    for (const every of ['daily@03:5', 'daily@03:00:00', 'daily@3'])
      assert.match(everyError(every), new RegExp(`^--every "${every}" is not .*: the time must be HH:MM from 00:00 to 23:59 \\(e\\.g\\. daily@03:30\\)`), every);
  });

  it('refuses a schedule that never fires, naming the months that lack the day', () => {
    assert.match(everyError('0 0 31 2 *'), /: this schedule never fires: February has no 31st:/);
    assert.match(everyError('0 0 30 2 *'), /: this schedule never fires: February has no 30th:/);
    assert.match(everyError('0 0 31 4,6,9,11 *'), /: this schedule never fires: April, June, September and November have no 31st:/);
    for (const fires of ['0 0 29 2 *', '0 0 31 2 1', '0 0 30,31 2,4 *', '0 0 31 */2 *']) assert.ok(nextRuns(parseEvery(fires), 1, new Date(2026, 0, 1)).length === 1, fires);
  });

  it("fires at the same minutes in the crontab and in systemd's calendars (systemd-analyze calendar)", function () {
    const from = new Date(2026, 0, 1);
    const expressions = [
      'hourly',
      'daily@03:30',
      '*/20 9-17 * * mon-fri',
      '0 0 1,15 * 5',
      '30 2 */2 * 1',
      '0 0 1-31/2 jan,mar *',
      '5 4 * * 7',
      '0 12 * 2-11/3 sat,sun',
      '45 23 31 * *',
    ];
    let compared = 0;
    for (const expression of expressions) {
      const times = parseEvery(expression);
      const systemd = systemdRuns(times.onCalendar, 12, from);
      if (systemd === undefined) {
        if (this.test) this.test.title += ' (skipped: systemd-analyze is not installed here)';
        this.skip();
      }
      assert.deepEqual(
        systemd.map((date) => date.toISOString()),
        nextRuns(times, 12, from).map((date) => date.toISOString()),
        expression,
      );
      compared++;
    }
    assert.equal(compared, expressions.length);
  });
});

describe('schedule: the crontab line and the systemd units', () => {
  let root: string;
  const weird = 'it\'s 100% $HOME \\ "quoted"';
  /** The same without the backslash, which cron reads itself, so a crontab line refuses it (below). */
  const cronWeird = weird.replace(' \\', '');
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'pulse-backup-schedule-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** A plan whose "backup" is node printing where it runs, its arguments and PGPASSFILE: what the shell or systemd gave it. */
  function plan(folder: string, word = cronWeird): ScheduledBackup {
    return {
      name: 'pulse-backup-plant',
      what: 'plant from postgres@127.0.0.1:5432/plant',
      folder,
      backupsFolder: join(folder, 'back ups'),
      command: [
        process.execPath,
        '-e',
        'console.log(JSON.stringify({ cwd: process.cwd(), argv: process.argv.slice(1), passfile: process.env.PGPASSFILE }))',
        word,
        '--db',
        'postgresql://app@h/d?sslmode=require&options=-c%20x%3D1',
      ],
      environment: { PGPASSFILE: join(folder, 'pass % file') },
      password: { kind: 'libpq', passfile: join(folder, 'pass % file') },
      times: parseEvery('*/10 * * * *'),
    };
  }

  it('runs as cron runs it (sh -c, from the home folder, almost no environment) with every word as given, and appends its output to the log', () => {
    const folder = join(root, "project 1% 'x'");
    mkdirSync(folder);
    const backup = plan(folder);
    const line = crontabLineOf(crontabText(backup, new Date(2026, 0, 1)));
    assert.equal(line, crontabLine(backup));
    assert.match(line, /^\*\/10 \* \* \* \* umask 077; mkdir -p /);
    // cron's own umask.
    const umask = process.umask(0o022);
    const result = spawnSync('env', ['-i', `HOME=${root}`, 'PATH=/usr/bin:/bin', 'sh', '-c', cronCommand(line)], { cwd: root, encoding: 'utf8' });
    process.umask(umask);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout + result.stderr, '', 'cron mails nothing');
    const log = readFileSync(join(folder, 'back ups', CRON_LOG_NAME), 'utf8')
      .trim()
      .split('\n');
    assert.equal(log.length, 2, 'a date line, then the output');
    assert.equal(statSync(join(folder, 'back ups')).mode & 0o777, 0o700, "the backups folder is its owner's alone, as backup makes it, under cron's umask 022");
    assert.equal(statSync(join(folder, 'back ups', CRON_LOG_NAME)).mode & 0o777, 0o600, "the log too: it holds the database's names and the backup's output");
    assert.deepEqual(JSON.parse(log[1]), {
      cwd: folder,
      argv: [cronWeird, '--db', 'postgresql://app@h/d?sslmode=require&options=-c%20x%3D1'],
      passfile: join(folder, 'pass % file'),
    });
  });

  it('says in comments when it runs next and where the password and the output are, never the password', () => {
    const text = crontabText(plan('/srv/plant'), new Date(2026, 0, 1, 8, 3));
    assert.match(text, /^# pulse-backup-plant: back up plant from postgres@127\.0\.0\.1:5432\/plant when cron's "\*\/10 \* \* \* \*" says \(next: 2026-01-01 08:10\)\.$/m);
    assert.match(text, /^# The password is not in this line: each time it runs, the backup reads it from \/srv\/plant\/pass % file /m);
    assert.match(text, /^# Output is appended to \/srv\/plant\/back ups\/pulse-backup\.log\./m);
  });

  it("writes ExecStart's words so that systemd reads them back as given, and the timer catches up (Persistent=true)", () => {
    const backup = plan('/srv/100% plant', weird);
    const { service, timer } = systemdUnits(backup);
    const settings = unitSettings(service.text, 'Service');
    assert.deepEqual(execStartWords(settings.get('ExecStart')![0], '/home/me'), backup.command);
    assert.deepEqual(environmentOf(settings.get('Environment') ?? [], '/home/me'), { PGPASSFILE: join('/srv/100% plant', 'pass % file') });
    assert.deepEqual(settings.get('WorkingDirectory'), ['/srv/100%% plant']);
    assert.deepEqual(settings.get('EnvironmentFile'), ['-%h/.config/pulse-backup/pulse-backup-plant.env']);
    assert.deepEqual(settings.get('Type'), ['oneshot']);
    assert.deepEqual(settings.get('UMask'), ['0077'], "what the run creates is its owner's alone (a user service's umask is 022)");
    const timerSettings = unitSettings(timer.text, 'Timer');
    assert.deepEqual(timerSettings.get('OnCalendar'), ['*-*-* *:00,10,20,30,40,50:00']);
    assert.deepEqual(timerSettings.get('Persistent'), ['true']);
    assert.deepEqual(unitSettings(timer.text, 'Install').get('WantedBy'), ['timers.target']);
    const printed = unitFilesOf(systemdText(backup, new Date(2026, 0, 1)));
    assert.deepEqual([...printed.keys()], ['pulse-backup-plant.service', 'pulse-backup-plant.timer']);
    assert.equal(printed.get('pulse-backup-plant.service'), `${service.text}\n`);
  });

  it('keeps each comment and Description= on one line when a value has a line break (a database named hg_a\\nb), showing it escaped', () => {
    const backup: ScheduledBackup = { ...plan('/srv/plant'), what: 'plant from postgres@/tmp/pg19:55419/hg_a\nb', password: { kind: 'libpq', passfile: '/srv/pass\nfile' } };
    const crontab = crontabText(backup, new Date(2026, 0, 1));
    assert.equal(crontabLineOf(crontab), crontabLine(backup), 'one line that is not a comment');
    assert.match(crontab, /^# pulse-backup-plant: back up plant from postgres@\/tmp\/pg19:55419\/hg_a\\nb when /m);
    assert.match(crontab, /reads it from \/srv\/pass\\nfile \(a line/);
    const printed = systemdText(backup, new Date(2026, 0, 1));
    for (const line of printed.split('\n')) assert.match(line, /^(|# .*|\[\w+\]|[A-Za-z]+=.*)$/, `a line a unit file or its comments cannot hold: ${line}`);
    const { service, timer } = systemdUnits(backup);
    assert.deepEqual(unitSettings(service.text, 'Unit').get('Description'), ['Pulse Backup of plant from postgres@/tmp/pg19:55419/hg_a\\nb']);
    assert.match(unitSettings(timer.text, 'Unit').get('Description')![0], /^Pulse Backup of plant from postgres@\/tmp\/pg19:55419\/hg_a\\nb, when /);
  });

  it("refuses a folder with a line break or control character as the service's WorkingDirectory=, which takes no escapes", () => {
    for (const [folder, shown] of [
      ['/srv/nl\nline', '/srv/nl\\nline'],
      ['/srv/a\x7fb', '/srv/a\\u007fb'],
    ]) {
      assert.throws(
        () => systemdUnits(plan(folder)),
        (error: unknown) =>
          error instanceof PulseError &&
          error.exitCode === 2 &&
          error.message === `a folder whose name has a line break or control character cannot be a systemd unit's WorkingDirectory= (${shown})`,
      );
    }
  });

  it('writes control characters in ExecStart= and Environment= as C escapes, which systemd reads back as they were and the terminal shows as written', () => {
    const word = 'a\x7fb \x1b[31m \u202eabc\ttab zw\u200bx';
    const backup: ScheduledBackup = { ...plan('/srv/plant', word), environment: { PGSSLROOTCERT: `/srv/${word}` } };
    const { service } = systemdUnits(backup);
    assert.equal(printableLines(service.text), service.text, 'nothing the CLI would show otherwise');
    const settings = unitSettings(service.text, 'Service');
    assert.deepEqual(execStartWords(settings.get('ExecStart')![0], '/home/me'), backup.command);
    assert.deepEqual(environmentOf(settings.get('Environment') ?? [], '/home/me'), { PGSSLROOTCERT: `/srv/${word}` });
  });

  it('names no environment file when the password is in a file of its own', () => {
    const backup: ScheduledBackup = { ...plan('/srv/plant'), password: { kind: 'file', path: '/srv/plant/db.password' } };
    assert.equal(unitSettings(systemdUnits(backup).service.text, 'Service').get('EnvironmentFile'), undefined);
    assert.match(systemdText(backup), /the backup reads it from \/srv\/plant\/db\.password \(its first line\)/);
  });

  it('refuses a folder whose name has a line break, which no crontab line can hold', () => {
    assert.throws(() => crontabLine(plan('/srv/two\nlines')), /a path or value with a line break cannot stand in a crontab line/);
  });

  it('refuses a line whose command is longer than crontab installs (998 bytes), saying how long it is and what to do', () => {
    const commandOf = (word: string) => crontabLine(plan('/srv/plant', word)).slice('*/10 * * * * '.length);
    const fits = 'x'.repeat(CRON_COMMAND_LIMIT - commandOf('x').length + 1);
    assert.equal(commandOf(fits).length, 998);
    const error = (() => {
      try {
        commandOf(`${fits}y`);
      } catch (caught) {
        return caught;
      }
      return assert.fail('a 999-byte command was taken');
    })();
    assert.ok(error instanceof PulseError && error.exitCode === 2);
    assert.equal(
      cliError(error),
      'this crontab line\'s command is 999 characters long, and crontab refuses one over 998 ("command too long"): print the systemd units instead (no such limit), or shorten it: a shorter project or backups folder path, fewer flags',
    );
  });

  it('refuses a backslash in any word, which cron would read before sh does (\\\\ becomes \\, \\% a %)', () => {
    for (const backup of [plan('/srv/A\\B'), plan('/srv/plant', 'I\\%J'), { ...plan('/srv/plant', 'x'), environment: { PGSSLROOTCERT: 'C:\\ca.pem' } }])
      assert.throws(() => crontabLine(backup), /^PulseError: a path or value with a backslash cannot stand in a crontab line: cron reads \\\\ and \\% itself$/);
  });

  it('takes a folder whose name joins its letters with a zero-width non-joiner or joiner (Persian, the Indic scripts)', () => {
    for (const folder of ['/home/u/پشتیبان\u200cها', '/srv/क्\u200dष']) assert.ok(crontabLine(plan(folder, 'x')).includes(folder), folder);
  });

  it('refuses a control character in any word, which would reach the terminal as an escape and name another folder', () => {
    for (const [folder, shown] of [
      ['/srv/a\x7fb', '/srv/a\\u007fb'],
      ['/srv/\x1b[31mred', '/srv/\\u001b[31mred'],
      ['/srv/tab\there', '/srv/tab\\there'],
      ['/srv/\u202eabc', '/srv/\\u202eabc'],
      ['/srv/zw\u200bx', '/srv/zw\\u200bx'],
    ]) {
      const error = (() => {
        try {
          crontabLine(plan(folder, 'x'));
        } catch (caught) {
          return caught;
        }
        return assert.fail(`${folder} was taken`);
      })();
      assert.ok(error instanceof PulseError && error.exitCode === 2);
      assert.equal(error.message, `a path or value with a control character cannot stand in a crontab line (${shown})`);
    }
  });
});
