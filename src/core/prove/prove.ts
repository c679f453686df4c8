/**
 * Proves a set restorable: restores it, exactly as a person would with
 * psql, into scratch databases of its own — the complete file into one, the
 * schema file then the data file into another, both at once — reads every
 * table back and dumps the schema, and compares what it reads with the
 * digests the backup recorded. Then it drops the scratch databases, always:
 * on success, on failure, on cancel, and (through their reserved names, see
 * scratchDatabase.ts) after a kill, on the next run. The backed-up database
 * is never written: a Supabase set's platform is read from it, nothing else.
 *
 * The result is a ProofRecord, appended to the set's history.
 */
import { hint, option } from '../hint';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { describeTarget, isLocalTarget, type ConnectionTarget } from '../connection/target';
import { PulseError, toPulseError } from '../errors';
import { recentVerification, recordProof } from '../sets/history';
import { findSet, type ListedSet } from '../sets/listing';
import { type Manifest, type ManifestDigests } from '../sets/manifest';
import { qualifiedName } from '../format';
import { clientToolsFor, startPgTool, toolName, type ClientTools } from '../pg/run';
import { parseServerVersionNum } from '../pg/tools';
import { compareMaterializedViews, compareSchemaEntries, compareSequences, compareTables, readableTables } from './compare';
import { planProof, rowFilesOf, schemaFilesOf, type ProofPathPlan } from './plan';
import { PROOF_FORMAT_VERSION, type ProofDifference, type ProofPathName, type ProofPathResult, type ProofRecord } from './record';
import { proofRestoreHint, proofSummary, rowsDifference, schemaDifference } from './words';
import { openReadSession, readFacts } from './readSession';
import { readSchema, readTables, type ReadbackSession } from './readback';
import { changedRows, digestsFromCompleteFile, schemaEntriesOf } from './setContent';
import { ScratchControl } from './scratchDatabase';
import { supabaseEntryFilter, type ProfileName } from '../backup/profile';
import { loadPlatform, platformSql } from '../supabase/platformCopy';
import type { ContainerTools } from '../supabase/docker';
import { onLines } from '../process/lines';
import { redactText } from '../connection/redact';
import { toolStartError } from '../process/toolProcess';
import type { SchemaEntryDigest } from '../backup/dumpDigests';
import type { SetKeys } from '../codecs/codecs';
import { setFileStream, unlockSetFiles } from '../codecs/setFileReader';
import { join } from 'node:path';

export interface ProveOptions {
  folder: string;
  setId: string;
  /**
   * The database the set is a backup of: a Supabase set's platform is read
   * from it, and without `scratchTarget` its server gets the scratch
   * databases. It is never written.
   */
  target: ConnectionTarget;
  /** The server (and role, and a database to connect to) for the scratch databases. */
  scratchTarget?: ConnectionTarget;
  env: NodeJS.ProcessEnv;
  pgBinDir?: string;
  /** Run pg_dump and psql inside this Supabase database container. */
  container?: ContainerTools;
  /** Allow a scratch server that is not on this machine. */
  allowRemote?: boolean;
  /** The ways to prove (default both). */
  paths?: readonly ProofPathName[];
  /** Append the result to the set's history (default true). */
  record?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: ProveProgress) => void;
  /** What decrypts an encrypted set (proved on its files' headers before any scratch database is made). */
  keys?: SetKeys;
}

export type ProveProgress =
  | { kind: 'swept'; dropped: string[]; kept: { name: string; why: string }[] }
  | { kind: 'path-start'; path: ProofPathName; database: string }
  | { kind: 'platform-loaded'; path: ProofPathName; refused: number }
  | { kind: 'loading'; path: ProofPathName; file: string }
  | { kind: 'reading'; path: ProofPathName; tables: number }
  | { kind: 'path-done'; path: ProofPathName; equal: boolean }
  | { kind: 'not-recorded'; reason: string };

/** What one way of restoring gave. */
interface PathOutcome {
  result: ProofPathResult;
  differences: ProofDifference[];
  notes: string[];
}

/** What every path needs. */
interface ProofContext {
  options: ProveOptions;
  set: ListedSet;
  digests: ManifestDigests;
  profile: ProfileName;
  control: ScratchControl;
  tools: ClientTools;
  platform: Buffer | undefined;
  /** The files were checked against their sha256 by a verification newer than all of them: not read again for that. */
  checkedAlready: boolean;
}

/** Differences of one kind kept per path: the first few say enough, the count says the rest. */
const MAX_DIFFERENCES_PER_KIND = 5;

export async function proveSet(options: ProveOptions): Promise<ProofRecord> {
  const startedAt = new Date();
  const started = performance.now();
  throwIfCancelled(options.signal);
  const set = await findSet(options.folder, options.setId);
  if (set.status === 'running') throw new PulseError('backup-locked', `${set.id} is still being written`, { hint: 'wait for the backup to finish, then prove it' });
  if (set.status === 'incomplete') {
    throw new PulseError('restore-refused', `${set.id} is incomplete (${set.problems.join('; ')}), so it cannot be proved`, { hint: 'prove another set' });
  }
  const scratchTarget = options.scratchTarget ?? options.target;
  if (!options.allowRemote && !isLocalTarget(scratchTarget)) {
    throw new PulseError('remote-target', `${describeTarget(scratchTarget)} is not on this machine, and a proof restores the whole set there`, {
      hint: hint`prove on a local server (loopback or a local socket; ${option('scratchDatabase', 'URL')} names one), or pass ${option('allowRemote')} if you really mean that server`,
    });
  }
  // A wrong passphrase is one line before any scratch database is made; a damaged file is the proof's finding.
  await unlockSetFiles(
    set.files.map((file) => join(options.folder, file.name)),
    options.keys ?? {},
    { damagedIsAFinding: true },
  );
  const profile = set.manifest?.profile?.name ?? 'plain';
  const digestsFrom: ProofRecord['digestsFrom'] = set.manifest?.digests ? 'manifest' : 'complete file';
  const control = await ScratchControl.open(scratchTarget, options.signal);
  const notes: string[] = [];
  let outcomes: PathOutcome[];
  let digests: ManifestDigests;
  try {
    digests = set.manifest?.digests ?? (await digestsFromCompleteFile(set, options.folder, await control.outputSettings(), options.signal, options.keys));
    if (digestsFrom === 'complete file') notes.push('the set recorded no digests (it was made before they were): the read-back was compared with its complete file');
    await control.assertMayCreate();
    const swept = await control.sweep();
    options.onProgress?.({ kind: 'swept', ...swept });
    for (const kept of swept.kept) notes.push(`a scratch database a killed proof left, ${kept.name}, could not be dropped (${kept.why}): drop it as its owner`);
    const server = parseServerVersionNum(await control.serverVersionNum());
    const preferMajor = pgDumpMajor(set.manifest);
    const tools = await clientToolsFor(server, { env: options.env, pgBinDir: options.pgBinDir, container: options.container, preferMajor, signal: options.signal });
    if (preferMajor !== undefined && tools.pgDump.version.major !== preferMajor) {
      notes.push(
        `the set was dumped with pg_dump ${preferMajor}, the proof's schema with pg_dump ${tools.pgDump.version.major}: where their text differs, the schema reads as different`,
      );
    }
    const platform = profile === 'supabase' ? await platformSql({ target: options.target, tools, env: options.env, signal: options.signal }) : undefined;
    const plan = planProof(set, options.folder, digests, { viaStdin: tools.container !== undefined, paths: options.paths });
    // A verification newer than every file of the set vouches for their sha256; otherwise they are hashed while they load.
    const verified = await recentVerification(options.folder, set);
    const checkedAlready = verified?.groups.find((group) => group.name === 'post-backup')?.checks.find((check) => check.id === 'checksums')?.status === 'pass';
    const context: ProofContext = { options, set, digests, profile, control, tools, platform, checkedAlready };
    outcomes = await Promise.all(plan.paths.map((path) => provePath(context, path)));
  } catch (error) {
    if (options.signal?.aborted) throw new PulseError('cancelled', 'proof cancelled', { hint: 'its scratch databases were dropped; the set and the database are as they were' });
    throw toPulseError(error);
  } finally {
    const left = await control.close();
    if (left.length > 0) notes.push(`could not drop ${left.join(', ')}: the next proof on this server drops ${left.length === 1 ? 'it' : 'them'}`);
  }
  throwIfCancelled(options.signal);
  const differences = outcomes.flatMap((outcome) => outcome.differences);
  const paths = outcomes.map((outcome) => outcome.result);
  const record: ProofRecord = {
    formatVersion: PROOF_FORMAT_VERSION,
    setId: set.id,
    provedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    outcome: differences.length === 0 && paths.every((path) => path.equal) ? 'proved' : 'failed',
    summary: '',
    server: { host: scratchTarget.host, port: scratchTarget.port, user: scratchTarget.user },
    profile,
    digestsFrom,
    tables: digests.tables.length,
    rows: digests.tables.reduce((sum, table) => sum + table.rows, 0),
    schemaEqual: paths.every((path) => path.schemaEqual),
    paths,
    differences,
    notes: [...notes, ...new Set(outcomes.flatMap((outcome) => outcome.notes))],
  };
  record.summary = proofSummary(record);
  if (options.record ?? true) {
    try {
      await recordProof(options.folder, record);
    } catch (error) {
      options.onProgress?.({ kind: 'not-recorded', reason: toPulseError(error).message });
    }
  }
  return record;
}

function pgDumpMajor(manifest: Manifest | undefined): number | undefined {
  const major = /^(\d+)/.exec(manifest?.tools.pgDump.version ?? '')?.[1];
  return major === undefined ? undefined : Number(major);
}

/** One way of restoring, into a scratch database of its own, read back and compared. */
async function provePath(context: ProofContext, path: ProofPathPlan): Promise<PathOutcome> {
  const { options, digests, control, tools } = context;
  const started = performance.now();
  const database = await control.create(path.path, digests.settings.clientEncoding);
  options.onProgress?.({ kind: 'path-start', path: path.path, database });
  const target = control.targetFor(database);
  const notes: string[] = [];
  const differences: ProofDifference[] = [];
  const result: ProofPathResult = {
    path: path.path,
    files: path.loads.map((load) => basename(load.file)),
    restored: false,
    equal: false,
    tables: 0,
    rows: 0,
    schemaEqual: false,
    durationMs: 0,
  };
  const finish = (): PathOutcome => {
    result.durationMs = Math.round(performance.now() - started);
    result.equal = result.restored && differences.length === 0;
    options.onProgress?.({ kind: 'path-done', path: path.path, equal: result.equal });
    return { result, differences, notes };
  };
  try {
    if (context.platform) {
      const loaded = await loadPlatform(tools, target, options.env, context.platform, options.signal);
      options.onProgress?.({ kind: 'platform-loaded', path: path.path, refused: loaded.refused });
      if (loaded.refused > 0) {
        notes.push(
          `the Supabase platform was copied from the live database as far as ${target.user} may: ${loaded.refused} of its statements failed (${loaded.reasons.join('; ')}), none of them part of the set, which then loaded as a person's restore does`,
        );
      }
    }
    // The files are checked against their recorded sha256 while psql reads them.
    const checksums = path.loads.map((load) => (load.sha256 && !context.checkedAlready ? sha256Of(load.file, options.signal) : Promise.resolve(undefined)));
    for (const pending of checksums) pending.catch(() => undefined);
    for (const load of path.loads) {
      options.onProgress?.({ kind: 'loading', path: path.path, file: load.file });
      const failure = await loadFile(tools, target, options, load);
      if (failure) {
        differences.push({ path: path.path, kind: 'restore', object: `${load.type} file`, detail: failure });
        return finish();
      }
    }
    result.restored = true;
    for (const [index, load] of path.loads.entries()) {
      const sha256 = await checksums[index];
      if (sha256 !== undefined && load.sha256 && sha256 !== load.sha256.toLowerCase()) {
        differences.push({
          path: path.path,
          kind: 'checksum',
          object: `${load.type} file`,
          detail: `${basename(load.file)} no longer matches the sha256 its manifest recorded: it changed after the backup`,
        });
      }
    }
    await compareReadBack(context, path, target, result, differences);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw toPulseError(error);
  } finally {
    await control.drop(database).catch(() => undefined);
  }
  return finish();
}

/** Reads the scratch database back in one snapshot and compares it with the set's digests. */
async function compareReadBack(context: ProofContext, path: ProofPathPlan, target: ConnectionTarget, result: ProofPathResult, differences: ProofDifference[]): Promise<void> {
  const { options, digests, set } = context;
  const add = (kind: ProofDifference['kind'], object: string, detail: string) => {
    if (differences.filter((difference) => difference.kind === kind).length < MAX_DIFFERENCES_PER_KIND) differences.push({ path: path.path, kind, object, detail });
  };
  const { facts, read, schema, tables } = await readScratch(context, path, target);
  const comparisons = compareTables(
    digests,
    tables.map((table) => ({ schema: table.schema, name: table.name, rows: table.digest.count, bytes: table.digest.bytes, digest: table.digest.digest })),
    read.unreadable,
  );
  result.tables = comparisons.filter((comparison) => comparison.state === 'same').length;
  result.rows = comparisons.reduce((sum, comparison) => sum + (comparison.state === 'same' ? comparison.now.rows : 0), 0);
  const different = comparisons.filter((comparison) => comparison.state === 'different');
  for (const comparison of comparisons) {
    const name = qualifiedName(comparison.table.schema, comparison.table.name);
    if (comparison.state === 'missing') add('missing-table', name, 'not there after the restore');
    if (comparison.state === 'columns-differ') add('missing-table', name, `has no column ${comparison.missingColumns.join(', ')} after the restore`);
  }
  if (different.length > 0) {
    const reader: ReadbackSession = { target, tools: context.tools, env: options.env, signal: options.signal };
    const explained = different.slice(0, MAX_DIFFERENCES_PER_KIND).map((comparison) => comparison.table);
    const details = await changedRows(rowFilesOf(path, set, options.folder), reader, digests.settings, explained, facts, options.keys);
    for (const comparison of different) {
      if (comparison.state !== 'different') continue;
      const name = qualifiedName(comparison.table.schema, comparison.table.name);
      const detail = details.get(name);
      add('rows', name, `${rowsDifference(comparison.table.rows, comparison.now.rows, detail?.changes, 'proof')}${detail?.note ? ` (${detail.note})` : ''}`);
    }
  }
  result.schemaEqual = schema.digest === digests.schema.digest;
  if (!result.schemaEqual) add('schema', 'schema', await explainSchema(path, set, options.folder, digests, schema.entries, options.keys));
  for (const sequence of compareSequences(digests, facts)) add('sequence', sequence.name, `expected ${sequence.expected}, found ${sequence.found}`);
  for (const view of compareMaterializedViews(set.manifest?.materializedViews ?? [], facts)) add('materialized-view', view.name, `expected ${view.expected}, found ${view.found}`);
  if (set.manifest && facts.largeObjects !== set.manifest.largeObjects) {
    add('large-objects', 'large objects', `expected ${set.manifest.largeObjects}, found ${facts.largeObjects}`);
  }
}

/** Everything of a scratch database the comparison needs, in one snapshot: facts, schema, rows. */
async function readScratch(context: ProofContext, path: ProofPathPlan, target: ConnectionTarget) {
  const { options, digests, tools } = context;
  const session = await openReadSession(target, { signal: options.signal });
  try {
    const facts = await readFacts(session.client, { tables: digests.tables, sequences: digests.sequences, platform: context.profile === 'supabase' });
    const read = readableTables(digests, facts);
    const keep = facts.platform ? supabaseEntryFilter(facts.platform).keep : undefined;
    const reader: ReadbackSession = { target, tools, env: options.env, snapshotId: session.snapshotId, signal: options.signal };
    options.onProgress?.({ kind: 'reading', path: path.path, tables: read.read.length });
    const [schema, tables] = await Promise.all([readSchema(reader, keep), readTables(reader, read.read, digests.settings)]);
    return { facts, read, schema, tables };
  } finally {
    await session.close();
  }
}

/**
 * The schema entries that differ: against the set's file this path
 * restored from, or — when that file no longer holds what the backup
 * recorded — against the set's other file that still does.
 */
async function explainSchema(
  path: ProofPathPlan,
  set: ListedSet,
  folder: string,
  digests: ManifestDigests,
  observed: readonly SchemaEntryDigest[],
  keys: SetKeys | undefined,
): Promise<string> {
  const files = schemaFilesOf(path, set, folder);
  let reference: SchemaEntryDigest[] | undefined;
  let note = '';
  for (const [index, file] of files.entries()) {
    const { entries, digest } = await schemaEntriesOf(file, undefined, keys);
    if (digest === digests.schema.digest) {
      reference = entries;
      if (index > 0) note = ` (${basename(files[0])} no longer holds the schema the backup recorded; compared with ${basename(file)}, which does)`;
      break;
    }
    if (index === 0) reference = entries;
  }
  if (reference === undefined) return 'its digest differs from the one the backup recorded';
  return `${schemaDifference(compareSchemaEntries(reference, observed))}${note}`;
}

/** Loads one of the set's files with psql; undefined when it loaded, else psql's first error in one line. */
async function loadFile(tools: ClientTools, target: ConnectionTarget, options: ProveOptions, load: ProofPathPlan['loads'][number]): Promise<string | undefined> {
  const psql = startPgTool(tools, 'psql', target, load.args, { env: options.env, stdin: load.viaStdin ? 'pipe' : 'ignore', stdout: 'ignore', signal: options.signal });
  const stderr: string[] = [];
  onLines(psql.stderr, (line) => {
    if (line.trim() !== '' && stderr.length < 200) stderr.push(redactText(line));
  });
  let unreadable: string | undefined;
  if (load.viaStdin && psql.stdin) {
    // Decrypted on the way, for an encrypted file: psql reads SQL only.
    const input = setFileStream(load.file, { keys: options.keys });
    input.on('error', (error: Error) => {
      unreadable = toPulseError(error).message;
      psql.kill('SIGKILL');
    });
    psql.stdin.on('error', () => undefined);
    input.pipe(psql.stdin);
  }
  const exit = await psql.exited;
  throwIfCancelled(options.signal);
  if (unreadable !== undefined) return `cannot be read: ${unreadable}`;
  if (exit.startError) throw toolStartError(exit.startError, toolName(tools, 'psql'));
  if (exit.exitCode === 0) return undefined;
  const errorIndex = stderr.findIndex((line) => /ERROR:|FATAL:/.test(line));
  if (errorIndex < 0) return `psql ended with ${String(exit.signal ?? exit.exitCode)}${stderr.length > 0 ? `: ${stderr[stderr.length - 1]}` : ''}`;
  const line = stderr[errorIndex];
  const location = /^psql:(.*?):(\d+):/.exec(line);
  const message = line.replace(/^psql:.*?:\d+:\s*/, '').replace(/^(ERROR|FATAL):\s*/, '');
  const detail = stderr.slice(errorIndex + 1).find((candidate) => candidate.startsWith('DETAIL:'));
  const where = location ? ` (line ${location[2]} of ${basename(load.file)})` : '';
  return `does not restore: ${message}${where}; ${proofRestoreHint(message, detail)}`;
}

async function sha256Of(file: string, signal: AbortSignal | undefined): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PulseError('cancelled', 'proof cancelled', { hint: 'its scratch databases were dropped; the set and the database are as they were' });
}
