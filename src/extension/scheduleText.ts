/**
 * The words of pulseBackup.schedule, without VS Code: the status bar
 * tooltip's line, and the warning of a scheduled backup that failed.
 */
import type { ScheduleSetting } from './settings';

/** "today at 15:00", "tomorrow at 03:00", "Mon 7 Dec at 03:00": local time, as the schedule reads it. */
export function formatNextRun(next: Date, now: Date): string {
  const time = `${String(next.getHours()).padStart(2, '0')}:${String(next.getMinutes()).padStart(2, '0')}`;
  const day = (date: Date) => new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
  const days = Math.round((day(next) - day(now)) / 86_400_000);
  if (days === 0) return `today at ${time}`;
  if (days === 1) return `tomorrow at ${time}`;
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][next.getDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][next.getMonth()];
  return `${weekday} ${next.getDate()} ${month} at ${time}`;
}

/** The tooltip's line for one folder. */
export function scheduleLine(setting: ScheduleSetting, next: Date | undefined, now: Date): string {
  switch (setting.kind) {
    case 'off':
      return 'Schedule: off (pulseBackup.schedule)';
    case 'invalid':
      return `Schedule: not running: ${setting.error.message}`;
    case 'on':
      return next === undefined
        ? `Schedule: ${setting.times.description}, no time left to run`
        : `Next scheduled backup: ${formatNextRun(next, now)} (${setting.times.description})`;
  }
}
