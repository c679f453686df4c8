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

/** Each field's values as cron reads them (croner counts days and months from 0 inside: its messages would say 31 for a 32). */
const FIELDS = [
  { name: 'minute', names: undefined, lowest: 0, highest: 59 },
  { name: 'hour', names: undefined, lowest: 0, highest: 23 },
  { name: 'day of the month', names: undefined, lowest: 1, highest: 31 },
  { name: 'month', names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], lowest: 1, highest: 12 },
  { name: 'day of the week', names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], lowest: 0, highest: 7 },
] as const;

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** The most days each month can have (February's 29th comes in leap years, so a schedule on it does fire). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

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
  if (every.startsWith('daily@')) throw everyError(every, 'the time must be HH:MM from 00:00 to 23:59 (e.g. daily@03:30)');
  if (every.startsWith('daily')) throw everyError(every, 'say the time too, as daily@HH:MM (e.g. daily@03:30)');
  const fields = every.split(/\s+/);
  if (fields.length !== 5) throw everyError(every, `a cron expression has five fields (minute hour day-of-month month day-of-week), not ${fields.length}`);
  fields.forEach((field, index) => checkCronSyntax(every, field, FIELDS[index]));
  const times = timesOf(fields.join(' '), `when cron's "${fields.join(' ')}" says`);
  checkItFires(every, fields);
  return times;
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
    for (const number of part.replace(/\/\d+$/, '').match(/\d+/g) ?? []) {
      if (Number(number) < spec.lowest || Number(number) > spec.highest)
        throw everyError(every, `invalid value for ${spec.name}: ${number} (it is ${spec.lowest} to ${spec.highest})`);
    }
  }
}

/**
 * A day of the month that none of the months has (`0 0 31 2 *`): cron takes
 * the line and never runs it. Only when the day of the week is `*`, since
 * otherwise cron's "either" lets the weekdays fire.
 */
function checkItFires(every: string, fields: readonly string[]): void {
  const [, , dayField, , weekdayField] = fields;
  if (!weekdayField.startsWith('*') || dayField.startsWith('*')) return;
  const pattern = new CronPattern(fields.join(' '), undefined, { mode: '5-part' });
  const firstDay = pattern.day.findIndex((set) => set) + 1;
  const months = pattern.month.flatMap((set, index) => (set ? [index] : []));
  if (months.some((month) => MONTH_DAYS[month] >= firstDay)) return;
  const names = months.map((month) => MONTH_NAMES[month]);
  const said = names.length === 1 ? `${names[0]} has` : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} have`;
  throw everyError(every, `this schedule never fires: ${said} no ${ordinal(firstDay)}`);
}

function ordinal(day: number): string {
  const suffix = day % 10 === 1 && day !== 11 ? 'st' : day % 10 === 2 && day !== 12 ? 'nd' : day % 10 === 3 && day !== 13 ? 'rd' : 'th';
  return `${day}${suffix}`;
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
