/**
 * A set's file read once while psql loads it: its sha256 (unless a recent
 * verification vouched for it) and, for the data file, the digests of its
 * rows and the statements beside them (dataFileStatements.ts); for the
 * schema and complete files, the statements that make the schema
 * (schemaStatements.ts) — all from the same pass, so each byte is read and
 * hashed once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DumpDigests } from '../backup/dumpDigests';
import { DumpReader } from '../pg/dumpReader';
import type { SetKeys } from '../codecs/codecs';
import { readSetFile as readStoredSetFile } from '../codecs/setFileReader';
import type { BackupFileType, ManifestTableDigest } from '../sets/manifest';
import type { ProofPlan } from './plan';
import { DataFileStatementCheck, type DataFileStatements } from './dataFileStatements';
import { SchemaStatements } from './schemaStatements';

/** What the data file holds: its COPY blocks' rows, digested as a backup digests them, and its other statements. */
export interface DataFileContent {
  tables: ManifestTableDigest[];
  statements: DataFileStatements;
}

export interface FileReading {
  /** Lower-case hex; undefined when not asked for. */
  sha256?: string;
  data?: DataFileContent;
  schema?: ReturnType<SchemaStatements['sequence']>;
}

export interface FileReadingOptions {
  sha256: boolean;
  /** Read it as a data file: rows and statements; the encoding its rows must be read in (the set's). */
  data?: { clientEncoding: string };
  /** Collect the statements that make its schema (schemaStatements.ts). */
  schema?: boolean;
  signal?: AbortSignal;
  /** What decrypts an encrypted file: its sha256 is of the bytes as stored, the rest of what they hold. */
  keys?: SetKeys;
}

/**
 * Starts reading every file a proof's plan loads, once each: its sha256
 * where the manifest recorded one (and `sha256` asks), the data file's rows
 * and statements, and — with both ways — the schema statements of the
 * schema and complete files.
 */
export function readPlannedFiles(
  plan: ProofPlan,
  options: { sha256: boolean; clientEncoding: string; signal: AbortSignal | undefined; keys?: SetKeys | undefined },
): Map<BackupFileType, Promise<FileReading>> {
  const bothWays = plan.paths.length > 1;
  const readings = new Map<BackupFileType, Promise<FileReading>>();
  for (const load of plan.paths.flatMap((path) => path.loads)) {
    if (readings.has(load.type)) continue;
    const reading = readSetFile(load.file, {
      sha256: options.sha256 && load.sha256 !== null,
      ...(load.type === 'data' ? { data: { clientEncoding: options.clientEncoding } } : { schema: bothWays }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.keys ? { keys: options.keys } : {}),
    });
    // Awaited when its way gets there, if it does: a way that fails first leaves it unread.
    reading.catch(() => undefined);
    readings.set(load.type, reading);
  }
  return readings;
}

/** Reads the file once for everything asked; nothing at all when nothing is. */
export async function readSetFile(file: string, options: FileReadingOptions): Promise<FileReading> {
  if (!options.sha256 && !options.data && !options.schema) return {};
  const hash = options.sha256 ? createHash('sha256') : undefined;
  const digests = options.data ? new DumpDigests() : undefined;
  const statements = options.data ? new DataFileStatementCheck(options.data) : undefined;
  const schema = options.schema ? new SchemaStatements() : undefined;
  const reader =
    digests && statements
      ? new DumpReader({ ...digests.readerOptions(), onSqlLine: (line) => statements.line(line) })
      : schema
        ? new DumpReader(schema.readerOptions())
        : undefined;
  if (reader) {
    // Decrypted on the way, for an encrypted file; the sha256 is of the bytes as stored.
    for await (const chunk of readStoredSetFile(file, { keys: options.keys, signal: options.signal, onStored: hash ? (stored) => hash.update(stored) : undefined }))
      reader.push(chunk);
    reader.end();
  } else if (hash) {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, signal: options.signal })) hash.update(chunk as Buffer);
  }
  return {
    ...(hash ? { sha256: hash.digest('hex') } : {}),
    ...(digests && statements ? { data: { tables: digests.tableDigests(), statements: statements.end() } } : {}),
    ...(schema ? { schema: schema.sequence() } : {}),
  };
}
