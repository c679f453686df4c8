/**
 * The summary of one backup set, as plain data: what the team's old Markdown
 * summary said, with the real figures from the manifest, the set's history,
 * the listing and the file system instead of guesses. This model is the
 * contract: `summary --format json` prints it as it is, the Markdown and
 * HTML renderers lay it out, and the extension's webview renders it itself.
 * Every sentence a person reads is in the model, so all front doors say the
 * same thing; renderers only add headings and layout.
 *
 * This file holds the model's types and the words for its statuses;
 * build.ts builds it.
 */
import type { GitState as GitAnswer } from '../files/git';
import type { BackupFileType, ManifestTable } from '../sets/manifest';
import type { ProofPathResult, ProofRecord } from '../prove/record';
import type { RestoreMode } from '../restore/types';
import type { SetStatus } from '../sets/listing';
import type { SetState } from '../sets/state';
import type { CheckGroupName, CheckResult, CheckStatus } from '../verify/results';

export const REPORT_FORMAT = 'pulse-backup-report';
export const REPORT_VERSION = 1;

/** Prose with inline code (identifiers, settings, commands) marked, so each renderer can set it apart. */
export type RichText = (string | { code: string })[];

export type ReportFileKind = BackupFileType | 'manifest' | 'history' | 'pin';

export interface ReportFile {
  kind: ReportFileKind;
  /** "Complete dump", "Manifest", ... */
  label: string;
  name: string;
  /** Absolute path. */
  path: string;
  present: boolean;
  /** Size on disk; null when the file is missing. */
  bytes: number | null;
  /** Recorded in the manifest (dump files of a set with a manifest only). */
  sha256: string | null;
  /** What the file is for and how it restores, one line. */
  description: string;
}

export interface ReportRetentionEvent {
  /** ISO 8601. */
  at: string;
  keep: number;
  removed: string[];
  /** Older sets it kept, and why ("pinned", "the newest set that verifies"). */
  protected: { id: string; reason: string; reasonText: string }[];
  summary: string;
}

export interface ReportSet {
  id: string;
  prefix: string;
  /** YYYYMMDD_HHMMSS, as in the file names. */
  timestamp: string;
  /** ISO 8601. */
  createdAt: string;
  /** Absolute path of the backups folder. */
  folder: string;
  status: SetStatus;
  statusText: string;
  /** Why the set is incomplete, one line each. */
  problems: string[];
  purpose: 'backup' | 'safety';
  purposeText: string;
  pinned: boolean;
  hasManifest: boolean;
  hasHistory: boolean;
  /** Who wrote the set: this tool (it has a manifest) or the team's old shell script. */
  madeBy: 'pulse-backup' | 'old script' | 'unknown';
  /** The set's one state, as every view of it shows it (setState.ts). */
  state: SetState;
  stateText: string;
}

export interface ReportOverview {
  files: ReportFile[];
  /** The three dump files. */
  dumpBytes: number;
  /** Every file of the set, manifest, history and pin marker included. */
  totalBytes: number;
  /** How long the backup took; null when not recorded. */
  durationMs: number | null;
  /** How pg_dump ran: one session, or a parallel set's sessions, all from one snapshot; null when not recorded. */
  dumpedText: string | null;
  databaseAtBackup: {
    recorded: boolean;
    /** True when the backup connected and dumped it; null when not recorded. */
    reachable: boolean | null;
    serverVersion: string | null;
    sizeBytes: number | null;
    /** The size is the catalog's estimate (manifest `sizes`), not the files'. */
    sizeEstimated: boolean;
    summary: string;
  };
  /** What retention did when this set was made. */
  retentionAtCreation: ReportRetentionEvent[];
}

export interface ReportDatabase {
  /** False for sets without a manifest: only the dump header says anything. */
  recorded: boolean;
  serverVersion: string | null;
  /** Where the version comes from. */
  serverVersionSource: 'manifest' | 'dump header' | null;
  host: string | null;
  port: number | null;
  /** "host:port" (IPv6 in brackets), or the socket folder. */
  address: string | null;
  user: string | null;
  name: string | null;
  sizeBytes: number | null;
  /** The size is the catalog's estimate (manifest `sizes`), not the files'. */
  sizeEstimated: boolean;
  pgDumpVersion: string | null;
  pgDumpPath: string | null;
  pulseBackupVersion: string | null;
  /** The dump files begin with psql's \restrict (CVE-2025-8714): older psql cannot run them. */
  usesRestrict: boolean;
  note: string | null;
}

export interface ReportForeignKeyCycle {
  /** Qualified names; one name for a table that references itself. */
  tables: string[];
  selfReference: boolean;
  /** "public.messages ↔ public.users", "public.users (references itself)". */
  text: string;
}

export interface ReportWarnings {
  /** False when the set has no manifest: the cycles were not recorded. */
  recorded: boolean;
  foreignKeyCycles: ReportForeignKeyCycle[];
  summary: RichText;
  /** What the cycles mean for a restore. */
  meaning: RichText[];
  /** How this set's files deal with them. */
  handling: RichText[];
  /** What pg_dump printed on stderr while making the set, verbatim (passwords redacted). */
  pgDumpStderr: string[];
}

export interface ReportCommand {
  /** When to use it, one line. */
  title: string;
  /** Copyable, quoted for a POSIX shell. */
  command: string;
}

export interface ReportRestoreOption {
  mode: RestoreMode;
  title: string;
  description: RichText;
  /** The dump file this mode needs is present. */
  available: boolean;
  /** Absolute path of the file it loads. */
  file: string;
  pulseBackup: ReportCommand;
  psql: ReportCommand[];
}

export interface ReportRestore {
  options: ReportRestoreOption[];
  /** The shell variable the psql commands read the target from. */
  targetVariable: string;
  /** How to set it, without a password. */
  targetExample: string;
  notes: RichText[];
}

export interface ReportTable {
  name: string;
  kind: ManifestTable['kind'];
  /** Exact rows at the snapshot; null where pg_dump dumps none (partitioned parents, foreign tables). */
  rows: number | null;
  bytes: number;
}

export interface ReportSchemaGroup {
  name: string;
  tables: ReportTable[];
  rows: number;
  bytes: number;
}

export interface ReportSchema {
  /** False for sets without a manifest: tables, row counts and sizes were not recorded. */
  recorded: boolean;
  schemas: ReportSchemaGroup[];
  tableCount: number;
  totalRows: number;
  totalBytes: number;
  /** The tables' sizes are the catalog's estimates (manifest `sizes`), not their files'. */
  sizesEstimated: boolean;
  materializedViews: { schema: string; name: string; populated: boolean }[];
  largeObjects: number | null;
  sequences: number | null;
  note: string | null;
  /** What the set holds (backup profile) and what it left out, each with the reason; null for sets made before profiles. */
  profile: ReportProfile | null;
}

export interface ReportProfile {
  name: string;
  reason: string;
  /** Platform tables whose rows the set holds. */
  platformData: string[];
  /** The application's objects on platform tables that the set holds. */
  attachedObjects: string[];
  /** "schema auth", "rows of auth.schema_migrations", each with why. */
  leftOut: { what: string; why: string }[];
}

export interface ReportCheck extends CheckResult {
  /** "passed", "warning", "failed". */
  statusText: string;
}

export interface ReportVerificationRun {
  group: CheckGroupName;
  title: string;
  /** ISO 8601. */
  checkedAt: string;
  durationMs: number;
  outcome: CheckStatus;
  outcomeText: string;
  /** The database checked against (pre-restore checks): "user@host:port/database". */
  target: string | null;
  checks: ReportCheck[];
}

export interface ReportVerification {
  postBackup: ReportVerificationRun | null;
  preRestore: ReportVerificationRun | null;
  /** How to verify this set. */
  verifyCommand: string;
  /** Said when a kind of verification has not run: "not verified yet — run ...". */
  notVerified: RichText;
  /** How to verify, in the front door's words: "run pulse-backup verify …", "use Verify Now above". */
  verifyAdvice: RichText;
  /** How many verifications the history holds. */
  runs: number;
  /** The latest proof (restored into scratch databases and compared), or how to run one. */
  proof: ReportProofSection;
}

export interface ReportHistorySet {
  id: string;
  /** ISO 8601. */
  createdAt: string;
  totalBytes: number;
  status: SetStatus;
  statusText: string;
  purpose: 'backup' | 'safety';
  pinned: boolean;
  /** The set this report is about. */
  isThisSet: boolean;
}

export interface ReportHistory {
  /** Every set in the folder, newest first. */
  sets: ReportHistorySet[];
  retention: {
    defaultKeep: number;
    /** The policy in words: "the last 10, 7 daily". */
    policy: string;
    rules: RichText[];
    /** Where this set stands among the sets of its prefix, newest first. */
    position: { index: number; of: number; prefix: string };
    summary: string;
  };
  pinned: string[];
}

export type GitState = GitAnswer | 'not-checked';

export interface ReportFilePermission {
  /** The folder's absolute path, or a file's name. */
  name: string;
  kind: 'folder' | 'file';
  /** Octal permission bits ("0600"); null where the platform has none (Windows). */
  mode: string | null;
  readableByGroup: boolean;
  readableByOthers: boolean;
}

export interface ReportSecurity {
  folder: string;
  git: {
    state: GitState;
    repositoryRoot: string | null;
    /** Files of this set that git already tracks (committed or staged). */
    trackedFiles: string[];
    summary: string;
    advice: RichText | null;
  };
  folderPermission: ReportFilePermission | null;
  permissions: ReportFilePermission[];
  /** Files (or the folder) that other users of this machine can read. */
  readableByOthers: string[];
  permissionSummary: string;
  permissionFix: string | null;
  encryption: {
    /** The files are encrypted (age): with a passphrase, or to recipients' public keys. */
    encrypted: boolean;
    /** "age (passphrase)", "age (2 recipients)"; null for plain files. */
    method: string | null;
    summary: string;
    advice: RichText[];
  };
  notes: RichText[];
}

export interface ReportAttention {
  level: 'info' | 'warn';
  text: RichText;
}

export interface BackupReport {
  format: typeof REPORT_FORMAT;
  formatVersion: number;
  /** ISO 8601. */
  generatedAt: string;
  generatedBy: string;
  set: ReportSet;
  /** The few things a person should act on, most important first. */
  attention: ReportAttention[];
  overview: ReportOverview;
  database: ReportDatabase;
  warnings: ReportWarnings;
  restore: ReportRestore;
  schema: ReportSchema;
  verification: ReportVerification;
  history: ReportHistory;
  security: ReportSecurity;
}

/** One way of restoring, as the proof found it. */
export interface ReportProofWay extends Omit<ProofPathResult, 'path' | 'files'> {
  /** "the complete file", "schema then data". */
  title: string;
}

export interface ReportProof {
  outcome: ProofRecord['outcome'];
  /** "proved restorable", "NOT proved". */
  outcomeText: string;
  /** ISO 8601. */
  provedAt: string;
  durationMs: number;
  summary: string;
  /** Where the scratch databases were: "postgres@127.0.0.1:5432". */
  server: string;
  ways: ReportProofWay[];
  /** Every difference, in words. */
  differences: string[];
  notes: string[];
}

export interface ReportProofSection {
  latest: ReportProof | null;
  /** How many proofs the history holds. */
  runs: number;
  proveCommand: string;
  /** Said when the set was never proved. */
  notProved: RichText;
}

export const SET_STATUS_TEXT: Readonly<Record<SetStatus, string>> = {
  complete: 'complete',
  legacy: 'legacy (made by the old backup script, no manifest)',
  incomplete: 'incomplete',
  running: 'being written right now',
};

export const CHECK_STATUS_TEXT: Readonly<Record<CheckStatus, string>> = {
  pass: 'passed',
  warn: 'warning',
  fail: 'failed',
};
