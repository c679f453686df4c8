/**
 * The databases our tests load: our own samples, and the team's shared
 * fixtures when the shared folder sits beside the repository (it does on the
 * project's machines and in CI, not necessarily on a laptop).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SampleCase {
  /** Short, unique, usable in a test title or a database name. */
  name: string;
  /** A file that loads with `psql -X -v ON_ERROR_STOP=1 [-v NAME=VALUE ...] -d DATABASE -f FILE`. */
  file: string;
  /** psql variables to pass with -v. */
  variables?: Record<string, string>;
  /** Files loaded after `file`, in order (a schema file, then its data). */
  followedBy?: string[];
  /** True for fixtures that live in ../shared/fixtures rather than in this repository. */
  shared: boolean;
  /**
   * A Supabase-shaped database (platform schemas and roles): `auto` backs it
   * up with the Supabase profile, whose sets need the platform in the target.
   * Tests of plain round trips into empty databases pass --profile plain.
   */
  supabaseShaped?: boolean;
}

const repositoryRoot = path.resolve(__dirname, '..', '..');
const ownSamplesFolder = __dirname;
export const sharedFixturesFolder = path.resolve(repositoryRoot, '..', 'shared', 'fixtures');
/** Adjusted copies of shared fixtures; gitignored. */
const preparedFixturesFolder = path.join(repositoryRoot, 'test', '.cache', 'samples');

/** Our own sample database, Factory Pulse (`-v scale=N` grows it). */
export function factorySample(): SampleCase {
  return { name: 'factory', file: path.join(ownSamplesFolder, 'factory.sql'), shared: false };
}

export function sampleCases(): SampleCase[] {
  const cases: SampleCase[] = [
    factorySample(),
    { name: 'supabase', file: path.join(ownSamplesFolder, 'supabase.sql'), shared: false, supabaseShaped: true },
    { name: 'dependencies', file: path.join(ownSamplesFolder, 'dependencies.sql'), shared: false },
  ];
  if (!fs.existsSync(sharedFixturesFolder)) return cases;

  for (const fileName of ['factory_pulse.sql', 'supabase_shape.sql']) {
    const file = path.join(sharedFixturesFolder, fileName);
    if (fs.existsSync(file)) cases.push({ name: path.basename(fileName, '.sql'), file, shared: true, ...(fileName.startsWith('supabase') ? { supabaseShaped: true } : {}) });
  }
  const realWorldFolder = path.join(sharedFixturesFolder, 'realworld');
  if (fs.existsSync(realWorldFolder)) {
    for (const fileName of fs
      .readdirSync(realWorldFolder)
      .filter((name) => name.endsWith('.sql'))
      .sort()) {
      const file = loadableIntoAnyDatabase(path.join(realWorldFolder, fileName));
      cases.push({ name: path.basename(fileName, '.sql'), file, shared: true });
    }
    const pagila = path.join(realWorldFolder, 'pagila');
    if (fs.existsSync(path.join(pagila, 'pagila-schema.sql'))) {
      cases.push({ name: 'pagila', file: path.join(pagila, 'pagila-schema.sql'), followedBy: [path.join(pagila, 'pagila-data.sql')], shared: true });
    }
  }
  return cases;
}

/** Loads a sample into a database: its file, then the files that follow it. */
export async function loadSample(
  server: { loadSql(database: string, file: string, variables?: Record<string, string>): Promise<void> },
  database: string,
  sample: SampleCase,
): Promise<void> {
  await server.loadSql(database, sample.file, sample.variables);
  for (const file of sample.followedBy ?? []) await server.loadSql(database, file, sample.variables);
}

/** A line that drops, creates or switches databases (Chinook creates and connects to its own). */
const databaseSwitchLine = /^\s*(?:DROP\s+DATABASE\b|CREATE\s+DATABASE\b|\\c(?:onnect)?(?:\s|$))/i;

/**
 * Some published sample scripts create their own database and connect to it,
 * which would load them somewhere other than the database under test. For
 * those, returns a copy without those lines (as the fixtures' README does with
 * sed); any other file is returned as it is.
 */
function loadableIntoAnyDatabase(file: string): string {
  const original = fs.readFileSync(file, 'utf8');
  const lines = original.split('\n');
  if (!lines.some((line) => databaseSwitchLine.test(line))) return file;
  const adjusted = lines.filter((line) => !databaseSwitchLine.test(line)).join('\n');
  const prepared = path.join(preparedFixturesFolder, path.basename(file));
  if (fs.existsSync(prepared) && fs.readFileSync(prepared, 'utf8') === adjusted) return prepared;
  fs.mkdirSync(preparedFixturesFolder, { recursive: true });
  // Write then rename, so a parallel test process never reads half a file.
  const partial = `${prepared}.${process.pid}.partial`;
  fs.writeFileSync(partial, adjusted);
  fs.renameSync(partial, prepared);
  return prepared;
}

/** `--profile plain` for a Supabase-shaped sample: round trips into empty databases test everything pg_dump dumps. */
export function plainFor(sample: SampleCase): string[] {
  return sample.supabaseShaped ? ['--profile', 'plain'] : [];
}
