/**
 * `npm run bench`: measures pulse-backup against the plain PostgreSQL tools on
 * a throwaway server loaded with a ≈110 MB sample, prints a table and writes
 * bench/results/latest.json. A missed goal is a result, not a failure: the
 * exit code is non-zero only when the benchmark could not run.
 *
 *   BENCH_SCALE=10   a smaller database, for a quick run
 *   BENCH_ROUNDS=3   measured rounds per command (default 5, after one warm-up)
 *   BENCH_RESTORE_ROUNDS=2
 *                    measured rounds of the restore and prove sections (default BENCH_ROUNDS,
 *                    at most 3: each round restores the whole database twice)
 *   BENCH_SECTIONS=prove,verify
 *                    only these sections (default all: backup, jobs, restore, restore-jobs,
 *                    prove, verify, push, large value, catalog); each makes what it needs itself
 *   BENCH_DEBUG=1    print the stack trace of an error, not just its message
 */
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { resolveConnection } from '../src/core/connection/target';
import { childProcessEnv } from '../src/core/connection/session';
import { chooseClientTools, findClientTools, parseServerVersionNum } from '../src/core/pg/tools';
import { sampleCases, type SampleCase } from '../test/samples';
import { CLI_PATH, REPO_ROOT, cleanEnv } from '../test/support/cli';
import { startServer, type TestServer } from '../test/support/pgServer';
import { backupSection } from './backupSection';
import { catalogSection } from './catalogSection';
import { jobsSection } from './jobsSection';
import { largeValueSection } from './largeValueSection';
import { choosePeakRssMethod, describePeakRssMethod } from './peakRss';
import { formatMegabytes, formatSeconds, renderReport, writeJsonReport } from './report';
import { proveSection } from './proveSection';
import { pushSection } from './pushSection';
import { restoreJobsSection, restoreSection } from './restoreSection';
import type { BenchContext, BenchDatabase, BenchSection, SectionResult } from './section';
import { verifySection } from './verifySection';

// Restore before verify: restoring reads every file, so verify's warm-up
// starts from a page cache that already holds them.
const SECTIONS: readonly BenchSection[] = [
  backupSection,
  jobsSection,
  restoreSection,
  restoreJobsSection,
  proveSection,
  verifySection,
  pushSection,
  largeValueSection,
  catalogSection,
];

const DATABASE = 'pulse_bench';
const DEFAULT_ROUNDS = 5;
/**
 * Each restore round loads the whole database twice and makes and drops two
 * databases (7–11 s a round at full scale on 2 cores, measured): the restore
 * section stays near a minute while the other sections keep their rounds.
 */
const MAX_DEFAULT_RESTORE_ROUNDS = 3;
/** Both give a database of about 110 MB, the size the goals are set for. */
const PREFERRED_SAMPLES = [
  { name: 'factory_pulse', scale: '200' },
  { name: 'factory', scale: '140' },
] as const;
const RESULTS_FILE = join(REPO_ROOT, 'bench', 'results', 'latest.json');

interface Settings {
  scale: string | undefined;
  rounds: number;
  restoreRounds: number;
  sections: readonly BenchSection[];
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const scale = positiveInteger(env, 'BENCH_SCALE');
  const rounds = positiveInteger(env, 'BENCH_ROUNDS') ?? DEFAULT_ROUNDS;
  return {
    scale: scale === undefined ? undefined : String(scale),
    rounds,
    restoreRounds: positiveInteger(env, 'BENCH_RESTORE_ROUNDS') ?? Math.min(rounds, MAX_DEFAULT_RESTORE_ROUNDS),
    sections: chosenSections(env),
  };
}

function chosenSections(env: NodeJS.ProcessEnv): readonly BenchSection[] {
  const text = env.BENCH_SECTIONS?.trim();
  if (text === undefined || text === '') return SECTIONS;
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !SECTIONS.some((section) => section.name === name));
  if (unknown.length > 0) throw new Error(`BENCH_SECTIONS names no section ${unknown.join(', ')}: choose from ${SECTIONS.map((section) => section.name).join(', ')}`);
  // In the run's own order: restore before verify warms the page cache for it.
  return SECTIONS.filter((section) => names.includes(section.name));
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, not "${text}"`);
  return value;
}

function chooseSample(): { sample: SampleCase; defaultScale: string } {
  const cases = sampleCases();
  for (const preferred of PREFERRED_SAMPLES) {
    const sample = cases.find((candidate) => candidate.name === preferred.name);
    if (sample) return { sample, defaultScale: preferred.scale };
  }
  throw new Error('no sample to benchmark with: test/samples/factory.sql is missing');
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run bench, which builds it first`);
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0];
  const workFolder = mkdtempSync(join(realpathSync(os.tmpdir()), 'pulse-bench-'));
  const stopRemovingOnSignal = removeOnSignal(workFolder);
  let server: TestServer | undefined;
  try {
    log('starting a throwaway PostgreSQL server…');
    server = await startServer();
    const { sample, defaultScale } = chooseSample();
    const scale = settings.scale ?? defaultScale;
    log(`loading ${sample.name} (${sample.file}) at scale ${scale}…`);
    const loadStarted = performance.now();
    await server.createDatabase(DATABASE);
    await server.loadSql(DATABASE, sample.file, { ...sample.variables, scale });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const [facts] = await server.query<{ bytes: string; version_num: string }>(
      DATABASE,
      "SELECT pg_database_size(current_database()) AS bytes, current_setting('server_version_num') AS version_num",
    );
    if (!facts) throw new Error('the server answered no rows to a query for its size and version');
    const database: BenchDatabase = { name: DATABASE, sample: sample.name, sampleFile: sample.file, scale, sizeBytes: Number(facts.bytes) };
    log(`${DATABASE}: ${formatMegabytes(database.sizeBytes)} (pg_database_size), loaded in ${loadSeconds.toFixed(1)} s`);

    const baseEnv = cleanEnv();
    const serverVersion = parseServerVersionNum(facts.version_num);
    // As the CLI finds them: same function, same environment, no --pg-bin-dir.
    const tools = chooseClientTools(await findClientTools({ env: baseEnv }), serverVersion);
    const peakRssMethod = await choosePeakRssMethod();
    const running = server;
    const context: BenchContext = {
      server: running,
      database,
      tools,
      rounds: settings.rounds,
      restoreRounds: settings.restoreRounds,
      peakRssMethod,
      workFolder,
      toolEnv: (name) => childProcessEnv(resolveConnection({ url: running.url(name), env: baseEnv }), baseEnv),
      cliConnection: (name) => {
        const url = new URL(running.url(name));
        url.password = '';
        return { url: url.href, env: running.password ? { ...baseEnv, PGPASSWORD: running.password } : baseEnv };
      },
      log,
    };

    const results: Record<string, SectionResult> = {};
    const sectionSeconds: Record<string, number> = {};
    for (const section of settings.sections) {
      log(`\n${section.name}:`);
      const sectionStarted = performance.now();
      results[section.name] = await section.run(context);
      sectionSeconds[section.name] = (performance.now() - sectionStarted) / 1000;
      log(`${section.name} took ${formatSeconds(sectionSeconds[section.name])}`);
    }

    const loadAfter = os.loadavg()[0];
    const header = [
      `database  ${sample.name} at scale ${scale}${sample.shared ? ' (shared fixture)' : ' (our own sample)'}: ` + `${formatMegabytes(database.sizeBytes)} (pg_database_size)`,
      `tools     pg_dump ${tools.pgDump.version.text} (${tools.pgDump.path}), ` +
        `psql ${tools.psql ? `${tools.psql.version.text} (${tools.psql.path})` : 'not found'}, PostgreSQL ${serverVersion.text} server; ` +
        `peak RSS by ${describePeakRssMethod(peakRssMethod)}`,
      `machine   ${os.cpus().length} cores, Node ${process.version}, load average ${loadBefore.toFixed(2)} before, ` +
        `${loadAfter.toFixed(2)} after (other work on the machine adds noise)`,
    ];
    process.stdout.write(renderReport(header, Object.values(results)));
    await writeJsonReport(RESULTS_FILE, {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      rounds: settings.rounds,
      restoreRounds: settings.restoreRounds,
      warmUpRounds: 1,
      machine: { cpus: os.cpus().length, node: process.version, platform: process.platform, loadAverage: { before: loadBefore, after: loadAfter } },
      database: { ...database, loadSeconds },
      sectionSeconds,
      server: { version: serverVersion.text },
      tools: {
        pgDump: { path: tools.pgDump.path, version: tools.pgDump.version.text },
        psql: tools.psql ? { path: tools.psql.path, version: tools.psql.version.text } : null,
      },
      sections: Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result.data])),
    });
    process.stdout.write(`\nresults written to ${RESULTS_FILE}\n`);
  } finally {
    try {
      await server?.stop();
    } finally {
      rmSync(workFolder, { recursive: true, force: true });
      stopRemovingOnSignal();
    }
  }
}

/**
 * Dumps of a full-size database are hundreds of megabytes: an interrupted run
 * must not leave them in the temp folder. (The server has its own signal
 * clean-up in pgServer.ts.)
 */
function removeOnSignal(folder: string): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const handlers = signals.map((signal) => {
    const handler = (): void => {
      rmSync(folder, { recursive: true, force: true });
      process.removeListener(signal, handler);
      // Without other listeners, re-raise so the process still dies of the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
    return { signal, handler };
  });
  return () => {
    for (const { signal, handler } of handlers) process.removeListener(signal, handler);
  };
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    const debug = process.env.BENCH_DEBUG !== undefined && process.env.BENCH_DEBUG !== '';
    const text = error instanceof Error ? ((debug ? error.stack : undefined) ?? error.message) : String(error);
    process.stderr.write(`bench: ${text}\n`);
    process.exitCode = 1;
  },
);
