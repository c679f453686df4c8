/**
 * push ÷ the SDK alone: what `pulse-backup push` (the files streamed through
 * a SHA-256 into multipart uploads, each object checked after it is written,
 * abandoned uploads looked for first, the manifest last) costs next to
 * uploading the same three files with the AWS SDK's own `Upload` from a
 * plain Node script, both to the same local S3-protocol server (s3rver, as
 * the tests start it) in the same rounds; and push's peak memory, which the
 * bounded part queue must keep far below the set's size.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_PATH, REPO_ROOT, cleanEnv } from '../test/support/cli';
import { startS3Server, type S3TestServer } from '../test/support/s3Server';
import { measureAlternating, timedCommandWith, type TimedCommand } from './alternating';
import { benchSet, type BenchSet } from './benchSet';
import { maxPeakRss, peakRssPerRound, runMeasuringPeakRss } from './peakRss';
import { assertSucceeded } from './processes';
import { formatMegabytes, formatRatio, formatThroughput, measurementSummary, noiseNotes, sampleLogger, timeLine } from './report';
import { freshFolder, removeFolder, type BenchContext, type BenchSection, type SectionResult } from './section';

const RATIO_GOAL = 1.5;
const PEAK_RSS_GOAL_BYTES = 150 * 1024 * 1024;
const CLI = 'pulse-backup push';
const SDK = 'SDK Upload alone';
const SDK_SCRIPT = join(REPO_ROOT, 'bench', 'sdkUpload.cjs');

export const pushSection: BenchSection = {
  name: 'push',
  async run(context: BenchContext): Promise<SectionResult> {
    const set = await benchSet(context);
    const totalBytes = set.files.reduce((sum, file) => sum + file.bytes, 0);
    const s3 = await startS3Server({ bucket: 'pulse-bench' });
    try {
      const env = { ...cleanEnv(), ...s3.env(), AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
      let round = 0;
      const nextPrefix = (name: string) => `${name}-${(round += 1)}`;
      const measured = await measureAlternating(
        { [SDK]: sdkCommand(context, s3, set, env, nextPrefix), [CLI]: pushCommand(context, s3, set, env, nextPrefix) },
        { rounds: context.rounds, warmUpRounds: 1, onSample: sampleLogger(context.log, context.rounds) },
      );
      const sdk = measured[SDK];
      const cli = measured[CLI];
      const ratio = cli.medianSeconds / sdk.medianSeconds;
      const peakRssBytes = maxPeakRss(cli);
      return {
        title: `Push: ${set.id}, 3 files, ${formatMegabytes(totalBytes)}, to s3rver on this machine, ${context.rounds} rounds, medians`,
        lines: [
          timeLine('SDK Upload alone (node script)', sdk),
          timeLine('pulse-backup push', cli),
          { label: 'push ÷ SDK alone', value: formatRatio(ratio), goal: { text: `≤ ${RATIO_GOAL}`, met: ratio <= RATIO_GOAL } },
          { label: 'throughput', value: `push ${formatThroughput(totalBytes, cli.medianSeconds)}, SDK alone ${formatThroughput(totalBytes, sdk.medianSeconds)}` },
          {
            label: 'push peak RSS',
            value: formatMegabytes(peakRssBytes),
            goal: { text: `< ${formatMegabytes(PEAK_RSS_GOAL_BYTES)}`, met: peakRssBytes === undefined ? undefined : peakRssBytes < PEAK_RSS_GOAL_BYTES },
          },
        ],
        notes: [
          's3rver runs in the benchmark process and writes every part to disk: both commands wait on it alike, so the ratio is about what push adds, not about a network',
          ...noiseNotes(measured),
        ],
        data: {
          goals: { pushRatioAtMost: RATIO_GOAL, peakRssBytesBelow: PEAK_RSS_GOAL_BYTES },
          rounds: context.rounds,
          setId: set.id,
          totalBytes,
          sdkAlone: measurementSummary(sdk),
          push: measurementSummary(cli),
          pushRatio: ratio,
          peakRss: { method: context.peakRssMethod, maxBytes: peakRssBytes ?? null, perRoundBytes: peakRssPerRound(cli) },
        },
      };
    } finally {
      await s3.stop();
    }
  },
};

/** Each run uploads under a prefix of its own (a push of a set already there sends nothing), removed afterwards from s3rver's folder. */
function uploadRun(
  s3: S3TestServer,
  nextPrefix: (name: string) => string,
  name: string,
  run: (prefix: string, scratch: string) => Promise<number | undefined>,
  context: BenchContext,
): TimedCommand {
  return timedCommandWith({
    prepare: async () => ({ prefix: nextPrefix(name), scratch: await freshFolder(context, name) }),
    run: async ({ prefix, scratch }) => {
      const peakRssBytes = await run(prefix, scratch);
      return peakRssBytes === undefined ? undefined : { peakRssBytes };
    },
    cleanUp: async ({ prefix, scratch }) => {
      await rm(join(s3.directory, s3.bucket, prefix), { recursive: true, force: true });
      await removeFolder(scratch);
    },
  });
}

function pushCommand(context: BenchContext, s3: S3TestServer, set: BenchSet, env: NodeJS.ProcessEnv, nextPrefix: (name: string) => string): TimedCommand {
  return uploadRun(
    s3,
    nextPrefix,
    'push',
    async (prefix, scratch) => {
      const args = [CLI_PATH, 'push', set.id, '--dir', set.folder, '--to', s3.url(prefix), ...s3.flags()];
      const result = await runMeasuringPeakRss(context.peakRssMethod, process.execPath, args, { env, cwd: REPO_ROOT, scratchFolder: scratch });
      assertSucceeded(CLI, result);
      return result.peakRssBytes;
    },
    context,
  );
}

function sdkCommand(context: BenchContext, s3: S3TestServer, set: BenchSet, env: NodeJS.ProcessEnv, nextPrefix: (name: string) => string): TimedCommand {
  return uploadRun(
    s3,
    nextPrefix,
    'sdk',
    async (prefix, scratch) => {
      const args = [SDK_SCRIPT, s3.bucket, prefix, ...set.files.map((file) => file.path)];
      const result = await runMeasuringPeakRss('unavailable', process.execPath, args, { env, cwd: REPO_ROOT, scratchFolder: scratch });
      assertSucceeded(SDK, result);
      return undefined;
    },
    context,
  );
}
