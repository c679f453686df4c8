import { strict as assert } from 'node:assert';
import { formatNextRun, scheduleLine } from '../../src/extension/scheduleText';
import { readScheduleSetting } from '../../src/extension/settings';

describe('the pulseBackup.schedule setting', () => {
  it("reads off, hourly, daily at a time and cron expressions with the engine's parser", () => {
    assert.deepEqual(readScheduleSetting(undefined), { kind: 'off' });
    assert.deepEqual(readScheduleSetting(' off '), { kind: 'off' });
    assert.deepEqual(readScheduleSetting(''), { kind: 'off' });
    const hourly = readScheduleSetting('hourly');
    assert.equal(hourly.kind === 'on' && hourly.times.cron, '0 * * * *');
    const daily = readScheduleSetting('daily@03:00');
    assert.equal(daily.kind === 'on' && daily.times.cron, '0 3 * * *');
    const cron = readScheduleSetting('*/15 8-18 * * 1-5');
    assert.equal(cron.kind === 'on' && cron.times.cron, '*/15 8-18 * * 1-5');
  });

  it('names the setting, not the CLI flag, for a value it cannot read', () => {
    const wrong = readScheduleSetting('daily@25:00');
    assert.equal(wrong.kind, 'invalid');
    assert.ok(wrong.kind === 'invalid');
    assert.match(wrong.error.message, /^the setting pulseBackup\.schedule \("daily@25:00"\) is not off, hourly, daily@HH:MM or a cron expression: the time must be/);
    assert.doesNotMatch(wrong.error.message, /--every/);
  });

  it('says in the tooltip when the next backup runs, or that the schedule is off', () => {
    const now = new Date(2026, 11, 2, 14, 20);
    const hourly = readScheduleSetting('hourly');
    assert.equal(scheduleLine(hourly, new Date(2026, 11, 2, 15, 0), now), 'Next scheduled backup: today at 15:00 (every hour, on the hour)');
    assert.equal(scheduleLine({ kind: 'off' }, undefined, now), 'Schedule: off (pulseBackup.schedule)');
    assert.equal(formatNextRun(new Date(2026, 11, 3, 3, 0), now), 'tomorrow at 03:00');
    assert.equal(formatNextRun(new Date(2026, 11, 7, 3, 5), now), 'Mon 7 Dec at 03:05');
    assert.match(scheduleLine(readScheduleSetting('hourly at 3'), undefined, now), /^Schedule: not running: the setting pulseBackup\.schedule/);
  });
});
