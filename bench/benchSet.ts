/**
 * The one backup set the restore and verify sections work on. The backup
 * section deletes every set it times, so the first section that needs one
 * makes it here with the real CLI, once per run; it stays in the run's work
 * folder until the end.
 */
import { join } from 'node:path';
import { listSets } from '../src/core/sets/listing';
import { BACKUP_FILE_TYPES, type BackupFileType, type Manifest } from '../src/core/sets/manifest';
import { CLI_PATH, REPO_ROOT } from '../test/support/cli';
import { assertSucceeded, runTool } from './processes';
import { formatSeconds } from './report';
import { freshFolder, type BenchContext, type SectionResult } from './section';

export interface BenchSetFile {
  type: BackupFileType;
  path: string;
  bytes: number;
  sha256: string;
}

export interface BenchSet {
  id: string;
  /** The backups folder, for --dir. */
  folder: string;
  /** schema, data and complete, in that order. */
  files: BenchSetFile[];
  manifest: Manifest;
  /** How long the untimed backup that made it took. */
  backupSeconds: number;
}

const PREFIX = 'bench';
const MEBIBYTE = 1024 * 1024;

const made = new WeakMap<BenchContext, Map<string, Promise<BenchSet>>>();

/** A section's run over the run's set: the first section that needs it makes it, the others find it made. */
export function onTheSet(measure: (context: BenchContext, set: BenchSet) => Promise<SectionResult>): (context: BenchContext) => Promise<SectionResult> {
  return async (context) => measure(context, await benchSet(context));
}

/** The set of `database` (the run's own by default), made once per run. */
export function benchSet(context: BenchContext, database = context.database.name): Promise<BenchSet> {
  let sets = made.get(context);
  if (!sets) {
    sets = new Map();
    made.set(context, sets);
  }
  let set = sets.get(database);
  if (!set) {
    set = makeBenchSet(context, database);
    sets.set(database, set);
  }
  return set;
}

async function makeBenchSet(context: BenchContext, database: string): Promise<BenchSet> {
  context.log(`making a backup set to restore and verify (pulse-backup backup of ${database})…`);
  const folder = join(await freshFolder(context, 'set'), 'backups');
  const { url, env } = context.cliConnection(database);
  const started = performance.now();
  const result = await runTool(process.execPath, [CLI_PATH, 'backup', '--db', url, '--dir', folder, '--prefix', PREFIX], { env, cwd: REPO_ROOT });
  const backupSeconds = (performance.now() - started) / 1000;
  assertSucceeded('pulse-backup backup (of the set to restore and verify)', result);

  const sets = await listSets(folder);
  const [set] = sets;
  if (sets.length !== 1 || !set) throw new Error(`pulse-backup backup left ${sets.length} sets in ${folder}, not one`);
  const manifest = set.manifest;
  if (set.status !== 'complete' || !manifest) {
    throw new Error(`pulse-backup backup left ${set.id} ${set.status}${manifest ? '' : ', without a manifest'}: ${set.problems.join('; ')}`);
  }
  const files = BACKUP_FILE_TYPES.map((type): BenchSetFile => {
    const file = manifest.files.find((candidate) => candidate.type === type);
    if (!file) throw new Error(`the manifest of ${set.id} lists no ${type} file`);
    return { type, path: join(folder, file.name), bytes: file.bytes, sha256: file.sha256 };
  });
  context.log(`${set.id}: ${files.map((file) => `${file.type} ${(file.bytes / MEBIBYTE).toFixed(1)} MB`).join(', ')}; backed up in ${formatSeconds(backupSeconds)}`);
  return { id: set.id, folder, files, manifest, backupSeconds };
}

export function setFile(set: BenchSet, type: BackupFileType): BenchSetFile {
  const file = set.files.find((candidate) => candidate.type === type);
  if (!file) throw new Error(`${set.id} has no ${type} file`);
  return file;
}
