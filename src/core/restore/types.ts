/**
 * The shapes a restore is described in: what a front door asks for
 * (RestoreOptions), what the pre-flight found and the person confirms
 * (RestorePlan, inside a PlannedRestore), what it reports while it runs and
 * when it is done.
 */
import type { SetKeys } from '../codecs/codecs';
import { countOf, formatCount } from '../format';
import { type BackupProgress } from '../backup/backup';
import { type ConnectionTarget } from '../connection/target';
import { type TableDataEvent } from '../pg/dumpReader';
import { type BackupFileType } from '../sets/manifest';
import type { SupabaseProject } from '../supabase/project';
import type { ContainerTools } from '../supabase/docker';
import { type ExistingObject } from './target';
import type { VerificationReport } from '../verify/results';

export type RestoreMode = 'complete' | 'schema' | 'data';

export interface RestoreOptions {
  folder: string;
  setId: string;
  mode: RestoreMode;
  target: ConnectionTarget;
  env: NodeJS.ProcessEnv;
  pgBinDir?: string;
  /** complete/schema: drop what the backup recreates; data: empty the backup's tables first. */
  clean: boolean;
  /** Allow a target that is not on this machine. */
  allowRemote: boolean;
  /** Create the set's tables and indexes in the target database's default tablespace, not the ones they were in (pg_restore's --no-tablespaces). */
  noTablespaces?: boolean;
  /** Run psql (and the safety backup's pg_dump) inside this Supabase database container. */
  container?: ContainerTools;
  /** Whether a safety backup will be taken (default true): without one, a full or read-only folder will do. */
  safetyBackup?: boolean;
  /** How long the restore waits for a lock another session holds before it gives up, changing nothing (default 10 s). */
  lockTimeoutMs?: number;
  /** Sessions side by side (parallel.ts): only a complete restore into an empty database, not one transaction (default 1). */
  jobs?: number;
  signal?: AbortSignal;
  /** What decrypts an encrypted set; proved on its files' headers before anything else (a wrong passphrase changes nothing). */
  keys?: SetKeys;
}

/** A restore waits this long for another session's lock, then gives up: its queued lock would block the application meanwhile. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** What the pre-flight found; nothing has changed yet. */
export interface RestorePlan {
  setId: string;
  mode: RestoreMode;
  clean: boolean;
  /** user@host:port/database, never a password. */
  target: string;
  serverVersion: string;
  /** The file that will be loaded. */
  file: string;
  verification: VerificationReport;
  /** The backup's objects that already exist in the target and will be replaced (or emptied). */
  replaced: ExistingObject[];
  /** Notes for the person confirming (e.g. no manifest, so row counts cannot be checked). */
  notes: string[];
  psql: { path: string; version: string };
  /** Sessions side by side, when more than one: not one transaction (PARALLEL_RESTORE_PLAN_TERMS). */
  jobs?: number;
}

export interface RestoredTable {
  schema: string;
  name: string;
  /** Rows the manifest recorded; null when the set has no manifest. */
  expected: number | null;
  restored: number;
  matches: boolean;
}

export interface RestoreResult {
  plan: RestorePlan;
  /** The set taken of the target before it changed, when one was. */
  safetyBackup?: string;
  durationMs: number;
  /** Sessions side by side, when more than one: the restore was not one transaction. */
  jobs?: number;
  tables: RestoredTable[];
  /** True when every restored table holds the rows the manifest recorded. */
  rowCountsMatch: boolean;
}

export type RestoreProgress =
  | { kind: 'verifying' }
  | { kind: 'resetting'; line?: string }
  | { kind: 'safety-backup'; event: BackupProgress }
  | { kind: 'safety-backup-done'; setId: string }
  | { kind: 'loading'; bytes: number; totalBytes: number }
  | { kind: 'table-start'; table: TableDataEvent }
  | { kind: 'table-done'; table: TableDataEvent }
  | { kind: 'checking-rows' };

export interface ExecuteOptions {
  /** Back up the target before changing it (default true). */
  safetyBackup: boolean;
  /**
   * Run `supabase db reset --local` in this project after the safety backup
   * and before loading (data restores only: the reset rebuilds the schema).
   */
  reset?: { project: SupabaseProject; env: NodeJS.ProcessEnv };
  signal?: AbortSignal;
  onProgress?: (event: RestoreProgress) => void;
}

/** What a restore with jobs gives up and keeps, in the words every front door uses. */
export const PARALLEL_RESTORE_TERMS = 'not one transaction; a failure would have emptied the database again';
/** The same, before it runs. */
export const PARALLEL_RESTORE_PLAN_TERMS = 'not one transaction; a failure drops what it created, so the database is empty again';

/** The restored row counts against the manifest, in the words every front door uses: "all 3 tables match the manifest". */
export function rowCountsWords(tables: readonly { matches: boolean }[]): string {
  const mismatched = tables.filter((table) => !table.matches).length;
  if (mismatched > 0) return `${formatCount(mismatched)} of ${countOf(tables.length, 'table')} ${mismatched === 1 ? 'differs' : 'differ'} from the manifest`;
  return tables.length === 1 ? 'the 1 table matches the manifest' : `all ${countOf(tables.length, 'table')} match the manifest`;
}

export const FILE_FOR_MODE: Record<RestoreMode, BackupFileType> = { complete: 'complete', schema: 'schema', data: 'data' };

export interface PlatformPieces {
  /** Platform tables the set brings rows for, as they are in the target. */
  tables: ExistingObject[];
  /** The application's triggers and policies on platform tables that the target has already. */
  attached: ExistingObject[];
  /** Foreign keys among those tables ("auth.identities" → "auth.users"), for the order they are emptied in. */
  references: { from: string; to: string }[];
}
