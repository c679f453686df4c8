/**
 * backup ÷ pg_dump: what one `pulse-backup backup` (one pg_dump from an
 * exported snapshot, split into three files, checksums, row counts, manifest)
 * costs next to the single plain pg_dump a user could run instead, and next to
 * the old script's three separate pg_dump runs. Also the CLI's peak memory,
 * which must stay bounded however large the database is, and the same pair on
 * a scale-1 database, where what remains is the CLI's fixed cost.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPRESSIONS, type Compression } from '../src/core/codecs/codecs';
import { listSets } from '../src/core/sets/listing';
import { CLI_PATH, REPO_ROOT } from '../test/support/cli';
import { measureAlternating, timedCommand, timedCommandWith, type Measurement, type TimedCommand } from './alternating';
import { maxPeakRss, peakRssPerRound, runMeasuringPeakRss } from './peakRss';
import { assertSucceeded, runTool } from './processes';
import { formatMegabytes, formatRatio, formatSeconds, measurementSummary, noiseNotes, sampleLogger, timeLine } from './report';
import { freshFolder, removeFolder, type BenchContext, type BenchSection, type SectionResult } from './section';
import { SMALL_DATABASE, SMALL_SCALE, smallDatabase } from './smallDatabase';

const RATIO_GOAL = 1.3;
/** The content digests (digest.ts) may add at most this to a backup. */
const DIGESTS_RATIO_GOAL = 1.05;
/** The same backup with PULSE_BACKUP_DIGESTS=off, in the same rounds: what the digests cost. */
const WITHOUT_DIGESTS = 'pulse-backup backup, no digests';
/** The same backup encrypted with a passphrase (age, work factor 18: three scrypts), in the same rounds: what encryption costs. */
const ENCRYPTED = 'pulse-backup backup --encrypt';
const PEAK_RSS_GOAL_BYTES = 150 * 1024 * 1024;
/** The same backup compressed (gzip, and zstd, each at the codec's default level), in the same rounds: what compression costs and saves. */
const COMPRESSED = 'pulse-backup backup --compress gzip';
const COMPRESSED_ZSTD = 'pulse-backup backup --compress zstd';
const COMPRESSED_RATIO_GOAL = 1.5;
const COMPRESSED_COMMANDS: Record<Compression, string> = { gzip: COMPRESSED, zstd: COMPRESSED_ZSTD };
/**
 * Other levels to measure beside each default, in the same rounds
 * (BENCH_GZIP_LEVELS=1,3,6, BENCH_ZSTD_LEVELS=1,3): how the levels were chosen.
 */
function extraLevels(method: Compression): number[] {
  const [text, highest] = method === 'gzip' ? [process.env.BENCH_GZIP_LEVELS, 9] : [process.env.BENCH_ZSTD_LEVELS, 19];
  return (text ?? '')
    .split(',')
    .map((level) => Number(level.trim()))
    .filter((level) => Number.isInteger(level) && level >= 1 && level <= highest);
}
const atLevel = (method: Compression, level: number) => `${COMPRESSED_COMMANDS[method]}, level ${level}`;
const PREFIX = 'bench';
const OLD_SCRIPT_DUMPS: readonly (readonly [file: string, only: readonly string[]])[] = [
  ['schema.sql', ['--schema-only']],
  ['data.sql', ['--data-only']],
  ['complete.sql', []],
];

export const backupSection: BenchSection = {
  name: 'backup',
  async run(context: BenchContext): Promise<SectionResult> {
    const { database } = context;
    // Loaded first, so that nothing but the commands under test runs between rounds.
    const smallDatabaseBytes = await smallDatabase(context);

    const observed: ObservedRuns = { pgDumpsRunByCli: new Set() };
    const onSample = sampleLogger(context.log, context.rounds);
    const full: Record<string, Measurement> = await measureAlternating<string>(
      {
        'pg_dump -f': plainDumpCommand(context, database.name, observed),
        'pulse-backup backup': backupCommand(context, database.name, observed),
        [WITHOUT_DIGESTS]: backupCommand(context, database.name, observed, { digests: false }),
        [ENCRYPTED]: backupCommand(context, database.name, observed, { encrypt: true }),
        ...Object.fromEntries(
          COMPRESSIONS.flatMap((method): [string, TimedCommand][] => [
            [COMPRESSED_COMMANDS[method], backupCommand(context, database.name, observed, { compress: method })],
            ...extraLevels(method).map((level): [string, TimedCommand] => [atLevel(method, level), backupCommand(context, database.name, observed, { compress: method, level })]),
          ]),
        ),
        'old script (3× pg_dump)': oldScriptCommand(context, database.name),
      },
      { rounds: context.rounds, warmUpRounds: 1, onSample },
    );
    context.log(`the same on ${SMALL_DATABASE} (scale ${SMALL_SCALE}):`);
    const fixedCost = await measureAlternating(
      {
        'pg_dump -f': plainDumpCommand(context, SMALL_DATABASE, { pgDumpsRunByCli: new Set() }),
        'pulse-backup backup': backupCommand(context, SMALL_DATABASE, observed),
      },
      { rounds: context.rounds, warmUpRounds: 1, onSample },
    );
    // Node's own start is part of every CLI run and none of pg_dump's. An
    // environment with NODE_EXTRA_CA_CERTS makes Node read its root
    // certificates and that file before any script runs: measured both ways.
    const cliEnv = context.cliConnection(SMALL_DATABASE).env;
    const extraCaCerts = cliEnv.NODE_EXTRA_CA_CERTS !== undefined;
    const nodeStart: Record<string, Measurement> = await measureAlternating<string>(
      extraCaCerts
        ? { [NODE_ALONE]: nodeAloneCommand(cliEnv), [NODE_ALONE_WITHOUT_CA_CERTS]: nodeAloneCommand(withoutExtraCaCerts(cliEnv)) }
        : { [NODE_ALONE]: nodeAloneCommand(cliEnv) },
      { rounds: context.rounds, warmUpRounds: 1, onSample },
    );
    const nodeAlone = nodeStart[NODE_ALONE];
    const nodeAloneWithoutCaCerts = extraCaCerts ? nodeStart[NODE_ALONE_WITHOUT_CA_CERTS] : undefined;
    assertCliRanOurPgDump(context, observed);

    const plain = full['pg_dump -f'];
    const backup = full['pulse-backup backup'];
    const oldScript = full['old script (3× pg_dump)'];
    const withoutDigests = full[WITHOUT_DIGESTS];
    const encrypted = full[ENCRYPTED];
    const encryptedRatio = encrypted.medianSeconds / backup.medianSeconds;
    const backupRatio = backup.medianSeconds / plain.medianSeconds;
    const digestsRatio = backup.medianSeconds / withoutDigests.medianSeconds;
    const oldScriptRatio = oldScript.medianSeconds / plain.medianSeconds;
    const peakRssBytes = maxPeakRss(backup);
    const compressed = full[COMPRESSED];
    const compressedRatio = compressed.medianSeconds / plain.medianSeconds;
    const compressedPeakRssBytes = maxPeakRss(compressed);
    const sizeRatio = (command: string): number | undefined => {
      const stored = observed.setBytes?.[command];
      const plainSet = observed.setBytes?.['pulse-backup backup'];
      return stored === undefined || plainSet === undefined ? undefined : stored / plainSet;
    };
    const compressionLine = (label: string, command: string) => {
      const ratio = full[command].medianSeconds / plain.medianSeconds;
      const size = sizeRatio(command);
      const rss = maxPeakRss(full[command]);
      return {
        label,
        value: `${formatRatio(ratio)} of pg_dump (${formatSeconds(full[command].medianSeconds)}); set ${size === undefined ? '?' : `${formatRatio(size)} of a plain set's size`} (${formatMegabytes(observed.setBytes?.[command] ?? 0)}); peak RSS ${formatMegabytes(rss)}`,
      };
    };
    const smallPeakRssBytes = maxPeakRss(fixedCost['pulse-backup backup']);

    return {
      title: `Backup: ${database.sample}, scale ${database.scale}, ${formatMegabytes(database.sizeBytes)} database, ${context.rounds} rounds, medians`,
      lines: [
        timeLine('pg_dump -f FILE', plain),
        timeLine('pulse-backup backup', backup),
        timeLine('old script (3× pg_dump)', oldScript),
        { label: 'backup ÷ pg_dump', value: formatRatio(backupRatio), goal: { text: `≤ ${RATIO_GOAL}`, met: backupRatio <= RATIO_GOAL } },
        { label: 'old script ÷ pg_dump', value: formatRatio(oldScriptRatio) },
        timeLine('backup without digests', withoutDigests),
        {
          label: 'backup ÷ without digests',
          value: `${formatRatio(digestsRatio)}  (${formatSeconds(backup.medianSeconds - withoutDigests.medianSeconds)} for the rows' and the schema's digests)`,
          goal: { text: `≤ ${DIGESTS_RATIO_GOAL}`, met: digestsRatio <= DIGESTS_RATIO_GOAL },
        },
        timeLine('backup --encrypt', encrypted),
        {
          label: 'backup --encrypt ÷ backup',
          value: `${formatRatio(encryptedRatio)}  (${formatSeconds(encrypted.medianSeconds - backup.medianSeconds)} for age: a passphrase's scrypt per file, ChaCha20-Poly1305 on every byte; peak RSS ${formatMegabytes(maxPeakRss(encrypted))}, scrypt's 256 MiB included)`,
        },
        timeLine('backup --compress gzip', compressed),
        {
          ...compressionLine('--compress gzip ÷ pg_dump', COMPRESSED),
          goal: {
            text: `≤ ${COMPRESSED_RATIO_GOAL}, RSS < ${formatMegabytes(PEAK_RSS_GOAL_BYTES)}`,
            met: compressedRatio <= COMPRESSED_RATIO_GOAL && (compressedPeakRssBytes ?? 0) < PEAK_RSS_GOAL_BYTES,
          },
        },
        ...extraLevels('gzip').map((level) => compressionLine(`  gzip level ${level}`, atLevel('gzip', level))),
        timeLine('backup --compress zstd', full[COMPRESSED_ZSTD]),
        compressionLine('--compress zstd ÷ pg_dump', COMPRESSED_ZSTD),
        ...extraLevels('zstd').map((level) => compressionLine(`  zstd level ${level}`, atLevel('zstd', level))),
        {
          label: 'peak RSS',
          value: `${formatMegabytes(peakRssBytes)} (scale ${SMALL_SCALE}: ${formatMegabytes(smallPeakRssBytes)})`,
          goal: {
            text: `< ${formatMegabytes(PEAK_RSS_GOAL_BYTES)}`,
            met: peakRssBytes === undefined ? undefined : peakRssBytes < PEAK_RSS_GOAL_BYTES,
          },
        },
        {
          label: `scale ${SMALL_SCALE}: backup / pg_dump`,
          value: `${formatSeconds(fixedCost['pulse-backup backup'].medianSeconds)} / ${formatSeconds(fixedCost['pg_dump -f'].medianSeconds)}  (fixed cost)`,
        },
        {
          label: 'node -e 0',
          value: `${formatSeconds(nodeAlone.medianSeconds)}  (Node's own start, in every CLI run${
            nodeAloneWithoutCaCerts ? `; ${formatSeconds(nodeAloneWithoutCaCerts.medianSeconds)} without NODE_EXTRA_CA_CERTS, which this environment sets` : ''
          })`,
        },
      ],
      notes: [...noiseNotes(full), ...noiseNotes(fixedCost).map((note) => `scale ${SMALL_SCALE}: ${note}`), ...noiseNotes(nodeStart)],
      data: {
        goals: { backupRatioAtMost: RATIO_GOAL, peakRssBytesBelow: PEAK_RSS_GOAL_BYTES, digestsRatioAtMost: DIGESTS_RATIO_GOAL, compressedRatioAtMost: COMPRESSED_RATIO_GOAL },
        backupWithoutDigests: measurementSummary(withoutDigests),
        digestsRatio,
        backupEncrypted: measurementSummary(encrypted),
        encryptedRatio,
        encryptedPeakRssBytes: maxPeakRss(encrypted) ?? null,
        backupCompressed: measurementSummary(compressed),
        compressedRatio,
        compressedPeakRssBytes: compressedPeakRssBytes ?? null,
        compressedSizeRatio: sizeRatio(COMPRESSED) ?? null,
        setBytes: observed.setBytes ?? {},
        backupZstd: measurementSummary(full[COMPRESSED_ZSTD]),
        zstdRatio: full[COMPRESSED_ZSTD].medianSeconds / plain.medianSeconds,
        zstdPeakRssBytes: maxPeakRss(full[COMPRESSED_ZSTD]) ?? null,
        zstdSizeRatio: sizeRatio(COMPRESSED_ZSTD) ?? null,
        ...Object.fromEntries(
          COMPRESSIONS.map((method) => [
            `${method}Levels`,
            Object.fromEntries(
              extraLevels(method).map((level) => [
                level,
                {
                  backup: measurementSummary(full[atLevel(method, level)]),
                  ratio: full[atLevel(method, level)].medianSeconds / plain.medianSeconds,
                  sizeRatio: sizeRatio(atLevel(method, level)) ?? null,
                },
              ]),
            ),
          ]),
        ),
        plainDumpBytes: observed.plainDumpBytes ?? null,
        pgDump: measurementSummary(plain),
        backup: measurementSummary(backup),
        oldScript: measurementSummary(oldScript),
        backupRatio,
        oldScriptRatio,
        peakRss: { method: context.peakRssMethod, maxBytes: peakRssBytes ?? null, perRoundBytes: peakRssPerRound(backup) },
        smallDatabase: {
          name: SMALL_DATABASE,
          scale: SMALL_SCALE,
          sizeBytes: smallDatabaseBytes,
          pgDump: measurementSummary(fixedCost['pg_dump -f']),
          backup: measurementSummary(fixedCost['pulse-backup backup']),
          nodeAlone: measurementSummary(nodeAlone),
          nodeAloneWithoutExtraCaCerts: nodeAloneWithoutCaCerts ? measurementSummary(nodeAloneWithoutCaCerts) : null,
          peakRss: { maxBytes: smallPeakRssBytes ?? null, perRoundBytes: peakRssPerRound(fixedCost['pulse-backup backup']) },
        },
      },
    };
  },
};

const NODE_ALONE = 'node -e 0';
const NODE_ALONE_WITHOUT_CA_CERTS = 'node -e 0 without NODE_EXTRA_CA_CERTS';

export function nodeAloneCommand(env: NodeJS.ProcessEnv): TimedCommand {
  return timedCommand(async () => {
    assertSucceeded(NODE_ALONE, await runTool(process.execPath, ['-e', '0'], { env }));
  });
}

function withoutExtraCaCerts(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env };
  delete rest.NODE_EXTRA_CA_CERTS;
  return rest;
}

/** What the untimed clean-ups saw of the runs before deleting their files. */
export interface ObservedRuns {
  plainDumpBytes?: number;
  /** The size of the set each backup command wrote (its dump files as stored), by the command's label. */
  setBytes?: Record<string, number>;
  pgDumpsRunByCli: Set<string>;
}

// pg_dump 15 does not fsync a plain dump, and the CLI fdatasyncs its three
// files: that durability is part of what the ratio prices.
export function plainDumpCommand(context: BenchContext, database: string, observed: ObservedRuns): TimedCommand {
  const env = context.toolEnv(database);
  return timedCommandWith({
    prepare: () => freshFolder(context, 'pg_dump'),
    run: async (folder) => {
      assertSucceeded('pg_dump', await runTool(context.tools.pgDump.path, ['-f', join(folder, 'complete.sql')], { env }));
    },
    cleanUp: async (folder) => {
      observed.plainDumpBytes = (await stat(join(folder, 'complete.sql')).catch(() => undefined))?.size ?? observed.plainDumpBytes;
      await removeFolder(folder);
    },
  });
}

/**
 * pg_dump's own parallel dump (`-Fd -j N`, uncompressed, so it does no work a
 * plain set does not): one file per table, no plain-SQL files, no
 * checksums or digests. It shows what N sessions can gain on this machine at
 * all, beside what `backup --jobs N` gains.
 */
export function directoryDumpCommand(context: BenchContext, database: string, jobs: number): TimedCommand {
  const env = context.toolEnv(database);
  return timedCommandWith({
    prepare: () => freshFolder(context, 'pg_dump-directory'),
    run: async (folder) => {
      const args = ['--format=directory', `--jobs=${jobs}`, '--compress=0', '-f', join(folder, 'dump')];
      assertSucceeded('pg_dump --format=directory', await runTool(context.tools.pgDump.path, args, { env }));
    },
    cleanUp: removeFolder,
  });
}

export function backupCommand(
  context: BenchContext,
  database: string,
  observed: ObservedRuns,
  options: { digests?: boolean; encrypt?: boolean; compress?: Compression; level?: number; exactSizes?: boolean; jobs?: number } = {},
): TimedCommand {
  const label = options.compress
    ? options.level === undefined
      ? COMPRESSED_COMMANDS[options.compress]
      : atLevel(options.compress, options.level)
    : options.encrypt || options.digests === false || options.exactSizes || options.jobs !== undefined
      ? undefined
      : 'pulse-backup backup';
  const connection = context.cliConnection(database);
  const url = connection.url;
  const env = {
    ...connection.env,
    ...(options.digests === false ? { PULSE_BACKUP_DIGESTS: 'off' } : {}),
    ...(options.encrypt ? { PULSE_BACKUP_PASSPHRASE: 'bench passphrase' } : {}),
    // Every table's size read from its files, however many: what the estimates of a big catalog save.
    ...(options.exactSizes ? { PULSE_BACKUP_EXACT_SIZES_UP_TO: String(Number.MAX_SAFE_INTEGER) } : {}),
    ...(options.compress && options.level !== undefined ? { [options.compress === 'gzip' ? 'PULSE_BACKUP_GZIP_LEVEL' : 'PULSE_BACKUP_ZSTD_LEVEL']: String(options.level) } : {}),
  };
  return timedCommandWith({
    prepare: async () => {
      const folder = await freshFolder(context, 'backup');
      // The backup folder holds only what the CLI writes; GNU time's report goes beside it.
      return { folder, backupFolder: join(folder, 'backups') };
    },
    run: async ({ folder, backupFolder }) => {
      const args = [
        CLI_PATH,
        'backup',
        '--db',
        url,
        '--dir',
        backupFolder,
        '--prefix',
        PREFIX,
        ...(options.encrypt ? ['--encrypt'] : []),
        ...(options.compress ? ['--compress', options.compress] : []),
        ...(options.jobs !== undefined ? ['--jobs', String(options.jobs)] : []),
      ];
      const result = await runMeasuringPeakRss(context.peakRssMethod, process.execPath, args, { env, cwd: REPO_ROOT, scratchFolder: folder });
      assertSucceeded('pulse-backup backup', result);
      return result.peakRssBytes === undefined ? undefined : { peakRssBytes: result.peakRssBytes };
    },
    cleanUp: async ({ folder, backupFolder }) => {
      const sets = await listSets(backupFolder).catch(() => []);
      for (const set of sets) if (set.manifest) observed.pgDumpsRunByCli.add(set.manifest.tools.pgDump.path);
      if (label !== undefined && database === context.database.name && sets[0]) observed.setBytes = { ...observed.setBytes, [label]: sets[0].totalBytes };
      await removeFolder(folder);
    },
  });
}

function oldScriptCommand(context: BenchContext, database: string): TimedCommand {
  const env = context.toolEnv(database);
  return timedCommandWith({
    prepare: () => freshFolder(context, 'old-script'),
    run: async (folder) => {
      // In sequence, as the old script ran them; each takes its own snapshot.
      for (const [file, only] of OLD_SCRIPT_DUMPS) {
        const result = await runTool(context.tools.pgDump.path, [...only, '-f', join(folder, file)], { env });
        assertSucceeded(['pg_dump', ...only].join(' '), result);
      }
    },
    cleanUp: removeFolder,
  });
}

/** Timing the CLI against a different pg_dump than the one it runs would compare nothing. */
export function assertCliRanOurPgDump(context: BenchContext, observed: ObservedRuns): void {
  const ours = context.tools.pgDump.path;
  const theirs = [...observed.pgDumpsRunByCli];
  if (theirs.length === 1 && theirs[0] === ours) return;
  throw new Error(`the CLI ran ${theirs.length > 0 ? theirs.join(' and ') : 'an unknown pg_dump'}, the benchmark ran ${ours}: the comparison would be unfair`);
}
