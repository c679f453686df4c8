/**
 * Writes one backup set: a single pg_dump run from an exported snapshot,
 * split on the fly into the complete, schema-only and data-only files,
 * each hashed while it is written, then a manifest. Nothing becomes visible
 * under a backup name until every byte is on disk; a failure or a cancel
 * leaves only what was there before.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, existsSync, fdatasync as fdatasyncCallback, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { access, constants, mkdir, open as openFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { childProcessEnv, describeConnectionError, redactText, type ConnectionTarget } from './connection';
import { syncFolder, temporaryPathFor, writeFileAtomic } from './atomicFile';
import { loadExeca } from './execa';
import { DumpSplitter, type TableDataEvent } from './dumpSplitter';
import { PulseError, toPulseError } from './errors';
import { acquireFolderLock } from './lock';
import {
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  qualifiedName,
  type BackupFileType,
  type Manifest,
  type ManifestFile,
} from './manifest';
import { fileNameFor, manifestNameFor, nextFreeTimestamp, setIdFor } from './naming';
import { chooseClientTools, findClientTools, parseServerVersionNum, type ToolSet } from './pgTools';
import { openSnapshotSession, type SnapshotSession, type UnvalidatedCheck } from './snapshot';
import { qualifiedIdentifier, quoteIdentifier } from './sql';
import { PULSE_BACKUP_VERSION } from './version';

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
  signal?: AbortSignal;
  onProgress?: (event: BackupProgress) => void;
  /** The clock, replaceable so tests can force two sets into the same second. */
  now?: () => Date;
}

export interface BackupResult {
  manifest: Manifest;
  folder: string;
  manifestPath: string;
}

const fdatasync = promisify(fdatasyncCallback);
/** How much may wait in memory for the disk, per file: bounds memory whatever the database size. */
const WRITE_QUEUE_BYTES = 4 * 1024 * 1024;
const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;

/** Order in which finished files are renamed into place; the manifest follows them. */
const FILE_ORDER: readonly BackupFileType[] = ['schema', 'data', 'complete'];

export async function runBackup(options: BackupOptions): Promise<BackupResult> {
  const now = options.now ?? (() => new Date());
  throwIfCancelled(options.signal);
  await prepareFolder(options.folder);
  const lock = await acquireFolderLock(options.folder, options.purpose ?? 'backup');
  let session: SnapshotSession | undefined;
  try {
    session = await openSnapshotSession(options.target);
    throwIfCancelled(options.signal);
    options.onProgress?.({
      kind: 'connected',
      serverVersion: session.server.version,
      target: `${options.target.host}:${options.target.port}/${options.target.database}`,
    });
    const found = await findClientTools({ pgBinDir: options.pgBinDir, env: options.env });
    const tools = chooseClientTools(found, parseServerVersionNum(session.server.versionNum));
    const catalog = await session.readCatalog();
    return await dumpSet(options, session, tools, catalog, now);
  } catch (error) {
    if (options.signal?.aborted) throw cancelledError();
    throw toPulseError(error);
  } finally {
    await session?.close();
    await lock.release();
  }
}

async function dumpSet(
  options: BackupOptions,
  session: SnapshotSession,
  tools: ToolSet,
  catalog: Awaited<ReturnType<SnapshotSession['readCatalog']>>,
  now: () => Date,
): Promise<BackupResult> {
  const startedAt = now();
  const startedClock = performance.now();
  const timestamp = nextFreeTimestamp(startedAt, (candidate) =>
    [manifestNameFor(options.prefix, candidate), ...FILE_ORDER.map((type) => fileNameFor(options.prefix, type, candidate))].some(
      (name) => existsSync(join(options.folder, name)),
    ),
  );
  const setId = setIdFor(options.prefix, timestamp);
  const outputs = new Map<BackupFileType, OutputFile>();
  for (const type of FILE_ORDER) {
    outputs.set(type, new OutputFile(join(options.folder, fileNameFor(options.prefix, type, timestamp))));
  }

  const pgDumpArgs = [
    '--format=plain',
    `--snapshot=${session.snapshotId}`,
    '--no-password',
    '--lock-wait-timeout=60s',
  ];
  const secrets = options.target.password ? [options.target.password] : [];
  const stderrLines: string[] = [];
  let bytesWritten = 0;
  try {
    await Promise.all([...outputs.values()].map((output) => output.open()));
    options.onProgress?.({ kind: 'dump-started', setId, pgDump: tools.pgDump.path });
    const splitter = new DumpSplitter({
      ...unvalidatedCheckStatements(catalog.unvalidatedChecks),
      onTableStart: (table) => options.onProgress?.({ kind: 'table-start', table }),
      onTableProgress: (table) => options.onProgress?.({ kind: 'table-progress', table }),
      onTableDone: (table) => options.onProgress?.({ kind: 'table-done', table }),
    });
    const execa = await loadExeca();
    const pgDump = execa(tools.pgDump.path, pgDumpArgs, {
      env: childProcessEnv(options.target, options.env),
      extendEnv: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cancelSignal: options.signal,
      forceKillAfterDelay: 3000,
      windowsHide: true,
    });
    pgDump.stderr.setEncoding('utf8');
    pgDump.stderr.on('data', (text: string) => {
      for (const line of text.split(/\r?\n/)) {
        if (line.trim() !== '' && stderrLines.length < 500) stderrLines.push(redactText(line, secrets));
      }
    });

    const complete = outputs.get('complete')!;
    const schema = outputs.get('schema')!;
    const data = outputs.get('data')!;
    try {
      for await (const chunk of pgDump.stdout) {
        const buffer = chunk as Buffer;
        const split = splitter.push(buffer);
        const roomLeft = [complete.write([buffer]), schema.write(split.schema), data.write(split.data)];
        bytesWritten += buffer.length;
        if (roomLeft.includes(false)) await Promise.all([complete.drained(), schema.drained(), data.drained()]);
      }
    } catch (error) {
      pgDump.kill();
      await pgDump;
      throw error;
    }
    const rest = splitter.end();
    schema.write(rest.schema);
    data.write(rest.data);
    const result = await pgDump;
    throwIfCancelled(options.signal);
    if (result.exitCode !== 0 || result.failed) {
      throw pgDumpError(stderrLines, options.target, result.exitCode, result.signal);
    }
    if (!splitter.complete) {
      throw new PulseError('dump-failed', 'pg_dump stopped before the end of the dump', {
        hint: 'run the backup again; if it keeps failing, check the database server log',
        details: stderrLines.join('\n'),
      });
    }
    options.onProgress?.({ kind: 'finishing', bytesWritten });

    await Promise.all([...outputs.values()].map((output) => output.finish()));
    const files: ManifestFile[] = FILE_ORDER.map((type) => {
      const output = outputs.get(type)!;
      return { type, name: output.name, bytes: output.bytes, sha256: output.sha256 };
    });
    for (const type of FILE_ORDER) await outputs.get(type)!.commit();
    await syncFolder(options.folder);

    const rowsByTable = new Map(splitter.tableData.map((table) => [qualifiedName(table.schema, table.name), table.rows]));
    const tables = catalog.tables.map((table) => ({
      ...table,
      rows: table.kind === 'table' ? (rowsByTable.get(qualifiedName(table.schema, table.name)) ?? 0) : null,
    }));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      id: setId,
      prefix: options.prefix,
      timestamp,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - startedClock),
      purpose: options.purpose ?? 'backup',
      database: {
        host: options.target.host,
        port: options.target.port,
        name: options.target.database,
        user: options.target.user,
        sizeBytes: session.server.databaseSizeBytes,
      },
      server: { version: session.server.version, versionNum: session.server.versionNum },
      tools: {
        pulseBackup: PULSE_BACKUP_VERSION,
        pgDump: { path: tools.pgDump.path, version: tools.pgDump.version.text },
      },
      options: { method: 'single-snapshot-split', pgDumpArgs: pgDumpArgs.map((arg) => (arg.startsWith('--snapshot=') ? '--snapshot=<exported>' : arg)) },
      files,
      tables,
      materializedViews: catalog.materializedViews,
      largeObjects: catalog.largeObjects,
      sequences: catalog.sequences,
      foreignKeyCycles: catalog.foreignKeyCycles,
      pgDumpWarnings: stderrLines,
    };
    const manifestPath = join(options.folder, manifestNameFor(options.prefix, timestamp));
    await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return { manifest, folder: options.folder, manifestPath };
  } catch (error) {
    // Remove the hidden temporaries and any file already renamed into place:
    // a set without its manifest must not be mistaken for a good one.
    for (const output of outputs.values()) await output.discard();
    if (options.signal?.aborted) throw cancelledError();
    throw error;
  }
}

/**
 * One output file: written under a hidden name, hashed as it goes, renamed
 * when whole. Writes are queued (up to a high-water mark) rather than awaited
 * one by one, so pg_dump keeps streaming while the disk catches up; every few
 * megabytes the data written so far is flushed in the background, which keeps
 * the final flush short.
 */
class OutputFile {
  readonly name: string;
  private readonly temporaryPath: string;
  private stream: WriteStream | undefined;
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;
  private committed = false;
  private unflushedBytes = 0;
  private backgroundFlush: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  bytes = 0;

  constructor(private readonly finalPath: string) {
    this.name = basename(finalPath);
    this.temporaryPath = temporaryPathFor(finalPath);
  }

  async open(): Promise<void> {
    const stream = createWriteStream(this.temporaryPath, { flags: 'wx', mode: 0o600, highWaterMark: WRITE_QUEUE_BYTES });
    stream.on('error', (error) => {
      this.failure ??= error;
    });
    await once(stream, 'open');
    this.stream = stream;
  }

  /** Queues the pieces; false when the queue is full and the caller should wait for `drained()`. */
  write(pieces: readonly Buffer[]): boolean {
    if (this.failure) throw this.failure;
    let roomLeft = true;
    for (const piece of pieces) {
      if (piece.length === 0) continue;
      this.hash.update(piece);
      this.bytes += piece.length;
      this.unflushedBytes += piece.length;
      roomLeft = this.stream!.write(piece) && roomLeft;
    }
    if (this.unflushedBytes >= FLUSH_EVERY_BYTES) {
      this.unflushedBytes = 0;
      const fd = (this.stream as unknown as { fd: number }).fd;
      this.backgroundFlush = this.backgroundFlush.then(() => fdatasync(fd).catch(() => undefined));
    }
    return roomLeft;
  }

  async drained(): Promise<void> {
    const stream = this.stream!;
    if (!stream.writableNeedDrain) return;
    await Promise.race([once(stream, 'drain'), once(stream, 'error').then(([error]) => Promise.reject(error as Error))]);
  }

  get sha256(): string {
    return this.digest ?? '';
  }

  async finish(): Promise<void> {
    const stream = this.stream!;
    this.digest = this.hash.digest('hex');
    await this.backgroundFlush;
    await new Promise<void>((resolve, reject) => {
      stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
    if (this.failure) throw this.failure;
    const handle = await openFile(this.temporaryPath, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.stream = undefined;
  }

  async commit(): Promise<void> {
    await rename(this.temporaryPath, this.finalPath);
    this.committed = true;
  }

  async discard(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream && !stream.destroyed) {
      stream.destroy();
      await once(stream, 'close').catch(() => undefined);
    }
    await unlink(this.temporaryPath).catch(() => undefined);
    if (this.committed) await unlink(this.finalPath).catch(() => undefined);
  }
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
  const adds = checks.map((check) => `${target(check)} ADD CONSTRAINT ${quoteIdentifier(check.constraint)} ${check.definition};`);
  return {
    dataProlog: `-- CHECK constraints added NOT VALID are set aside while rows load.\n${drops.join('\n')}\n\n`,
    dataEpilog: `-- The NOT VALID CHECK constraints set aside above, back in place.\n${adds.join('\n')}\n\n`,
  };
}

async function prepareFolder(folder: string): Promise<void> {
  let info;
  try {
    info = await stat(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw folderError(folder, error);
    try {
      await mkdir(folder, { recursive: true, mode: 0o700 });
    } catch (mkdirError) {
      throw folderError(folder, mkdirError);
    }
    return;
  }
  if (!info.isDirectory()) {
    throw new PulseError('folder-not-a-folder', `the backups folder ${folder} is a file, not a folder`, {
      hint: 'point --dir at a folder (it is created when missing)',
    });
  }
  try {
    await access(folder, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw folderError(folder, error);
  }
}

function folderError(folder: string, error: unknown): PulseError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR') {
    return new PulseError('folder-not-a-folder', `the backups folder ${folder} is inside a file, not a folder`, {
      hint: 'point --dir at a folder',
    });
  }
  if (code === 'ENOSPC') return toPulseError(error);
  return new PulseError('folder-not-writable', `cannot write to the backups folder ${folder}`, {
    hint: 'choose a folder you can write to with --dir, or fix its permissions',
    cause: error,
  });
}

function pgDumpError(stderrLines: string[], target: ConnectionTarget, exitCode: number | undefined, signal: string | undefined): PulseError {
  const text = stderrLines.join('\n');
  const errorLine = stderrLines.find((line) => /error:|FATAL:/i.test(line)) ?? stderrLines[stderrLines.length - 1];
  if (/connection to server|could not connect|password authentication|does not exist|timeout expired|could not translate host/i.test(text)) {
    return describeConnectionError(new Error(text), target);
  }
  if (/server version mismatch/i.test(text)) {
    return new PulseError('tools-too-old', errorLine ?? 'pg_dump refused the server version', {
      hint: 'install client tools of the server version or newer, or set --pg-bin-dir',
    });
  }
  const why = errorLine ? errorLine.replace(/^pg_dump:\s*(error:\s*)?/, '') : signal ? `killed by ${signal}` : `exit code ${exitCode ?? '?'}`;
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

