/**
 * Backup-set names. The writer and the listing both go through this module so
 * that a set written today is found tomorrow, and so that sets written by the
 * original shell script (`P_schema_backup_YYYYMMDD_HHMMSS.sql` etc.) keep
 * showing up next to ours.
 *
 * A set with prefix P and timestamp TS is:
 *   P_schema_backup_TS.sql, P_data_backup_TS.sql, P_complete_backup_TS.sql,
 *   P_TS.manifest.json, its history P_TS.history.json (verifications and
 *   retention runs) and, while pinned, P_TS.pinned; its id is P_TS.
 * A dump stored through codecs carries each one's extension after `.sql`,
 * innermost first: `.sql.gz` is compressed with gzip, `.sql.zst` with
 * zstd, `.sql.age` encrypted, `.sql.gz.age` compressed then encrypted (src/core/codecs).
 */

import * as path from 'node:path';
import { PulseError } from '../errors';

export type DumpType = 'schema' | 'data' | 'complete';
export type BackupFileKind = DumpType | 'manifest' | 'history' | 'pin';

export const DUMP_TYPES: readonly DumpType[] = ['schema', 'data', 'complete'];

/** The ways a dump file is stored besides plain SQL, by the extension each adds (src/core/codecs reads and writes them). */
export const FILE_CODECS = ['gz', 'zst', 'age'] as const;
export type FileCodec = (typeof FILE_CODECS)[number];

/** The codecs that compress (gzip, zstd), one of which may come first; encryption (age) comes last, as compressed bytes no longer compress. */
export const COMPRESSION_CODECS = ['gz', 'zst'] as const satisfies readonly FileCodec[];
export type CompressionCodec = (typeof COMPRESSION_CODECS)[number];

/** Every way a backup stores a dump file, innermost first: what a new set's timestamp must not meet in the folder. */
export const WRITTEN_CODEC_CHAINS: readonly (readonly FileCodec[])[] = [[], ['age'], ...COMPRESSION_CODECS.flatMap((codec): FileCodec[][] => [[codec], [codec, 'age']])];

export interface ParsedBackupFileName {
  prefix: string;
  timestamp: string;
  setId: string;
  kind: BackupFileKind;
  /** A dump's codecs, innermost first (`.sql.age`: ['age']); empty for plain SQL and for the other files. */
  codecs: FileCodec[];
}

export interface ParsedSetId {
  prefix: string;
  timestamp: string;
}

/**
 * Long enough for any folder or database name people use, short enough that
 * the longest file name (`P_complete_backup_TS.sql`, 36 characters plus P)
 * stays far below the 255-byte limit of common file systems.
 */
export const MAX_PREFIX_LENGTH = 100;

const TIMESTAMP_PATTERN = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

// The prefix is matched greedily so that only the last `_<type>_backup_` before
// the timestamp counts: `my_data_app_data_backup_TS.sql` has prefix `my_data_app`.
const DUMP_FILE_PATTERN = new RegExp(`^(.+)_(schema|data|complete)_backup_(\\d{8}_\\d{6})\\.sql((?:\\.(?:${FILE_CODECS.join('|')}))*)$`);
const SIDE_FILE_PATTERN = /^(.+)_(\d{8}_\d{6})\.(manifest\.json|history\.json|pinned)$/;
const SET_ID_PATTERN = /^(.+)_(\d{8}_\d{6})$/;

// Letters, digits, '_' and '-': safe in file names on every platform, never a
// hidden file, never a path, and never ambiguous with the dots of the suffixes.
const PREFIX_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** `YYYYMMDD_HHMMSS` in local time, as the shell script's `date +%Y%m%d_%H%M%S` wrote it. */
export function formatTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new PulseError('internal', 'cannot name a backup set after an invalid date', {
      hint: 'check the system clock and run again',
    });
  }
  return pad(date.getFullYear(), 4) + pad(date.getMonth() + 1, 2) + pad(date.getDate(), 2) + '_' + pad(date.getHours(), 2) + pad(date.getMinutes(), 2) + pad(date.getSeconds(), 2);
}

/** True for a well-formed `YYYYMMDD_HHMMSS` naming a real calendar date and time of day. */
export function isValidTimestamp(timestamp: string): boolean {
  const match = TIMESTAMP_PATTERN.exec(timestamp);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  // Day 0 of the next month is the last day of this one; UTC avoids DST effects.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/**
 * The local time a timestamp names. A time skipped by a daylight-saving jump
 * (which `formatTimestamp` never produces) comes back shifted by the jump, as
 * `Date` resolves it; it still sorts in the right place.
 */
export function parseTimestamp(timestamp: string): Date {
  const match = TIMESTAMP_PATTERN.exec(timestamp);
  if (!match || !isValidTimestamp(timestamp)) {
    throw new PulseError('usage', 'not a backup timestamp', {
      hint: 'a backup timestamp looks like 20250901_173948 (YYYYMMDD_HHMMSS)',
    });
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const date = new Date(year, month - 1, day, hour, minute, second);
  // `new Date(y, …)` maps years 0–99 to 1900–1999; set the year explicitly.
  date.setFullYear(year, month - 1, day);
  return date;
}

export function fileNameFor(prefix: string, type: DumpType, timestamp: string, codecs: readonly FileCodec[] = []): string {
  return `${prefix}_${type}_backup_${timestamp}.sql${codecs.map((codec) => `.${codec}`).join('')}`;
}

/** The codecs a dump file's name says it is stored through, innermost first; empty for plain SQL. */
export function codecsOfFileName(name: string): FileCodec[] {
  return parseBackupFileName(name)?.codecs ?? [];
}

export function manifestNameFor(prefix: string, timestamp: string): string {
  return `${prefix}_${timestamp}.manifest.json`;
}

/** Where the history of verification runs of a set is kept. */
export function historyNameFor(prefix: string, timestamp: string): string {
  return `${prefix}_${timestamp}.history.json`;
}

export function pinNameFor(prefix: string, timestamp: string): string {
  return `${prefix}_${timestamp}.pinned`;
}

export function setIdFor(prefix: string, timestamp: string): string {
  return `${prefix}_${timestamp}`;
}

/** Every file name a set can have, dumps first. */
/** Every name a set's dump of one type can have: plain SQL and each way a backup stores one (`.sql.gz`, `.sql.zst.age`, …). */
export function dumpFileVariants(prefix: string, type: DumpType, timestamp: string): string[] {
  return WRITTEN_CODEC_CHAINS.map((codecs) => fileNameFor(prefix, type, timestamp, codecs));
}

export function setFileNames(prefix: string, timestamp: string): Record<BackupFileKind, string> {
  return {
    schema: fileNameFor(prefix, 'schema', timestamp),
    data: fileNameFor(prefix, 'data', timestamp),
    complete: fileNameFor(prefix, 'complete', timestamp),
    manifest: manifestNameFor(prefix, timestamp),
    history: historyNameFor(prefix, timestamp),
    pin: pinNameFor(prefix, timestamp),
  };
}

/**
 * Recognises exactly the names this module produces. Anything else in a
 * backups folder (notes, editor and temp files, other tools' dumps, a
 * dump compressed twice or encrypted before compressing) is not ours and
 * comes back undefined.
 */
export function parseBackupFileName(name: string): ParsedBackupFileName | undefined {
  const dump = DUMP_FILE_PATTERN.exec(name);
  if (dump) {
    const [, prefix, kind, timestamp, extensions] = dump;
    const codecs = extensions.split('.').filter((extension) => extension !== '') as FileCodec[];
    // Only the chains a backup writes: one compression at most, first; encryption last.
    if (!WRITTEN_CODEC_CHAINS.some((chain) => chain.join('.') === codecs.join('.'))) return undefined;
    return accept(prefix, timestamp, kind as DumpType, codecs);
  }
  const side = SIDE_FILE_PATTERN.exec(name);
  if (side) {
    const [, prefix, timestamp, kind] = side;
    const sideKinds: Record<string, BackupFileKind> = { 'manifest.json': 'manifest', 'history.json': 'history', pinned: 'pin' };
    return accept(prefix, timestamp, sideKinds[kind]);
  }
  return undefined;
}

function accept(prefix: string, timestamp: string, kind: BackupFileKind, codecs: FileCodec[] = []): ParsedBackupFileName | undefined {
  if (!isValidPrefix(prefix) || !isValidTimestamp(timestamp)) return undefined;
  return { prefix, timestamp, setId: setIdFor(prefix, timestamp), kind, codecs };
}

export function parseSetId(id: string): ParsedSetId | undefined {
  const match = SET_ID_PATTERN.exec(id);
  if (!match) return undefined;
  const [, prefix, timestamp] = match;
  if (!isValidPrefix(prefix) || !isValidTimestamp(timestamp)) return undefined;
  return { prefix, timestamp };
}

export function isValidPrefix(prefix: string): boolean {
  return prefix.length <= MAX_PREFIX_LENGTH && PREFIX_PATTERN.test(prefix);
}

/**
 * Turns a folder or project name into a prefix: "Factory Pulse",
 * "factory-pulse" and "FactoryPulse" all become `factory_pulse`.
 */
export function toSnakeCase(name: string): string {
  let result = name
    // Accented letters keep their base letter instead of vanishing.
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // Word boundaries inside camelCase and acronyms: "HTTPServer2Go" → HTTP_Server2_Go.
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    // Apostrophes join rather than split: "Bob's DB" → bobs_db.
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (result === '') return 'backup';
  if (/^[0-9]/.test(result)) result = `db_${result}`;
  if (result.length > MAX_PREFIX_LENGTH) result = result.slice(0, MAX_PREFIX_LENGTH).replace(/_+$/, '');
  return result;
}

/** The prefix for backups of the project in `folderPath`: its folder name in snake_case. */
export function defaultPrefix(folderPath: string): string {
  return toSnakeCase(path.basename(path.resolve(folderPath)));
}

/**
 * Two sets started within the same second would share every file name, and a
 * DST fall-back repeats an hour of local timestamps; step forward one second
 * at a time until `exists` reports the timestamp unused.
 */
export function nextFreeTimestamp(date: Date, exists: (timestamp: string) => boolean): string {
  const limit = 24 * 60 * 60;
  for (let offset = 0; offset <= limit; offset++) {
    const timestamp = formatTimestamp(new Date(date.getTime() + offset * 1000));
    if (!exists(timestamp)) return timestamp;
  }
  throw new PulseError('internal', 'could not find a free backup timestamp within a day of now', {
    hint: 'check the backups folder for a flood of backup sets and run again',
  });
}
