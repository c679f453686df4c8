/**
 * verify ÷ sha256sum: what `pulse-backup verify` (checksums, sizes and
 * permissions against the manifest, whole-dump and content checks from the
 * same pass over the bytes, a line in the set's history) costs next to
 * hashing the same three files with sha256sum, the least a careful user would
 * do by hand. The warm-up round leaves the files in the page cache for both,
 * so the ratio is about the work on the bytes, not the disk. `pulse-backup
 * --version` runs in the same rounds: on a small set, node's start-up is much
 * of what the CLI costs.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CLI_PATH, REPO_ROOT, cleanEnv } from '../test/support/cli';
import { timedCommand, type TimedCommand } from './alternating';
import { onTheSet, type BenchSet } from './benchSet';
import { assertSucceeded, runTool } from './processes';
import { formatMegabytes, formatRatio, formatSeconds, formatThroughput, measureRounds, measurementSummary, noiseNotes, timeLine } from './report';
import type { BenchContext, BenchSection, SectionResult } from './section';

const RATIO_GOAL = 1.5;
const SHA256SUM = 'sha256sum';
const CLI = 'pulse-backup verify';
const STARTUP = 'pulse-backup --version';

export const verifySection: BenchSection = {
  name: 'verify',
  run: onTheSet(async (context: BenchContext, set: BenchSet): Promise<SectionResult> => {
    // Without --db, verify never connects: nothing of the database's belongs in its environment.
    const env = cleanEnv();
    const sha256sum = findOnPath(SHA256SUM, env);
    const sha256sumVersion = (await runTool(sha256sum, ['--version'], { env })).stdout.split('\n', 1)[0] ?? '';
    const totalBytes = set.files.reduce((sum, file) => sum + file.bytes, 0);
    const sums: { output?: string } = {};

    const measured = await measureRounds(context.log, context.rounds, {
      [SHA256SUM]: sha256sumCommand(sha256sum, set, env, sums),
      [CLI]: verifyCommand(set, env),
      [STARTUP]: startupCommand(env),
    });
    assertSameBytes(set, sums.output);

    const plain = measured[SHA256SUM];
    const cli = measured[CLI];
    const startup = measured[STARTUP];
    const ratio = cli.medianSeconds / plain.medianSeconds;

    return {
      title: `Verify: ${set.id}, 3 files, ${formatMegabytes(totalBytes)}, in the page cache, ${context.rounds} rounds, medians`,
      lines: [
        timeLine('sha256sum 3 files', plain),
        timeLine('pulse-backup verify', cli),
        { label: 'verify ÷ sha256sum', value: formatRatio(ratio), goal: { text: `≤ ${RATIO_GOAL}`, met: ratio <= RATIO_GOAL } },
        { label: 'throughput', value: throughputText(totalBytes, cli.medianSeconds, plain.medianSeconds, startup.medianSeconds) },
        { label: 'node start-up', value: `${formatSeconds(startup.medianSeconds)}  (pulse-backup --version, part of every CLI run)` },
      ],
      notes: noiseNotes(measured),
      data: {
        goals: { verifyRatioAtMost: RATIO_GOAL },
        rounds: context.rounds,
        setId: set.id,
        files: set.files.map((file) => ({ type: file.type, bytes: file.bytes })),
        totalBytes,
        sha256sum: { path: sha256sum, version: sha256sumVersion, ...measurementSummary(plain) },
        verify: measurementSummary(cli),
        startup: measurementSummary(startup),
        verifyRatio: ratio,
        throughputBytesPerSecond: { verify: totalBytes / cli.medianSeconds, sha256sum: totalBytes / plain.medianSeconds },
      },
    };
  }),
};

function throughputText(bytes: number, verifySeconds: number, sha256sumSeconds: number, startupSeconds: number): string {
  const text = `verify ${formatThroughput(bytes, verifySeconds)}, sha256sum ${formatThroughput(bytes, sha256sumSeconds)}`;
  // A difference of two medians, so only an estimate; it tells reading and hashing apart from node's fixed cost.
  const working = verifySeconds - startupSeconds;
  return working > 0 ? `${text}  (verify ≈ ${formatThroughput(bytes, working)} after node start-up)` : text;
}

export function sha256sumCommand(sha256sum: string, set: BenchSet, env: NodeJS.ProcessEnv, sums: { output?: string }): TimedCommand {
  return timedCommand(async () => {
    const result = await runTool(
      sha256sum,
      set.files.map((file) => file.path),
      { env },
    );
    assertSucceeded(SHA256SUM, result);
    sums.output = result.stdout;
  });
}

function verifyCommand(set: BenchSet, env: NodeJS.ProcessEnv): TimedCommand {
  return timedCommand(async () => {
    assertSucceeded(CLI, await runTool(process.execPath, [CLI_PATH, 'verify', set.id, '--dir', set.folder], { env, cwd: REPO_ROOT }));
  });
}

function startupCommand(env: NodeJS.ProcessEnv): TimedCommand {
  return timedCommand(async () => {
    assertSucceeded(STARTUP, await runTool(process.execPath, [CLI_PATH, '--version'], { env, cwd: REPO_ROOT }));
  });
}

/** sha256sum must have hashed the very bytes the manifest describes, or the two commands did different work. */
export function assertSameBytes(set: BenchSet, output: string | undefined): void {
  const hashes = new Map<string, string>();
  for (const line of (output ?? '').split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match) hashes.set(match[2], match[1]);
  }
  for (const file of set.files) {
    const hash = hashes.get(file.path);
    if (hash !== file.sha256) throw new Error(`sha256sum gives ${hash ?? 'nothing'} for ${file.path}, the manifest ${file.sha256}`);
  }
}

/** Found once, as a PATH lookup would, so that the report names the sha256sum that was timed. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string {
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  throw new Error(`${name} is not on PATH: install coreutils to compare verify with it`);
}
