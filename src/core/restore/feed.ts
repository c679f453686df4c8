/**
 * What every psql session of a restore shares: writing to its standard
 * input with backpressure, the few dump lines rewritten on the way, and the
 * check that the file read is whole and the one the manifest recorded.
 */
import { hint, run } from '../hint';
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { guardNewerSettings } from '../backup/backup';
import { PulseError, toPulseError } from '../errors';
import { type EntryHeader, type TableDataEvent } from '../pg/dumpReader';
import { psqlEndedEarlyError } from '../pg/psqlEnd';
import type { ToolExit } from '../process/toolProcess';
import { FILE_FOR_MODE } from './types';
import { type PlannedRestore } from './plan';

/** Rows the server reported loading, per COPY, in the file's order. */
export interface LoadedTable {
  schema: string;
  name: string;
  rows: number;
}

/**
 * What a psql session's end means: its first ERROR (explained by `failure`),
 * an end before its input did, the feed's own failure — or, when all went
 * well, the rows the server's COPY tags counted for each table fed.
 */
export async function sessionOutcome(ended: {
  result: ToolExit;
  feedError: unknown;
  stderrLines: readonly string[];
  failure: () => Promise<PulseError>;
  tablesFed: readonly TableDataEvent[];
  copyTags: readonly number[];
}): Promise<LoadedTable[]> {
  const { result, feedError } = ended;
  if (result.exitCode !== 0 && ended.stderrLines.some((line) => /ERROR:|FATAL:|error:/.test(line))) throw await ended.failure();
  const endedEarly = psqlEndedEarlyError(result, feedError);
  if (endedEarly) throw endedEarly;
  if (feedError !== undefined) throw toPulseError(feedError);
  if (result.exitCode !== 0) throw await ended.failure();
  return ended.tablesFed.map((table, index) => ({ schema: table.schema, name: table.name, rows: ended.copyTags[index] ?? 0 }));
}

/** Writes pieces to psql in one go (corked: one vectored write), resolving once the pipe has room again. */
export function pipeWriter(stdin: Writable): (...pieces: (Buffer | string)[]) => Promise<void> {
  stdin.on('error', () => undefined); // reported through the pending write, or by psql itself
  return (...pieces) =>
    new Promise<void>((resolve, reject) => {
      if (stdin.destroyed || !stdin.writable) {
        reject(new PulseError('restore-failed', 'psql stopped reading its input'));
        return;
      }
      stdin.cork();
      let roomLeft = true;
      for (const piece of pieces) roomLeft = stdin.write(piece) && roomLeft;
      stdin.uncork();
      if (roomLeft) {
        resolve();
        return;
      }
      const settle = (error?: Error) => {
        stdin.off('drain', onDrain);
        stdin.off('error', onError);
        stdin.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => settle();
      const onError = (error: Error) => settle(error);
      const onClose = () => settle(new PulseError('restore-failed', 'psql stopped reading its input'));
      stdin.on('drain', onDrain);
      stdin.on('error', onError);
      stdin.on('close', onClose);
    });
}

/**
 * Ends psql's input, once every byte reached the pipe. A psql that has
 * already exited (ON_ERROR_STOP at an error, a stop) has its input
 * destroyed: the end then rejects, as a write would (its exit says why),
 * where waiting for the end's own callback would wait for ever.
 */
export async function endInput(stdin: Writable): Promise<void> {
  if (stdin.destroyed || !stdin.writable) throw new PulseError('restore-failed', 'psql stopped reading its input');
  stdin.end();
  await finished(stdin, { readable: false });
}

/**
 * What the manifest recorded for the file that loads, found by its type (as
 * verify finds it) and required to bear its name: a manifest that records
 * the file under another name does not describe it, and the load is not
 * trusted (undefined only for a set without a manifest).
 */
export function recordedFile(restore: PlannedRestore): { bytes: number; sha256: string } | undefined {
  const manifest = restore.set.manifest;
  if (!manifest) return undefined;
  const recorded = manifest.files.find((file) => file.type === FILE_FOR_MODE[restore.options.mode]);
  if (!recorded || recorded.name !== basename(restore.plan.file)) {
    throw new PulseError('verification-failed', `the manifest of ${restore.set.id} does not record ${basename(restore.plan.file)}`, {
      hint: hint`nothing was changed; ${run('verify')} on the set`,
    });
  }
  return recorded;
}

/** COMMIT only for a whole file whose bytes are the ones recorded. */
export function assertWholeAndUnchanged(
  restore: PlannedRestore,
  complete: boolean,
  recorded: { bytes: number; sha256: string } | undefined,
  bytes: number,
  sha256: string | undefined,
): void {
  if (!complete) {
    // A file that ends without pg_dump's footer is cut short: never commit it.
    throw new PulseError('restore-failed', `${restore.plan.file} ends before pg_dump's "dump complete" footer`, {
      hint: 'the file is truncated; the transaction was rolled back and the target is unchanged',
    });
  }
  if (recorded && (bytes !== recorded.bytes || sha256 !== recorded.sha256.toLowerCase())) {
    throw new PulseError('verification-failed', `${restore.plan.file} changed after it was verified: it no longer matches its recorded sha256`, {
      hint: hint`the transaction was rolled back and the target is unchanged; ${run('verify')} on the set`,
    });
  }
}

/**
 * The two statements of a dump that cannot run as they are inside the
 * restore's one transaction:
 * - pg_dump wraps large-object data in its own BEGIN; … COMMIT;, and that
 *   COMMIT would end the restore's transaction halfway (a later error could
 *   no longer roll everything back), so both become comments;
 * - a schema the file creates may already exist in the target (holding
 *   objects the backup never had, which are left alone), so its
 *   CREATE SCHEMA x; becomes CREATE SCHEMA IF NOT EXISTS x;.
 * And a set whose pg_dump was newer than PostgreSQL 17 while its server was
 * older (made before its files guarded it) loads into an older server with
 * its `SET transaction_timeout` guarded the same way (see backup.ts). With
 * `defaultTablespace` (a data restore, which creates nothing, or
 * --no-tablespaces), pg_dump's `SET default_tablespace = fast;` becomes
 * `SET default_tablespace = '';`: a server without that tablespace rejects
 * the SET itself.
 * Only top-level lines of those entries are touched (the reader's lexer
 * keeps function bodies and rows out of reach).
 */
export function rewriteForRestore(line: string, entry: EntryHeader | undefined, options: RewriteOptions): string | undefined {
  if (options.defaultTablespace && line.startsWith(SET_TABLESPACE) && line !== DEFAULT_TABLESPACE) return DEFAULT_TABLESPACE;
  if (!entry) return options.olderServer ? guardNewerSettings(line) : undefined;
  if (LARGE_OBJECT_DATA_TYPES.has(entry.type) && (line === 'BEGIN;' || line === 'COMMIT;')) {
    return `-- ${line} (left out: the restore runs in one transaction)`;
  }
  if (entry.type === 'SCHEMA' && line.startsWith('CREATE SCHEMA ') && options.existingSchemas.has(entry.name)) {
    return `CREATE SCHEMA IF NOT EXISTS ${line.slice('CREATE SCHEMA '.length)}`;
  }
  return undefined;
}

const LARGE_OBJECT_DATA_TYPES = new Set(['BLOBS', 'LARGE OBJECTS']);

export interface RewriteOptions {
  /** Schemas the target has already: their CREATE SCHEMA becomes IF NOT EXISTS. */
  existingSchemas: ReadonlySet<string>;
  /** The set's pg_dump (17 or later) is newer than the target server (before 17). */
  olderServer?: boolean;
  /** Everything goes into the database's default tablespace (a data restore, or --no-tablespaces). */
  defaultTablespace?: boolean;
}

const SET_TABLESPACE = 'SET default_tablespace = ';
const DEFAULT_TABLESPACE = "SET default_tablespace = '';";
