/**
 * Writes one backup set: a single pg_dump run from an exported snapshot,
 * split on the fly into the complete, schema-only and data-only files,
 * each hashed while it is written, then a manifest. Nothing becomes visible
 * under a backup name until every byte is on disk; a failure or a cancel
 * leaves only what was there before.
 */
import { hint, option, setOption } from '../hint';
import { existsSync } from 'node:fs';
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeServer, type ConnectionTarget } from '../connection/target';
import { redactText } from '../connection/redact';
import { OUT_OF_CONNECTION_SLOTS, describeConnectionError } from '../connection/failures';
import { childProcessEnv } from '../connection/session';
import { FILTERED_VARIANT, syncFolder, writeHiddenFile, type PendingFile } from '../files/atomicFile';
import { FollowedFile } from '../files/followedFile';
import { HashedFileWriter } from '../files/hashedFileWriter';
import { checkCodecsReady, codecsFor, type SetEncoding } from '../codecs/codecs';
import { createSetFileWriter, type SetFileWriter } from '../codecs/encodedFileWriter';
import type { GzipMembers } from '../codecs/gzipMembers';
import { DumpReader, headerName, type EntryHeader, type SplitOutput, type TableDataEvent } from '../pg/dumpReader';
import { DumpDigests } from './dumpDigests';
import { backupDuringRestoreError } from '../pg/restoreTurn';
import { schemaChangedMeanwhile, schemaChangedHint, SCHEMA_CHANGED_WORDS } from '../pg/schemaChanged';
import { PulseError, toPulseError } from '../errors';
import { acquireFolderLock, type FolderLock } from '../files/folderLock';
import { MANIFEST_FORMAT, MANIFEST_VERSION, largeObjectsLeftOut, type BackupFileType, type Manifest, type ManifestFile, type ManifestTable } from '../sets/manifest';
import { qualifiedName } from '../format';
import { WRITTEN_CODEC_CHAINS, fileNameFor, manifestNameFor, nextFreeTimestamp, setIdFor } from '../sets/naming';
import { chooseClientTools, findClientTools, parseServerVersionNum, type ToolSet } from '../pg/tools';
import { containerToolSet, dockerEnv, dockerExecArgs } from '../supabase/docker';
import type { ContainerTools } from '../supabase/docker';
import { chooseProfile, supabaseEntryFilter, type PlatformFacts, type ProfileChoice, type ProfileRecord } from './profile';
import { openSnapshotSession, type CatalogFacts, type CatalogTable, type ServerFacts, type Sizes, type SnapshotSession, type UnvalidatedCheck } from './snapshot';
import { qualifiedIdentifier, quoteIdentifier, quoteLiteral } from '../sql';
import { resetDefaultPrivilegesStatement } from '../restore/defaultPrivileges';
import { PULSE_BACKUP_VERSION } from '../version';
import { onLines } from '../process/lines';
import { startTool, toolStartError, type ToolExit } from '../process/toolProcess';
import { DEFAULT_LOCK_TIMEOUT_SECONDS, isLockTimeout, lockWaitError, tableOfLockQuery } from '../pg/lockWaits';
import { lostConnectionReason } from '../pg/psqlEnd';
import { isRecoveryConflict, isSnapshotGone, recoveryConflictError } from '../pg/recoveryConflict';
import { readPermissionError } from '../pg/readPermission';
import { PARALLEL_MIN_TABLE_BYTES, defaultJobs, exactTablePattern, planPieces } from './parallel';
import { TablePieces } from './tablePieces';
import { diskFullError, dumpEndMissingError } from './dumpCutShort';

export type BackupProgress =
  | { kind: 'connected'; serverVersion: string; target: string }
  | { kind: 'dump-started'; setId: string; pgDump: string }
  | { kind: 'table-start'; table: TableDataEvent }
  | { kind: 'table-progress'; table: TableDataEvent }
  | { kind: 'table-done'; table: TableDataEvent }
  | { kind: 'finishing'; bytesWritten: number };

export interface BackupOptions {
  target: ConnectionTarget;
  folder: string;
  prefix: string;
  env: NodeJS.ProcessEnv;
  pgBinDir?: string;
  purpose?: 'backup' | 'safety';
  /** A safety set `guard` takes: the command it is taken before, in words without a secret (process/guardedCommand.ts: commandSummary). */
  takenBefore?: string;
  signal?: AbortSignal;
  onProgress?: (event: BackupProgress) => void;
  /** The clock, replaceable so tests can force two sets into the same second. */
  now?: () => Date;
  /** The caller (a restore taking its safety backup) already holds the folder's lock. */
  lockHeld?: boolean;
  /** What the set holds (see profile.ts); `auto` by default. */
  profile?: ProfileChoice;
  /** Passed to pg_dump as they are: --schema, --exclude-schema, --exclude-table-data patterns. */
  filters?: DumpFilters;
  /** How long any query waits for a table another session holds (default DEFAULT_LOCK_TIMEOUT_SECONDS). */
  lockTimeoutSeconds?: number;
  /** Run pg_dump inside this Supabase database container (no local pg_dump is new enough). */
  container?: ContainerTools;
  /** Record content digests in the manifest (default true; the benchmark turns them off to price them). */
  digests?: boolean;
  /** Up to how many tables the sizes on disk are read exactly (EXACT_SIZES_UP_TO_TABLES); the tests lower it to price nothing. */
  exactSizesUpTo?: number;
  /** How the files are stored: compressed (`….sql.gz`, `….sql.zst`), encrypted (`….sql.age`), both (`….sql.gz.age`), or plain SQL. */
  encoding?: SetEncoding;
  /** How many pg_dump sessions share the rows of big tables (parallel.ts); default defaultJobs(). */
  jobs?: number;
  /** The size from which a table gets its own session (default PARALLEL_MIN_TABLE_BYTES; tests and the benchmark lower it). */
  parallelMinTableBytes?: number;
}

/** pg_dump's own selection options, for everyone whatever the profile. */
export interface DumpFilters {
  schemas?: readonly string[];
  excludeSchemas?: readonly string[];
  excludeTableData?: readonly string[];
}

export interface BackupResult {
  manifest: Manifest;
  folder: string;
  manifestPath: string;
}

/**
 * pg_dump's command line. The connection (host, port, database, user,
 * password) travels in the child's environment only, never here, where any
 * user of the machine could read it in the process list.
 */
export function buildPgDumpArgs(snapshotId: string, filters: DumpFilters = {}, lockTimeoutSeconds = DEFAULT_LOCK_TIMEOUT_SECONDS): string[] {
  return [
    '--format=plain',
    `--snapshot=${snapshotId}`,
    // Fail instead of prompting for a password nobody can type.
    '--no-password',
    // A table locked by a long migration fails the backup instead of hanging it.
    `--lock-wait-timeout=${lockTimeoutSeconds}s`,
    // One argument each, never through a shell: a pattern is pg_dump's to read.
    ...(filters.schemas ?? []).map((pattern) => `--schema=${pattern}`),
    ...(filters.excludeSchemas ?? []).map((pattern) => `--exclude-schema=${pattern}`),
    ...(filters.excludeTableData ?? []).map((pattern) => `--exclude-table-data=${pattern}`),
  ];
}

/** Order in which finished files are renamed into place; the manifest follows them. */
const FILE_ORDER: readonly BackupFileType[] = ['schema', 'data', 'complete'];

export async function runBackup(options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? (() => new Date());
  throwIfCancelled(options.signal);
  // A compression whose command is not installed (zstd) fails before the folder is locked or anything written.
  await checkCodecsReady(options.encoding);
  const folderExists = await checkFolder(options.folder);
  let session: SnapshotSession | undefined;
  let lock: FolderLock | undefined;
  let files: SetFiles | undefined;
  let connecting: Promise<[PromiseSettledResult<SnapshotSession>, PromiseSettledResult<ToolSet[]>]> | undefined;
  const lockFolder = async () => {
    if (options.lockHeld || lock) return;
    // Taking the lock also finishes or removes what a killed run left here.
    lock = await acquireFolderLock(options.folder, options.purpose ?? 'backup');
  };
  try {
    // An existing folder is locked at once, so a second backup fails at once;
    // a missing one is created (and locked) only once the database answered.
    if (folderExists) await lockFolder();
    // Connecting and finding pg_dump do not depend on each other, nor, in a
    // folder that exists, on the (hidden, temporary) files being created.
    connecting = Promise.allSettled([
      openSnapshotSession(options.target, { lockTimeoutSeconds: lockTimeoutOf(options), ...(options.signal ? { signal: options.signal } : {}) }),
      options.container
        ? Promise.resolve([containerToolSet(options.container)])
        : findClientTools({ pgBinDir: options.pgBinDir, env: options.env, withCompanions: false, ...(options.signal ? { signal: options.signal } : {}) }),
    ]);
    if (folderExists) files = await createSetFiles(options, now);
    const [opened, found] = await connecting;
    if (opened.status === 'fulfilled') session = opened.value;
    else throw opened.reason;
    if (found.status === 'rejected') throw found.reason;
    throwIfCancelled(options.signal);
    // A restore with jobs commits as it goes: a backup meanwhile would be a
    // whole-looking set of half a database. The restore's own safety backup
    // is taken before it loads anything.
    if (session.restoreRunning && options.purpose !== 'safety') {
      throw backupDuringRestoreError(options.target.database, await session.describeRunningRestore().catch(() => undefined));
    }
    options.onProgress?.({
      kind: 'connected',
      serverVersion: session.server.version,
      target: `${options.target.host}:${options.target.port}/${options.target.database}`,
    });
    const tools = chooseClientTools(found.value, parseServerVersionNum(session.server.versionNum));
    if (!files) {
      // Only now that there is something to write does the folder appear.
      await createFolder(options.folder);
      await lockFolder();
      files = await createSetFiles(options, now);
    }
    const set = files;
    files = undefined;
    return await dumpSet(options, session, tools, set);
  } catch (error) {
    await files?.discard();
    if (options.signal?.aborted) throw cancelledError();
    throw toPulseError(error);
  } finally {
    // A connection still being made when something else failed is ended
    // once it opens, without holding up the error until it does.
    if (!session && connecting) {
      void connecting.then(([opened]) => (opened.status === 'fulfilled' ? opened.value.close() : undefined));
    }
    // Ending the session and unlocking the folder do not wait for each other.
    await Promise.all([session?.close(), lock?.release()]);
  }
}

/**
 * The set's name and its files, created hidden before pg_dump starts: the
 * complete file pg_dump writes itself, and the schema and data files split
 * off it. Nothing here is visible under a backup name until committed.
 */
interface SetFiles {
  timestamp: string;
  startedAt: Date;
  startedClock: number;
  setId: string;
  completeName: string;
  schema: SetFileWriter;
  data: SetFileWriter;
  /** pg_dump's own file, for a plain set; an encoded set's complete file is written from pg_dump's standard output, never in clear. */
  complete: FollowedFile | SetFileWriter;
  /** A gzip set's files take their bytes through this: what they share is compressed once (the writers above store what comes after gzip). */
  members?: GzipMembers;
  discard(): Promise<void>;
}

async function createSetFiles(options: BackupOptions, now: () => Date): Promise<SetFiles> {
  const startedAt = now();
  const startedClock = performance.now();
  const codecs = codecsFor(options.encoding);
  // A timestamp is taken when any set's file has it, plain or stored through a codec.
  const timestamp = nextFreeTimestamp(startedAt, (candidate) =>
    [
      manifestNameFor(options.prefix, candidate),
      ...FILE_ORDER.flatMap((type) => WRITTEN_CODEC_CHAINS.map((variant) => fileNameFor(options.prefix, type, candidate, variant))),
    ].some((name) => existsSync(join(options.folder, name))),
  );
  const completeName = fileNameFor(options.prefix, 'complete', timestamp, codecs);
  // gzip is applied by GzipMembers, before the codecs after it (age).
  const sharedGzip = codecs[0] === 'gz';
  const writer = (type: 'schema' | 'data' | 'complete') =>
    createSetFileWriter(join(options.folder, fileNameFor(options.prefix, type, timestamp, codecs)), sharedGzip ? codecs.slice(1) : codecs, options.encoding ?? {});
  const created = await Promise.allSettled([writer('schema'), writer('data'), codecs.length === 0 ? FollowedFile.create(join(options.folder, completeName)) : writer('complete')]);
  const discard = async () => {
    for (const file of created) if (file.status === 'fulfilled') await file.value.discard();
  };
  const failed = created.find((file): file is PromiseRejectedResult => file.status === 'rejected');
  if (failed) {
    await discard();
    throw failed.reason;
  }
  const [schema, data, complete] = created.map((file) => (file as PromiseFulfilledResult<unknown>).value) as [SetFileWriter, SetFileWriter, FollowedFile | SetFileWriter];
  const members = sharedGzip ? (await import('../codecs/gzipMembers')).gzipMembers([schema, data, complete as SetFileWriter], options.encoding ?? {}) : undefined;
  return { timestamp, startedAt, startedClock, setId: setIdFor(options.prefix, timestamp), completeName, schema, data, complete, members, discard };
}

async function dumpSet(options: BackupOptions, session: SnapshotSession, tools: ToolSet, set: SetFiles): Promise<BackupResult> {
  const { timestamp, startedAt, startedClock, setId, completeName, schema, data, members } = set;
  const baseArgs = buildPgDumpArgs(session.snapshotId, options.filters, lockTimeoutOf(options));
  const stderrLines: string[] = [];
  // pg_dump ended without error, yet its output lacks the dump's end: most often its last write found the disk full.
  const dumpEndMissing = (exit: ToolExit) =>
    dumpEndMissingError(
      options.folder,
      exit,
      () =>
        new PulseError('dump-failed', 'pg_dump stopped before the end of the dump', {
          hint: 'run the backup again; if it keeps failing, check the database server log and the room on the disk holding the backups folder',
          details: stderrLines.join('\n'),
        }),
    );
  const jobs = await parallelJobs(options, session);
  /** pg_dump sessions side by side: the main one and one per worker. */
  const sessions = 1 + jobs.plan.workers.length;
  // Each big table's rows go to a session of their own; the main pg_dump leaves them out.
  let mainDump: { kill(): void } | undefined;
  const pieces =
    jobs.plan.workers.length === 0
      ? undefined
      : new TablePieces(jobs.plan, {
          pgDump: tools.pgDump.path,
          baseArgs,
          env: childProcessEnv(options.target, options.env),
          folder: options.folder,
          fileStem: completeName,
          ...(options.signal ? { signal: options.signal } : {}),
          warnings: stderrLines,
          describeFailure: (stderr, exit) => pgDumpFailure(stderr, options, exit, sessions, session),
          onFailure: () => mainDump?.kill(),
        });
  const pgDumpArgs = pieces ? [...baseArgs, ...pieces.tables.map((table) => `--exclude-table-data=${exactTablePattern(table)}`)] : baseArgs;
  const writers: SetFileWriter[] = [schema, data];
  // A plain set's complete file is pg_dump's own; an encoded set's is written here, from pg_dump's standard output.
  const completeFile = set.complete instanceof FollowedFile ? set.complete : undefined;
  const encodedComplete = set.complete instanceof FollowedFile ? undefined : set.complete;
  if (encodedComplete) writers.push(encodedComplete);
  let complete: FollowedFile | undefined = completeFile;
  let pendingManifest: PendingFile | undefined;
  try {
    // pg_dump writes to its standard output, which goes to the file (or, for
    // an encoded set, to this process): never --file, which would truncate
    // the file and make ext4 write out, on close, a file that is then only
    // read and removed (see ToolOptions.stdout). Inside a container pg_dump
    // could not reach the file anyway.
    const container = options.container;
    const pgDump = startTool(container ? 'docker' : tools.pgDump.path, container ? dockerExecArgs(container.container, 'pg_dump', pgDumpArgs) : pgDumpArgs, {
      env: container ? dockerEnv(options.target, options.env) : childProcessEnv(options.target, options.env),
      stdin: 'ignore',
      stdout: completeFile ? { file: completeFile.temporaryPath } : 'pipe',
      signal: options.signal,
    });
    mainDump = pgDump;
    let pgDumpExited = false;
    // The process's own exit tells the follower the file is whole (pg_dump
    // closed it), some milliseconds before its stderr is read to the end.
    const processExit = new Promise<void>((resolve) =>
      pgDump.child.once('exit', () => {
        pgDumpExited = true;
        resolve();
      }),
    );
    const exited = pgDump.exited.then((result) => {
      pgDumpExited = true;
      return result;
    });
    onLines(pgDump.stderr, (line) => {
      if (line.trim() !== '' && stderrLines.length < 500) stderrLines.push(redactText(line));
    });

    let server: ServerFacts;
    let catalog: CatalogFacts;
    let sizes: Sizes;
    let splitter: DumpReader;
    let profileRecord: ProfileRecord;
    /** The complete file when it is written here: from the filtered stream, or encoded. */
    let writtenComplete: SetFileWriter | undefined = encodedComplete;
    let filtered = false;
    const dumped = new DumpedTables();
    const digests = options.digests === false ? undefined : new DumpDigests();
    try {
      // pg_dump needs a moment to read its own catalog: read ours meanwhile,
      // in the same snapshot. Should pg_dump fail first, its error is the one
      // that counts, not a wait for our queries to end.
      const whileDumping = <T>(work: Promise<T>) => untilToolFails(work, exited);
      server = await whileDumping(session.readServerFacts());
      const profile = chooseProfile(options.profile ?? 'auto', server.shape);
      // The Supabase profile leaves entries out of the complete file too:
      // pg_dump's own output is then only the source of the three files, and
      // the set's complete file is written from the filtered stream like the
      // other two.
      // pg_dump 17 and later write SET transaction_timeout, which an older
      // server rejects: for a server before 17 the set's files guard it.
      const guardTransactionTimeout = tools.pgDump.version.major >= 17 && server.versionNum < 170000;
      // A parallel set's complete file is assembled too: pg_dump's own output lacks the big tables' rows.
      filtered = profile.name === 'supabase' || guardTransactionTimeout || pieces !== undefined;
      if (filtered && !writtenComplete) {
        writtenComplete = await HashedFileWriter.create(join(options.folder, completeName), `${completeName}.${FILTERED_VARIANT}`);
        writers.push(writtenComplete);
      }
      // pg_dump's own file is then only read: no hash, no flush, so the disk need not hold it twice.
      if (filtered) completeFile?.readAsSourceOnly();
      catalog = await whileDumping(session.readCatalog({ platform: profile.name === 'supabase' }));
      // Read on the session while the stream is split; only the manifest waits for them.
      const readingSizes = whileDumping(session.readSizes(catalog.tables, options.exactSizesUpTo));
      readingSizes.catch(() => undefined); // awaited after the stream
      let sessionEnding = false;
      const filter = profile.name === 'supabase' ? supabaseEntryFilter(catalog.platform ?? EMPTY_PLATFORM) : undefined;
      profileRecord = {
        name: profile.name,
        chosen: options.profile ?? 'auto',
        reason: profile.reason,
        ...(filter ? filter.record : { platformData: [], attachedObjects: [], leftOut: { schemas: [], tableData: [] } }),
      };
      options.onProgress?.({ kind: 'dump-started', setId, pgDump: tools.pgDump.path });
      splitter = new DumpReader({
        ...unvalidatedCheckStatements(catalog.unvalidatedChecks),
        ...(filter ? supabaseFileOptions(filter.keep, catalog.platform?.platformSchemas ?? []) : {}),
        ...(guardTransactionTimeout ? { rewritePreambleLine: guardNewerSettings } : {}),
        ...(pieces ? { pauseBefore: (header: EntryHeader | undefined) => pieces.pauseBefore(header) } : {}),
        ...digests?.readerOptions(),
        onEntry: (header) => dumped.note(header),
        onTableStart: (table) => options.onProgress?.({ kind: 'table-start', table }),
        onTableProgress: (table) => options.onProgress?.({ kind: 'table-progress', table }),
        onTableDone: (table) => options.onProgress?.({ kind: 'table-done', table }),
      });
      const split = splitter;
      const completeWriter = writtenComplete;
      const wholeStream = filtered;
      // Resolves once every file holds the chunk's pieces: the reader then
      // reuses its buffer, so memory stays bounded whatever the size.
      const write = async (parts: SplitOutput, chunk: Buffer) => {
        if (members) {
          members.push(chunk, [parts.schema, parts.data, wholeStream ? parts.whole : [chunk]]);
          await members.flush();
          return;
        }
        schema.write(parts.schema);
        data.write(parts.data);
        completeWriter?.write(wholeStream ? parts.whole : [chunk]);
        await Promise.all([schema.flush(), data.flush(), completeWriter?.flush()]);
      };
      const onChunk = async (chunk: Buffer) => {
        if (!sessionEnding && !pieces) {
          // pg_dump writes its first byte only after it has imported the
          // snapshot: once the sizes are read too, the session has done its
          // work and ends, not at the end of the backup (unless sessions
          // still to start import its snapshot: then at the end).
          sessionEnding = true;
          const endSession = () => session.close();
          void readingSizes.then(endSession, endSession);
        }
        // The follower reads the next chunk while this one is written: it waits while pieces are fed in.
        while (feeding) await feeding;
        const parts = split.push(chunk);
        if (!split.paused) return write(parts, chunk);
        const fed = feedPieces(parts, chunk);
        // Its failure is this call's to report; the chunk waiting behind it only waits.
        feeding = fed
          .catch(() => undefined)
          .finally(() => {
            feeding = undefined;
          });
        await fed;
      };
      let feeding: Promise<void> | undefined;
      // Where a big table's rows belong, its piece goes in before the main dump goes on.
      const feedPieces = async (parts: SplitOutput, chunk: Buffer) => {
        await write(parts, chunk);
        while (split.paused) {
          await pieces!.feedDue((piece) => write(split.push(piece), piece));
          await write(split.resume(), chunk);
        }
      };
      if (completeFile) await completeFile.follow(() => pgDumpExited, onChunk, processExit);
      else for await (const chunk of pgDump.stdout!) await onChunk(chunk as Buffer);
      const rest = split.end();
      if (split.paused) throw dumpEndMissing(await exited);
      if (members) {
        members.push(undefined, [rest.schema, rest.data, wholeStream ? rest.whole : []]);
        await members.finish();
      } else {
        schema.write(rest.schema);
        data.write(rest.data);
        if (wholeStream) completeWriter?.write(rest.whole);
      }
      sizes = await readingSizes;
    } catch (error) {
      pgDump.kill();
      const ended = await exited;
      if (pieces?.failure) throw pieces.failure;
      if (error instanceof ToolFailed) throw await pgDumpFailure(stderrLines, options, ended, sessions, session);
      if (isLockTimeout(error)) throw await lockWaitError(options.target, { seconds: lockTimeoutOf(options), details: String(error), purpose: purposeOf(options) });
      throw error;
    }
    const result = await exited;
    throwIfCancelled(options.signal);
    if (pieces?.failure) throw pieces.failure;
    if (result.startError) throw toolStartError(result.startError, container ? 'docker' : tools.pgDump.path);
    if (result.exitCode !== 0) throw await pgDumpFailure(stderrLines, options, result, sessions, session);
    if (!splitter.complete || (pieces?.unfed ?? 0) > 0) throw dumpEndMissing(result);
    options.onProgress?.({ kind: 'finishing', bytesWritten: (completeFile ?? writtenComplete)?.bytes ?? 0 });

    if (writtenComplete) {
      await Promise.all([schema.finish(), data.finish(), writtenComplete.finish()]);
      // pg_dump's unfiltered output was only the source of the three files.
      await completeFile?.discard();
      complete = undefined;
    } else {
      await Promise.all([schema.finish(), data.finish(), completeFile!.finish()]);
    }
    // A cancel that arrived while the files were flushed still keeps nothing.
    throwIfCancelled(options.signal);
    const completeWritten = writtenComplete ?? completeFile!;
    const files: ManifestFile[] = [
      { type: 'schema', name: schema.name, bytes: schema.bytes, sha256: schema.sha256 },
      { type: 'data', name: data.name, bytes: data.bytes, sha256: data.sha256 },
      { type: 'complete', name: completeWritten.name, bytes: completeWritten.bytes, sha256: completeWritten.sha256 },
    ];
    const rowsByTable = new Map(splitter.tableData.map((table) => [qualifiedName(table.schema, table.name), table.rows]));
    const tables = dumped.manifestTables(catalog.tables, rowsByTable, sizes.tableBytes);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      id: setId,
      prefix: options.prefix,
      timestamp,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - startedClock),
      purpose: options.purpose ?? 'backup',
      ...(options.purpose === 'safety' && options.takenBefore !== undefined ? { takenBefore: options.takenBefore } : {}),
      database: {
        host: options.target.host,
        port: options.target.port,
        name: options.target.database,
        user: options.target.user,
        sizeBytes: sizes.databaseBytes,
      },
      ...(sizes.estimated ? { sizes: 'estimated' as const } : {}),
      server: { version: server.version, versionNum: server.versionNum },
      tools: {
        pulseBackup: PULSE_BACKUP_VERSION,
        pgDump: { path: tools.pgDump.path, version: tools.pgDump.version.text },
      },
      options: {
        method: 'single-snapshot-split',
        pgDumpArgs: pgDumpArgs.map((arg) => (arg.startsWith('--snapshot=') ? '--snapshot=<exported>' : arg)),
        ...(pieces ? { jobs: jobs.jobs, parallelTables: pieces.size } : {}),
      },
      files,
      tables,
      materializedViews: catalog.materializedViews,
      largeObjects: largeObjectsLeftOut(pgDumpArgs) ? 0 : catalog.largeObjects,
      sequences: catalog.sequences,
      foreignKeyCycles: catalog.foreignKeyCycles,
      pgDumpWarnings: stderrLines,
      profile: profileRecord,
      ...(digests ? { digests: digests.record(server.outputSettings, largeObjectsLeftOut(pgDumpArgs) ? undefined : catalog.largeObjectGrants) } : {}),
      ...(options.encoding?.encryption ? { encryption: options.encoding.encryption.record } : {}),
    };
    const manifestPath = join(options.folder, manifestNameFor(options.prefix, timestamp));
    // The manifest is written (hidden) before the first rename: should this
    // process die among the renames, it tells the next run what the whole
    // set is, so that run can finish it (see leftovers.ts). It is renamed
    // into place last; until then the set lists as unfinished, never as good.
    pendingManifest = await writeHiddenFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await schema.commit();
    await data.commit();
    await completeWritten.commit();
    await syncFolder(options.folder);
    await pendingManifest.commit();
    return { manifest, folder: options.folder, manifestPath };
  } catch (error) {
    // Remove the hidden temporaries and any file already renamed into place:
    // a set without its manifest must not be mistaken for a good one.
    await pendingManifest?.discard();
    for (const writer of writers) await writer.discard();
    await complete?.discard();
    await pieces?.discard();
    if (options.signal?.aborted) throw cancelledError();
    // This process's own writes ran out of room (pg_dump's are read from its stderr): the same words, the folder named.
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC') throw diskFullError(options.folder, String(error));
    throw error;
  }
}

const EMPTY_PLATFORM: PlatformFacts = { platformSchemas: [], triggersOnPlatformTables: [], eventTriggers: [], platformSequences: [] };

/**
 * Which tables the set holds, from the entries that went into it: a table's
 * definition (TABLE, FOREIGN TABLE) and its rows (TABLE DATA). The catalog
 * lists every table of the database; a profile or pg_dump's own filters
 * (--schema, --exclude-table-data) leave some out, and the manifest must
 * promise only what the files hold.
 */
class DumpedTables {
  private readonly defined = new Set<string>();
  private readonly withData = new Set<string>();

  note(header: EntryHeader): void {
    const name = qualifiedName(header.schema, header.name);
    if (header.type === 'TABLE' || header.type === 'FOREIGN TABLE') this.defined.add(name);
    else if (header.type === 'TABLE DATA') this.withData.add(name);
  }

  manifestTables(catalog: readonly CatalogTable[], rows: ReadonlyMap<string, number>, bytes: ReadonlyMap<number, number>): ManifestTable[] {
    const tables: ManifestTable[] = [];
    for (const table of catalog) {
      // Headers write a name's line breaks as spaces.
      const name = qualifiedName(table.schema, table.name);
      const inHeaders = qualifiedName(headerName(table.schema), headerName(table.name));
      const defined = this.defined.has(inHeaders);
      const hasData = this.withData.has(inHeaders);
      if (!defined && !hasData) continue;
      const entry: ManifestTable = {
        schema: table.schema,
        name: table.name,
        kind: table.kind,
        rows: table.kind === 'table' && hasData ? (rows.get(name) ?? 0) : null,
        bytes: bytes.get(table.oid) ?? 0,
      };
      // A platform table whose rows the set holds, while the platform creates the table itself.
      if (!defined) entry.definition = false;
      if (defined && !hasData && table.kind === 'table') entry.dataLeftOut = true;
      tables.push(entry);
    }
    return tables;
  }
}

/**
 * A Supabase set's complete file loads rows into the platform's tables
 * (auth.users, auth.identities, storage.objects, …), which keep their own
 * foreign keys and triggers: pg_dump orders their rows by name (identities
 * before users), so, as the Supabase CLI's own data dump does, they load
 * with triggers and foreign-key checks quiet. The application's own foreign
 * keys and triggers are created after the rows, as in any complete dump.
 */
const SUPABASE_COMPLETE_FILE_PREAMBLE =
  "-- Pulse Backup: the Supabase platform's tables keep their own foreign keys and\n" +
  "-- triggers; their rows load with those quiet, as the Supabase CLI's data dump\n" +
  '-- does (the stack lets postgres set this).\n' +
  'SET session_replication_role = replica;\n\n';

/**
 * A line of pg_dump's preamble that only PostgreSQL 17 and later know
 * (`SET transaction_timeout = 0;`, which pg_dump 17 writes whatever server
 * it dumps), set only where the server has it, so the files restore into
 * the server they came from and into newer ones, with psql as they are.
 */
export function guardNewerSettings(line: string): string | undefined {
  return line === 'SET transaction_timeout = 0;' ? TRANSACTION_TIMEOUT_GUARD : undefined;
}

/** What `SET transaction_timeout = 0;` becomes in the files of a set dumped from a server before 17. */
export const TRANSACTION_TIMEOUT_GUARD = "DO $$BEGIN IF pg_catalog.current_setting('server_version_num')::int >= 170000 THEN SET transaction_timeout = 0; END IF; END$$;";

/** What the Supabase profile adds to the splitter: which entries it keeps, and what its schema and complete files begin with. */
function supabaseFileOptions(keepEntry: (header: EntryHeader) => boolean, platformSchemas: readonly string[]) {
  // Objects the files create get exactly the backup's grants, even on a stack whose defaults grant more.
  const grants = `-- Pulse Backup: the objects below get exactly the grants the backup had: the\n-- restoring role's default privileges outside the platform's schemas are\n-- the built-in ones until this file's own ALTER DEFAULT PRIVILEGES at its end.\n${resetDefaultPrivilegesStatement(platformSchemas)}\n\n`;
  return { keepEntry, schemaProlog: grants, wholeProlog: SUPABASE_COMPLETE_FILE_PREAMBLE + grants };
}

/**
 * CHECK constraints added NOT VALID may have rows that break them. pg_dump
 * creates them after the data in a complete dump, but a schema-only file
 * creates them before: the data file sets them aside while rows load and
 * puts them back, still NOT VALID, afterwards.
 */
function unvalidatedCheckStatements(checks: readonly UnvalidatedCheck[]): { dataProlog: string; dataEpilog: string } {
  if (checks.length === 0) return { dataProlog: '', dataEpilog: '' };
  const target = (check: UnvalidatedCheck) => `ALTER ${check.on === 'domain' ? 'DOMAIN' : 'TABLE'} ${qualifiedIdentifier(check.schema, check.name)}`;
  const drops = checks.map((check) => `${target(check)} DROP CONSTRAINT IF EXISTS ${quoteIdentifier(check.constraint)};`);
  const adds = checks.flatMap((check) => [
    `${target(check)} ADD CONSTRAINT ${quoteIdentifier(check.constraint)} ${check.definition};`,
    // Dropping the constraint dropped its comment.
    ...(check.comment === null
      ? []
      : [
          `COMMENT ON CONSTRAINT ${quoteIdentifier(check.constraint)} ON ${check.on === 'domain' ? 'DOMAIN ' : ''}${qualifiedIdentifier(check.schema, check.name)} IS ${quoteLiteral(check.comment)};`,
        ]),
  ]);
  return {
    dataProlog: `-- CHECK constraints added NOT VALID are set aside while rows load.\n${drops.join('\n')}\n\n`,
    dataEpilog: `-- The NOT VALID CHECK constraints set aside above, back in place.\n${adds.join('\n')}\n\n`,
  };
}

/** Fails early on a folder that can never work, without creating anything yet; says whether it exists. */
async function checkFolder(folder: string): Promise<boolean> {
  let info;
  try {
    info = await stat(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw folderError(folder, error);
  }
  if (!info.isDirectory()) {
    throw new PulseError('folder-not-a-folder', `the backups folder ${folder} is a file, not a folder`, {
      hint: hint`point ${option('backupsFolder')} at a folder (it is created when missing)`,
    });
  }
  try {
    await access(folder, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw folderError(folder, error);
  }
  return true;
}

/** A new backups folder is private to its owner (0700): the dumps hold the database's data. */
async function createFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw folderError(folder, error);
  }
}

function folderError(folder: string, error: unknown): PulseError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR') {
    return new PulseError('folder-not-a-folder', `the backups folder ${folder} is inside a file, not a folder`, {
      hint: hint`point ${option('backupsFolder')} at a folder`,
    });
  }
  if (code === 'ENOSPC') return toPulseError(error);
  if (code === 'EROFS') {
    return new PulseError('folder-not-writable', `cannot write to the backups folder ${folder}: its file system is read-only`, {
      hint: hint`choose a backups folder on a disk you can write to with ${option('backupsFolder')}`,
      cause: error,
    });
  }
  return new PulseError('folder-not-writable', `cannot write to the backups folder ${folder}`, {
    hint: hint`choose a folder you can write to with ${option('backupsFolder')}, or fix its permissions`,
    cause: error,
  });
}

/** Thrown into the catalog reads when pg_dump ended in failure first. */
class ToolFailed extends Error {}

/** `work`, unless the tool fails before it is done. */
function untilToolFails<T>(work: Promise<T>, exited: Promise<ToolExit>): Promise<T> {
  const failed = exited.then((result) => {
    if (result.exitCode !== 0) throw new ToolFailed();
    return new Promise<never>(() => undefined); // a tool that succeeded leaves the work to finish
  });
  failed.catch(() => undefined);
  return Promise.race([work, failed]);
}

/**
 * How many sessions dump, and which big tables get one of their own. pg_dump's
 * own filters (whose patterns only pg_dump reads), a pg_dump inside a
 * container, an encrypted set (whose rows never touch the disk in clear,
 * as the pieces would) and a compressed set (whose rows the data and complete
 * files share as gzip members, codecs/gzipMembers.ts) keep the one-session dump.
 */
async function parallelJobs(options: BackupOptions, session: SnapshotSession) {
  const jobs = options.jobs ?? defaultJobs();
  const filters = options.filters ?? {};
  const filtered = (filters.schemas?.length ?? 0) + (filters.excludeSchemas?.length ?? 0) + (filters.excludeTableData?.length ?? 0) > 0;
  const encoded = codecsFor(options.encoding).length > 0;
  if (jobs <= 1 || filtered || options.container || encoded) return { jobs: 1, plan: { workers: [] } };
  const minTableBytes = options.parallelMinTableBytes ?? PARALLEL_MIN_TABLE_BYTES;
  const sizes = await session.readTableDataSizes(minTableBytes);
  return { jobs, plan: planPieces(sizes.tables, jobs, minTableBytes, sizes.otherBytes) };
}

/** Whose words a lock wait is told in: a safety backup's, or a backup's own. */
function purposeOf(options: BackupOptions): 'backup' | 'safety' {
  return options.purpose === 'safety' ? 'safety' : 'backup';
}

function lockTimeoutOf(options: BackupOptions): number {
  return options.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS;
}

/** pg_dump's failure, in one line; a lock it waited for too long names the table and the session holding it. */
async function pgDumpFailure(stderrLines: string[], options: BackupOptions, result: ToolExit, sessions: number, session: SnapshotSession): Promise<PulseError> {
  const text = stderrLines.join('\n');
  const snapshotLost = session.lostReason();
  // On a standby, replay may end the snapshot's session or cancel pg_dump's query.
  if (isRecoveryConflict(text) || (isSnapshotGone(text) && isRecoveryConflict(snapshotLost))) {
    return recoveryConflictError('dump-failed', 'the backup', 'nothing was written; older backups are untouched', [text, snapshotLost].filter(Boolean).join('\n'));
  }
  if (isSnapshotGone(text) && snapshotLost !== undefined) {
    return new PulseError('dump-failed', `the server ended the backup's snapshot session before pg_dump could use its snapshot (${snapshotLost})`, {
      hint: 'run the backup again, and check the server log (it says why the session ended) if it repeats; nothing was written; older backups are untouched',
      details: text,
    });
  }
  if (isLockTimeout(text)) {
    const table = tableOfLockQuery(text);
    return lockWaitError(options.target, { seconds: lockTimeoutOf(options), ...(table ? { table } : {}), details: text, purpose: purposeOf(options) });
  }
  // The backup's own sessions may be what filled the server's slots: fewer of them is the first thing to try.
  if (sessions > 1 && OUT_OF_CONNECTION_SLOTS.test(text)) {
    return new PulseError('connection-refused', `PostgreSQL at ${describeServer(options.target)} has no free connection slots for the backup's ${sessions} pg_dump sessions`, {
      hint: hint`run with a smaller ${option('jobs')} (each job is one more connection), or close idle connections or raise max_connections; nothing was written and older backups are untouched`,
      details: text,
    });
  }
  return pgDumpError(stderrLines, options, result.exitCode, result.signal);
}

function pgDumpError(stderrLines: string[], options: BackupOptions, exitCode: number | undefined, signal: string | undefined): PulseError {
  const text = stderrLines.join('\n');
  const target = options.target;
  if (/No space left on device|Disk quota exceeded/i.test(text)) return diskFullError(options.folder, text, 'pg_dump could not write the dump');
  const errorLine = stderrLines.find((line) => /error:|FATAL:/i.test(line)) ?? stderrLines[stderrLines.length - 1];
  // Lost mid-dump (the server restarted, or someone ended the session): not a connection setup problem.
  const lost = lostConnectionReason(text);
  if (lost && /Dumping the contents|PQgetResult|query failed/i.test(text)) {
    return new PulseError('dump-failed', `pg_dump lost its connection to the server mid-dump (${lost})`, {
      hint: 'nothing was written and older backups are untouched; run the backup again, and check the server log if it repeats',
      details: text,
    });
  }
  const why = errorLine ? errorLine.replace(/^pg_dump:\s*(error:\s*)?/, '') : signal ? `killed by ${signal}` : `exit code ${exitCode ?? '?'}`;
  // Before the connection words: a table dropped meanwhile "does not exist" too.
  if (schemaChangedMeanwhile(text)) {
    return new PulseError('dump-failed', `pg_dump failed: ${SCHEMA_CHANGED_WORDS} (${why.replace(/^query failed:\s*(ERROR:\s*)?/, '')})`, {
      hint: `${schemaChangedHint('the backup')}; nothing was written; older backups are untouched`,
      details: text,
    });
  }
  if (/connection to server|could not connect|password authentication|does not exist|timeout expired|could not translate host/i.test(text)) {
    return describeConnectionError(new Error(text), target);
  }
  if (/no matching schemas were found/i.test(text) && (options.filters?.schemas?.length ?? 0) > 0) {
    const patterns = options.filters!.schemas!;
    return new PulseError('dump-failed', `no schema of ${target.database} matches ${patterns.length === 1 ? 'the pattern' : 'the patterns'} ${patterns.join(', ')}`, {
      hint: "check the schema pattern (pg_dump's rules: * and ? are wildcards, letters outside double quotes are folded to lower case); nothing was written; older backups are untouched",
      details: text,
    });
  }
  const denied = readPermissionError(text, target.user, {
    because: 'pg_dump reads everything it backs up',
    runAs: 'back up as',
    unchanged: 'nothing was written; older backups are untouched',
  });
  if (denied) return denied;
  if (/server version mismatch/i.test(text)) {
    return new PulseError('tools-too-old', errorLine ?? 'pg_dump refused the server version', {
      hint: hint`install client tools of the server version or newer, or ${setOption('clientToolsFolder')}`,
    });
  }
  return new PulseError('dump-failed', `pg_dump failed: ${why}`, {
    hint: 'nothing was written; older backups are untouched',
    details: text,
  });
}

function cancelledError(): PulseError {
  return new PulseError('cancelled', 'backup cancelled', { hint: 'no files were kept; older backups are untouched' });
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}
