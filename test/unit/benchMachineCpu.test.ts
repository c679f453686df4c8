/**
 * The benchmark's machine CPU: a run that keeps a core busy shows busy
 * core-seconds, never more than the cores could give in its time.
 */
import * as assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { measureAlternating, timedCommand } from '../../bench/alternating';
import { busyTicks } from '../../bench/machineCpu';

describe('bench: machine CPU of a timed run', function () {
  before(function () {
    if (busyTicks() === undefined) this.skip(); // no /proc/stat: the report leaves the CPU out
  });

  it('counts a core kept busy, within what the cores can give', async function () {
    const spin = timedCommand(() => {
      const until = performance.now() + 400;
      while (performance.now() < until);
      return Promise.resolve();
    });
    const { spin: measured } = await measureAlternating({ spin }, { rounds: 3, warmUpRounds: 0 });
    for (const sample of measured.samples) {
      assert.ok(sample.busyCoreSeconds !== undefined);
      // Clock ticks are 10 ms; the loop alone is 0.4 s of one core.
      assert.ok(sample.busyCoreSeconds >= 0.3, `a 0.4 s busy loop counted ${sample.busyCoreSeconds} core-s`);
      assert.ok(sample.busyCoreSeconds <= availableParallelism() * sample.seconds + 0.05, `${sample.busyCoreSeconds} core-s in ${sample.seconds} s`);
    }
    assert.ok(measured.medianBusyCoreSeconds !== undefined);
  });
});
