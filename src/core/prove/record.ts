/**
 * What a proof found, as it is kept in the set's history (`proofs`, beside
 * `verifications`), printed with `--json`, and read by the report and the
 * extension. The shape is versioned (`formatVersion`); a reader takes the
 * fields it knows and skips a record of a newer version.
 */
import type { ProfileName } from '../backup/profile';

export const PROOF_FORMAT_VERSION = 1;

/** The two ways a person restores a set, each proved into a scratch database of its own. */
export type ProofPathName = 'complete' | 'schema-then-data';

export const PROOF_PATHS: readonly ProofPathName[] = ['complete', 'schema-then-data'];

/** What differs, and where. */
export type ProofDifferenceKind =
  /** The files did not load: psql's first error. */
  | 'restore'
  /** A file no longer matches the sha256 its manifest recorded. */
  | 'checksum'
  /** A table whose rows the set holds is not there after the restore. */
  | 'missing-table'
  /** A table's rows digest (or count) differs. */
  | 'rows'
  /** The schema digest differs: an entry missing, extra or changed. */
  | 'schema'
  | 'sequence'
  | 'materialized-view'
  | 'large-objects';

export interface ProofDifference {
  path: ProofPathName;
  kind: ProofDifferenceKind;
  /** What it is about: "public.users", "table public.orders", "complete file". */
  object: string;
  /** One line: what differs ("1 row changed, first: id = 42"; "expected 600 rows, found 599"). */
  detail: string;
}

export interface ProofPathResult {
  path: ProofPathName;
  /** The files it loaded, in order. */
  files: string[];
  /** Whether every file loaded without an error. */
  restored: boolean;
  /** Whether everything read back equals the set: rows, schema, sequences. */
  equal: boolean;
  /** Tables (and their rows) of the set found equal. */
  tables: number;
  rows: number;
  /**
   * Of those, the tables whose rows were read back from the scratch
   * database. Schema then data reads only the tables whose rows could
   * differ from the data file's, which it digests as psql loads it
   * (dataOnlyLoad.ts; the record's notes say how many and why); absent in
   * records made before it did.
   */
  tablesReadBack?: number;
  schemaEqual: boolean;
  durationMs: number;
}

export interface ProofRecord {
  formatVersion: number;
  setId: string;
  /** ISO 8601: when the proof started. */
  provedAt: string;
  durationMs: number;
  /** `proved`: every way restores and reads back equal; `failed`: one does not (see `differences`). */
  outcome: 'proved' | 'failed';
  /** One line for people, the same in every front door. */
  summary: string;
  /** Where the scratch databases were (never a password). */
  server: { host: string; port: number; user: string };
  profile: ProfileName;
  /** What the read-back was compared with: the digests the backup recorded, or (older sets) the set's complete file. */
  digestsFrom: 'manifest' | 'complete file';
  /** Tables and rows of the set that were compared (read back, or for schema then data as dataOnlyLoad.ts says). */
  tables: number;
  rows: number;
  schemaEqual: boolean;
  paths: ProofPathResult[];
  /** Every difference found, the first few of each kind per path. */
  differences: ProofDifference[];
  /** Things worth knowing that are no failure (the platform loaded as far as postgres may). */
  notes: string[];
  /** Scratch databases the proof could not drop (the next proof on that server drops them); absent when it dropped all. */
  scratchLeft?: string[];
}

/**
 * A record this version can read: a known version, and every field its
 * readers (the tree, the report, the CLI) rely on of the type they rely on —
 * a history edited by hand or damaged leaves such a record out, never a
 * crash in whatever shows the set.
 */
export function isReadableProof(value: unknown): value is ProofRecord {
  if (!isObject(value)) return false;
  const record = value as Partial<ProofRecord>;
  return (
    typeof record.formatVersion === 'number' &&
    record.formatVersion <= PROOF_FORMAT_VERSION &&
    typeof record.setId === 'string' &&
    typeof record.provedAt === 'string' &&
    (record.outcome === 'proved' || record.outcome === 'failed') &&
    typeof record.summary === 'string' &&
    isCount(record.durationMs) &&
    isCount(record.tables) &&
    isCount(record.rows) &&
    isObject(record.server) &&
    typeof record.server.host === 'string' &&
    typeof record.server.user === 'string' &&
    typeof record.server.port === 'number' &&
    isStrings(record.notes) &&
    (record.scratchLeft === undefined || isStrings(record.scratchLeft)) &&
    Array.isArray(record.differences) &&
    record.differences.every((difference: unknown) => isObject(difference) && ['path', 'kind', 'object', 'detail'].every((key) => typeof difference[key] === 'string')) &&
    Array.isArray(record.paths) &&
    record.paths.every(isReadablePath)
  );
}

function isReadablePath(value: unknown): boolean {
  if (!isObject(value)) return false;
  const path = value as Partial<ProofPathResult>;
  return (
    typeof path.path === 'string' &&
    isStrings(path.files) &&
    typeof path.restored === 'boolean' &&
    typeof path.equal === 'boolean' &&
    typeof path.schemaEqual === 'boolean' &&
    isCount(path.tables) &&
    isCount(path.rows) &&
    isCount(path.durationMs) &&
    (path.tablesReadBack === undefined || isCount(path.tablesReadBack))
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
