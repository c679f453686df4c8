/**
 * The same command timed while another process keeps one core busy.
 *
 * On this virtual machine a core with nothing to run halts, and waking it
 * again (when pg_dump and its server session hand a query and its answer to
 * each other across two cores) costs far more than on the core already
 * running. A dump of 5,000 small tables is tens of thousands of such round
 * trips: `pg_dump` alone took 2.9–4.3 s with both cores otherwise idle and
 * 1.2–1.6 s with a shell loop busy on one of them, in the same minutes. A
 * backup keeps a core awake itself, reading and splitting the file `pg_dump`
 * writes, so against an idle machine's `pg_dump` it looks better than its
 * own work deserves. With one core busy for both, the two hand their round
 * trips over on the other core alike, and the ratio prices the backup's work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TimedCommand } from './alternating';

/** Time for the loop to be scheduled and its core to stay awake before the command starts. */
const SETTLE_MS = 100;

/** `command`, each run with a busy loop (`sh -c 'while :; do :; done'`) running beside it from before it starts until after it ends. */
export function withOneCoreBusy(command: TimedCommand): TimedCommand {
  return {
    async runOnce(options) {
      const loop = await startBusyLoop();
      try {
        await sleep(SETTLE_MS);
        // The loop's own core-seconds would count as the command's: the machine's CPU is left out here.
        const sample = await command.runOnce(options);
        delete sample.busyCoreSeconds;
        return sample;
      } finally {
        await stopBusyLoop(loop);
      }
    },
  };
}

async function startBusyLoop(): Promise<ChildProcess> {
  const loop = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  await once(loop, 'spawn');
  return loop;
}

async function stopBusyLoop(loop: ChildProcess): Promise<void> {
  if (loop.exitCode !== null || loop.signalCode !== null) return;
  const exited = once(loop, 'exit');
  loop.kill('SIGKILL');
  await exited;
}
