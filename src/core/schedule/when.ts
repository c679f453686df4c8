/**
 * When a scheduled backup runs: `--every hourly`, `daily@HH:MM` or a
 * five-field cron expression, read once into what both printers need — the
 * crontab's five fields and systemd's OnCalendar= values — so a crontab line
 * and a timer printed for the same words fire at the same minutes.
 *
 * The expression is cron's own (Vixie cron, cronie: numbers, `*`, lists,
 * ranges, steps, month and weekday names); croner checks the values and
 * says when it next fires. Its extensions that no crontab understands (L, W,
 * #, ?, seconds) are refused here, before it reads them.
 */
import { Cron, CronPattern } from 'croner';
import { PulseError } from '../errors';
import { hint, option } from '../hint';

export interface BackupTimes {
  /** The five cron fields, minute first. */
  cron: string;
  /** In words, for the printed comment: "every hour, on the hour", "every day at 03:00". */
  description: string;
  /**
   * systemd's OnCalendar= values: one, or two when cron's rule "the day of
   * the month or the day of the week" has to be said as two calendars
   * (systemd's would both have to match).
   */
  onCalendar: string[];
}

export const DEFAULT_EVERY = 'daily@03:00';

const FIELDS = [
  { name: 'minute', names: undefined },
  { name: 'hour', names: undefined },
  { name: 'day of the month', names: undefined },
  { name: 'month', names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of the week', names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
] as const;

const SYSTEMD_WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Reads --every; a wrong one is a usage error in one line, with examples. */
export function parseEvery(text: string): BackupTimes {
  const every = text.trim();
  if (every === 'hourly') return timesOf('0 * * * *', 'every hour, on the hour');
  const daily = /^daily@(\d{1,2}):(\d{2})$/.exec(every);
  if (daily) {
    const [hour, minute] = [Number(daily[1]), Number(daily[2])];
    if (hour > 23 || minute > 59) throw everyError(every, 'the time must be HH:MM from 00:00 to 23:59');
    return timesOf(`${minute} ${hour} * * *`, `every day at ${String(hour).padStart(2, '0')}:${daily[2]}`);
  }
  if (every.startsWith('daily')) throw everyError(every, 'say the time too, as daily@HH:MM (e.g. daily@03:30)');
  const fields = every.split(/\s+/);
  if (fields.length !== 5) throw everyError(every, `a cron expression has five fields (minute hour day-of-month month day-of-week), not ${fields.length}`);
  fields.forEach((field, index) => checkCronSyntax(every, field, FIELDS[index]));
  return timesOf(fields.join(' '), `when cron's "${fields.join(' ')}" says`);
}

/** The next `count` times the schedule fires after `from`, as cron would (day of the month or of the week, Vixie's rule). */
export function nextRuns(times: BackupTimes, count: number, from: Date = new Date()): Date[] {
  return cronJob(times).nextRuns(count, from);
}

/** The latest time the schedule fired at or before `at`. */
export function previousRun(times: BackupTimes, at: Date): Date | undefined {
  return cronJob(times).previousRuns(1, new Date(at.getTime() + 1))[0];
}

function cronJob(times: BackupTimes): Cron {
  const [, , dayOfMonth, , dayOfWeek] = times.cron.split(' ');
  return new Cron(times.cron, { paused: true, mode: '5-part', domAndDow: dayOfMonth.startsWith('*') || dayOfWeek.startsWith('*') });
}

function timesOf(cron: string, description: string): BackupTimes {
  let pattern: CronPattern;
  try {
    pattern = new CronPattern(cron, undefined, { mode: '5-part' });
  } catch (error) {
    throw everyError(
      cron,
      (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: (.)/, (_match, first: string) => first.toLowerCase()),
    );
  }
  return { cron, description, onCalendar: onCalendarOf(cron, pattern) };
}

/** Only what cron itself reads: `*`, numbers or names, ranges, steps, lists. */
function checkCronSyntax(every: string, field: string, spec: (typeof FIELDS)[number]): void {
  const value = spec.names === undefined ? '\\d+' : `(?:\\d+|${spec.names.join('|')})`;
  const item = new RegExp(`^(?:\\*|${value}(?:-${value})?)(?:/\\d+)?$`, 'i');
  for (const part of field.split(',')) {
    if (!item.test(part))
      throw everyError(every, `"${part}" is not a ${spec.name} cron understands (numbers${spec.names ? ', names' : ''}, *, ranges a-b, steps /n and lists a,b)`);
  }
}

/**
 * The same minutes as systemd calendars. Vixie cron matches a day when the
 * day of the month or the day of the week matches, unless either field
 * starts with `*`, when both must: systemd always wants both, so the "or"
 * becomes two calendars.
 */
function onCalendarOf(cron: string, pattern: CronPattern): string[] {
  const [, , dayField, , weekdayField] = cron.split(' ');
  const minutes = listOf(pattern.minute, 0, (value) => pad(value));
  const hours = listOf(pattern.hour, 0, (value) => pad(value));
  const days = listOf(pattern.day, 1, (value) => pad(value));
  const months = listOf(pattern.month, 1, (value) => pad(value));
  const weekdays = listOf(pattern.dayOfWeek, 0, (value) => SYSTEMD_WEEKDAYS[value]);
  const time = `${hours}:${minutes}:00`;
  const calendar = (weekday: string, day: string) => `${weekday === '*' ? '' : `${weekday} `}*-${months}-${day} ${time}`;
  if (dayField.startsWith('*') || weekdayField.startsWith('*')) return [calendar(weekdays, days)];
  return [calendar('*', days), calendar(weekdays, '*')];
}

/** The values set in one of croner's fields, as a systemd list ("*", "01..05,10"); runs of three or more become ranges. */
function listOf(field: readonly number[], first: number, show: (value: number) => string): string {
  const values = field.flatMap((set, index) => (set ? [index + first] : []));
  if (values.length === field.length) return '*';
  const parts: string[] = [];
  for (let start = 0; start < values.length;) {
    let end = start;
    while (end + 1 < values.length && values[end + 1] === values[end] + 1) end++;
    if (end - start >= 2) parts.push(`${show(values[start])}..${show(values[end])}`);
    else for (let index = start; index <= end; index++) parts.push(show(values[index]));
    start = end + 1;
  }
  return parts.join(',');
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function everyError(every: string, problem: string): PulseError {
  return new PulseError('usage', `--every "${every}" is not hourly, daily@HH:MM or a cron expression: ${problem}`, {
    hint: hint`e.g. ${option('schedule', 'daily@03:30')}, or ${option('schedule', "'30 3 * * 1-5'")} (minute hour day-of-month month day-of-week)`,
  });
}
