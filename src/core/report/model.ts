/**
 * The summary of one backup set, as plain data: what the team's old Markdown
 * summary said, with the real figures from the manifest, the set's history,
 * the listing and the file system instead of guesses. This model is the
 * contract: `summary --format json` prints it as it is, the Markdown and
 * HTML renderers lay it out, and the extension's webview renders it itself.
 * Every sentence a person reads is in the model, so all front doors say the
 * same thing; renderers only add headings and layout.
 */
import { checkLine } from '../verify/results';
import { commandLineWords } from '../commandLineWords';
import type { ActionWords } from '../hint';
import { open, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { passwordlessUrl, redactText } from '../connection/connection';
import { loadExeca } from '../process/execa';
import { formatBytes } from '../format';
import { currentVerification, lastVerification, readHistory, type RetentionEvent, type SetHistory } from '../sets/history';
import { findSet, listSets, type ListedSet, type SetStatus } from '../sets/listing';
import type { RestoreMode } from '../restore/restore';
import { DEFAULT_KEEP, DEFAULT_KEEP_SAFETY, describeProtection, planRetention } from '../retention/retention';
import { DEFAULT_POLICY, describePolicy, describeRule, policyKey, type RetentionPolicy } from '../retention/policy';
import { SET_STATE_WORDS, setStateOf, type SetState } from '../sets/state';
import type { BackupFileType, Manifest, ManifestTable } from '../sets/manifest';
import { fileNameFor, setFileNames } from '../sets/naming';
import { shellCommand, type ShellWord } from '../shell';
import { buildSupabaseRestore } from './supabaseRestore';
import { buildProofSection, type ReportProofSection } from './proof';
import { outcomeOf, type CheckGroupName, type CheckResult, type CheckStatus, type VerificationReport } from '../verify/results';
import { PULSE_BACKUP_VERSION } from '../version';

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
  databaseAtBackup: {
    recorded: boolean;
    /** True when the backup connected and dumped it; null when not recorded. */
    reachable: boolean | null;
    serverVersion: string | null;
    sizeBytes: number | null;
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

export type GitState = 'git-not-installed' | 'not-in-repository' | 'ignored' | 'not-ignored' | 'unknown' | 'not-checked';

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
    encrypted: false;
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

export interface BuildReportOptions {
  folder: string;
  setId: string;
  /** For git's PATH, and for passwords configured here that must never show up in the report. */
  env: NodeJS.ProcessEnv;
  now?: Date;
  /**
   * Ask git whether the backups are ignored (default true). False runs no
   * program at all: for VS Code's Restricted Mode, where a repository's
   * configuration must not be trusted to run anything.
   */
  git?: boolean;
  /** Whose words the advice uses: the CLI's commands and flags (default), or VS Code's commands and settings. */
  frontDoor?: 'cli' | 'vscode';
  /** How the front door words a check's advice (default: the command line's). */
  words?: ActionWords;
  /** The retention policy in force for this folder (default: the CLI's default, keep the last 10). */
  policy?: RetentionPolicy;
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

const FILE_LABELS: Readonly<Record<ReportFileKind, string>> = {
  complete: 'Complete dump',
  schema: 'Schema-only dump',
  data: 'Data-only dump',
  manifest: 'Manifest',
  history: 'History',
  pin: 'Pin marker',
};

/** Enough of a plain dump's beginning to hold its header comments and the \restrict line. */
const DUMP_HEADER_BYTES = 8192;

export async function buildReport(options: BuildReportOptions): Promise<BackupReport> {
  const folder = resolve(options.folder);
  const now = options.now ?? new Date();
  const sets = await listSets(folder);
  // findSet names the sets that do exist when the id is unknown.
  const set = sets.find((candidate) => candidate.id === options.setId) ?? (await findSet(folder, options.setId));
  const manifest = set.manifest;
  const [history, files, header, git] = await Promise.all([
    readHistory(folder, set.id),
    describeFiles(folder, set),
    readDumpHeader(folder, set),
    options.git === false ? Promise.resolve<GitFacts>({ state: 'not-checked', repositoryRoot: null, trackedFiles: [] }) : inspectGit(folder, set, options.env),
  ]);
  const permissions = await readPermissions(folder, files);
  const holding = await currentVerification(folder, set, history);
  const state = setStateOf({ set, ...(holding ? { verification: holding } : {}) });

  const overview = buildOverview(set, manifest, files, history);
  const database = buildDatabase(manifest, header);
  const warnings = buildWarnings(manifest);
  const restore = buildRestore(folder, set, manifest, files, database);
  const schema = buildSchema(manifest);
  const frontDoor = options.frontDoor ?? 'cli';
  const verification = buildVerification(folder, set, history, frontDoor, options.words ?? commandLineWords);
  const historySection = buildHistory(sets, set, folder, options.policy ?? DEFAULT_POLICY, frontDoor);
  const security = buildSecurity(folder, files, git, permissions);

  const report: BackupReport = {
    format: REPORT_FORMAT,
    formatVersion: REPORT_VERSION,
    generatedAt: now.toISOString(),
    generatedBy: `pulse-backup ${PULSE_BACKUP_VERSION}`,
    set: {
      id: set.id,
      prefix: set.prefix,
      timestamp: set.timestamp,
      createdAt: set.createdAt,
      folder,
      status: set.status,
      statusText: SET_STATUS_TEXT[set.status],
      problems: set.problems,
      purpose: set.purpose,
      purposeText: set.purpose === 'safety' ? 'safety backup, taken automatically before a restore' : 'backup',
      pinned: set.pinned,
      hasManifest: set.hasManifest,
      hasHistory: set.hasHistory,
      madeBy: manifest ? 'pulse-backup' : set.status === 'legacy' ? 'old script' : 'unknown',
      state,
      stateText: SET_STATE_WORDS[state],
    },
    attention: [],
    overview,
    database,
    warnings,
    restore,
    schema,
    verification,
    history: historySection,
    security,
  };
  report.attention = buildAttention(report);
  return redactReport(report);
}

// ---------------------------------------------------------------------------
// Files

async function describeFiles(folder: string, set: ListedSet): Promise<ReportFile[]> {
  const manifest = set.manifest;
  const legacy = manifest === undefined;
  const dumps = (['complete', 'schema', 'data'] as const).map((type): ReportFile => {
    const listed = set.files.find((file) => file.type === type);
    const recorded = manifest?.files.find((file) => file.type === type);
    const name = listed?.name ?? recorded?.name ?? fileNameFor(set.prefix, type, set.timestamp);
    return {
      kind: type,
      label: FILE_LABELS[type],
      name,
      path: join(folder, name),
      present: listed !== undefined,
      bytes: listed?.bytes ?? null,
      sha256: recorded?.sha256 ?? null,
      description: dumpDescription(type, legacy),
    };
  });
  const names = setFileNames(set.prefix, set.timestamp);
  const sides = await Promise.all(
    (['manifest', 'history', 'pin'] as const).map(async (kind): Promise<ReportFile | undefined> => {
      const path = join(folder, names[kind]);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      return {
        kind,
        label: FILE_LABELS[kind],
        name: names[kind],
        path,
        present: true,
        bytes: info.size,
        sha256: null,
        description: SIDE_FILE_DESCRIPTIONS[kind],
      };
    }),
  );
  return [...dumps, ...sides.filter((file): file is ReportFile => file !== undefined)];
}

function dumpDescription(type: BackupFileType, legacy: boolean): string {
  switch (type) {
    case 'complete':
      return 'Everything in one file: definitions, rows, then indexes, constraints and foreign keys. Restores into an empty database.';
    case 'schema':
      return 'Definitions only (tables, types, functions, indexes, constraints, policies, grants), no rows. Recreates the structure in an empty database.';
    case 'data':
      return legacy
        ? 'Rows, sequence values and large objects (pg_dump --data-only). Loads into a database that has the schema; triggers stay on unless you turn them off.'
        : 'Rows, sequence values and large objects. Loads into a database that has the schema, with triggers off (session_replication_role = replica).';
  }
}

const SIDE_FILE_DESCRIPTIONS: Readonly<Record<'manifest' | 'history' | 'pin', string>> = {
  manifest: 'What the set holds: checksums, sizes, every table with its exact row count, server and pg_dump versions. Written last, so its presence means the dumps were complete.',
  history: 'Every verification of this set, and what retention removed when it was made.',
  pin: 'Marker: retention never removes this set while it exists.',
};

interface DumpHeader {
  serverVersion?: string;
  pgDumpVersion?: string;
  usesRestrict: boolean;
}

/** The version comments pg_dump writes at the top of every plain dump: the only facts a set without a manifest has. */
async function readDumpHeader(folder: string, set: ListedSet): Promise<DumpHeader> {
  const file = set.files.find((candidate) => candidate.type === 'complete') ?? set.files[0];
  if (!file) return { usesRestrict: false };
  let text: string;
  try {
    const handle = await open(join(folder, file.name), 'r');
    try {
      const buffer = Buffer.alloc(DUMP_HEADER_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, DUMP_HEADER_BYTES, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return { usesRestrict: false };
  }
  return {
    serverVersion: /^-- Dumped from database version (.+)$/m.exec(text)?.[1]?.trim(),
    pgDumpVersion: /^-- Dumped by pg_dump version (.+)$/m.exec(text)?.[1]?.trim(),
    usesRestrict: /^\\restrict /m.test(text),
  };
}

// ---------------------------------------------------------------------------
// Sections

function buildOverview(set: ListedSet, manifest: Manifest | undefined, files: ReportFile[], history: SetHistory): ReportOverview {
  const dumpBytes = set.totalBytes;
  const totalBytes = files.reduce((sum, file) => sum + (file.bytes ?? 0), 0);
  const databaseAtBackup = manifest
    ? {
        recorded: true,
        reachable: true,
        serverVersion: manifest.server.version,
        sizeBytes: manifest.database.sizeBytes,
        summary: `reachable: pg_dump connected to PostgreSQL ${manifest.server.version} and dumped the database (${formatBytes(manifest.database.sizeBytes)} on disk)`,
      }
    : {
        recorded: false,
        reachable: null,
        serverVersion: null,
        sizeBytes: null,
        summary: 'not recorded: this set has no manifest, so the database size and server facts at backup time are unknown',
      };
  return {
    files,
    dumpBytes,
    totalBytes,
    durationMs: manifest?.durationMs ?? null,
    databaseAtBackup,
    retentionAtCreation: history.retention.map(retentionEvent),
  };
}

function retentionEvent(event: RetentionEvent): ReportRetentionEvent {
  const sets = (count: number) => `${count} ${count === 1 ? 'set' : 'sets'}`;
  const removed = event.removed.length === 0 ? 'removed nothing' : `removed ${sets(event.removed.length)}`;
  const kept = event.protected.length === 0 ? '' : ` and kept ${sets(event.protected.length)} the policy does not keep`;
  const heldBack = event.heldBack && event.heldBack.length > 0 ? `, and held back ${sets(event.heldBack.length)} that needed a confirmation` : '';
  return {
    at: event.at,
    keep: event.keep,
    removed: event.removed,
    protected: event.protected.map((entry) => ({ ...entry, reasonText: describeProtection(entry.reason) })),
    summary: `retention (keep ${event.policy ?? event.keep}) ${removed}${kept}${heldBack}`,
  };
}

function buildDatabase(manifest: Manifest | undefined, header: DumpHeader): ReportDatabase {
  if (manifest) {
    const { host, port, user, name, sizeBytes } = manifest.database;
    return {
      recorded: true,
      serverVersion: manifest.server.version,
      serverVersionSource: 'manifest',
      host,
      port,
      address: serverAddress(host, port),
      user,
      name,
      sizeBytes,
      pgDumpVersion: manifest.tools.pgDump.version,
      pgDumpPath: manifest.tools.pgDump.path,
      pulseBackupVersion: manifest.tools.pulseBackup,
      usesRestrict: header.usesRestrict,
      note: null,
    };
  }
  return {
    recorded: false,
    serverVersion: header.serverVersion ?? null,
    serverVersionSource: header.serverVersion ? 'dump header' : null,
    host: null,
    port: null,
    address: null,
    user: null,
    name: null,
    sizeBytes: null,
    pgDumpVersion: header.pgDumpVersion ?? null,
    pgDumpPath: null,
    pulseBackupVersion: null,
    usesRestrict: header.usesRestrict,
    note: 'This set has no manifest: the server and database it came from were not recorded. The versions come from the comments pg_dump wrote at the top of the dump.',
  };
}

function serverAddress(host: string, port: number): string {
  if (host.startsWith('/')) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function buildWarnings(manifest: Manifest | undefined): ReportWarnings {
  if (!manifest) {
    return {
      recorded: false,
      foreignKeyCycles: [],
      summary: ['Not recorded: the old script kept no manifest, so the circular foreign keys and pg_dump\'s warnings were not saved.'],
      meaning: [
        [
          'If the database has circular foreign keys (two tables that reference each other, or a table that references itself), ',
          { code: 'pg_dump --data-only' },
          ' warned about them on its terminal, and this set\'s data-only file cannot be loaded in any table order with the foreign keys checked.',
        ],
      ],
      handling: [
        ['The complete file creates foreign keys after the data, so it restores without that problem.'],
        [
          'This set\'s data-only file is plain ',
          { code: 'pg_dump --data-only' },
          ' output and leaves triggers on. Load it with ',
          { code: "PGOPTIONS='-c session_replication_role=replica'" },
          ' (as a superuser) so foreign-key and application triggers do not fire, as the restore commands below do.',
        ],
      ],
      pgDumpStderr: [],
    };
  }
  const cycles = manifest.foreignKeyCycles.map((cycle): ReportForeignKeyCycle => {
    const selfReference = cycle.tables.length === 1;
    return {
      tables: cycle.tables,
      selfReference,
      text: selfReference ? `${cycle.tables[0]} (references itself)` : cycle.tables.join(' ↔ '),
    };
  });
  const rings = cycles.filter((cycle) => !cycle.selfReference).length;
  const selfReferences = cycles.length - rings;
  const summary: RichText =
    cycles.length === 0
      ? ['No circular foreign keys: a data-only load can put every table in an order that satisfies its foreign keys.']
      : [
          `${cycles.length} foreign-key cycle${cycles.length === 1 ? '' : 's'} (${rings} between tables, ${selfReferences} self-reference${selfReferences === 1 ? '' : 's'}): `,
          { code: 'pg_dump --data-only' },
          ' warns "there are circular foreign-key constraints" for exactly these.',
        ];
  return {
    recorded: true,
    foreignKeyCycles: cycles,
    summary,
    meaning:
      cycles.length === 0
        ? []
        : [
            [
              'A data-only load cannot order these tables: whichever loads first points at rows that are not there yet (for a table that references itself, at rows further down the same table), so a foreign-key check fails.',
            ],
            [
              { code: 'pg_dump --data-only' },
              ' prints a warning for each cycle and suggests ',
              { code: '--disable-triggers' },
              ' or dropping the constraints while loading.',
            ],
          ],
    handling: [
      [
        'The data file starts with ',
        { code: 'SET session_replication_role = replica;' },
        ', so foreign-key triggers and application triggers do not fire while rows load (this needs a superuser, or a role allowed to set it).',
      ],
      ['The complete file creates the foreign keys after the data, as pg_dump orders a full dump, so it loads without the problem.'],
      [{ code: 'pulse-backup restore' }, ' runs the whole load in one transaction: it either finishes or leaves the database as it was.'],
    ],
    pgDumpStderr: manifest.pgDumpWarnings,
  };
}

function buildRestore(folder: string, set: ListedSet, manifest: Manifest | undefined, files: ReportFile[], database: ReportDatabase): ReportRestore {
  if (manifest?.profile?.name === 'supabase') return buildSupabaseRestore(folder, set, manifest, files);
  const fileOf = (type: BackupFileType): ReportFile => files.find((file) => file.kind === type)!;
  const complete = fileOf('complete');
  const schema = fileOf('schema');
  const data = fileOf('data');
  const target: ShellWord = { variable: 'DATABASE' };
  const psql = (...files: string[]): ShellWord[] => [
    'psql',
    '-X',
    '-v',
    'ON_ERROR_STOP=1',
    '--single-transaction',
    '-d',
    target,
    ...files.flatMap((file) => ['-f', file]),
  ];
  const pulseBackup = (mode: RestoreMode): ReportCommand => ({
    title: `with Pulse Backup (safety backup of the target first, asks before changing anything)`,
    command: shellCommand(['pulse-backup', 'restore', set.id, '--mode', mode, '--dir', folder]),
  });
  // The old script's data file leaves triggers on; the same setting our data
  // file makes can be given to its session from outside.
  const dataPsql = (...paths: string[]): string =>
    manifest ? shellCommand(psql(...paths)) : `PGOPTIONS='-c session_replication_role=replica' ${shellCommand(psql(...paths))}`;

  // pg_dump wraps large-object data in its own BEGIN/COMMIT, which ends psql's
  // --single-transaction early; only pulse-backup restore neutralises it.
  const hasLargeObjects = manifest ? manifest.largeObjects > 0 : true;
  const atomically = hasLargeObjects ? 'in one transaction (see the note on large objects)' : 'all or nothing';
  const options: ReportRestoreOption[] = [
    {
      mode: 'complete',
      title: 'Complete restore',
      description: ['Recreates the whole database (definitions, rows, indexes, foreign keys) in an empty database.'],
      available: complete.present,
      file: complete.path,
      pulseBackup: pulseBackup('complete'),
      psql: [{ title: `with psql, into an empty database, ${atomically}`, command: shellCommand(psql(complete.path)) }],
    },
    {
      mode: 'schema',
      title: 'Schema-only restore',
      description: ['Recreates tables, types, functions, indexes, constraints, policies and grants without any rows, in an empty database.'],
      available: schema.present,
      file: schema.path,
      pulseBackup: pulseBackup('schema'),
      psql: [{ title: 'with psql, into an empty database, all or nothing', command: shellCommand(psql(schema.path)) }],
    },
    {
      mode: 'data',
      title: 'Data-only restore',
      description: [
        'Loads the rows, sequence values and large objects into a database that already has this schema and empty tables',
        manifest ? ' (with ' : '',
        manifest ? { code: '--clean' } : '',
        manifest ? ', pulse-backup empties the tables first).' : '.',
        ' It needs a superuser: triggers are turned off while rows load.',
      ].filter((part) => part !== ''),
      available: data.present,
      file: data.path,
      pulseBackup: pulseBackup('data'),
      psql: [
        { title: `with psql, into a database that has the schema, ${atomically}`, command: dataPsql(data.path) },
        { title: `with psql, schema then data into an empty database, ${atomically}`, command: dataPsql(schema.path, data.path) },
      ],
    },
  ];

  const exampleHost = database.host ?? '127.0.0.1';
  const exampleUser = database.user ?? 'postgres';
  const exampleName = `${database.name ?? set.prefix}_restored`;
  const exampleUrl = passwordlessUrl(exampleHost, database.port ?? 5432, exampleUser, exampleName);
  const notes: RichText[] = [
    [
      'The psql commands read the target from ',
      { code: '$DATABASE' },
      '; the password comes from ',
      { code: 'PGPASSWORD' },
      ' or ',
      { code: '~/.pgpass' },
      ', never from the command line.',
    ],
    [
      'Complete and schema-only restores expect an empty database, e.g. ',
      { code: `createdb -T template0 ${exampleName}` },
      '.',
    ],
    [
      { code: '-v ON_ERROR_STOP=1' },
      ' stops at the first error instead of carrying on; ',
      { code: '--single-transaction' },
      ' (',
      { code: '-1' },
      ') makes each psql run all or nothing; ',
      { code: '-X' },
      ' keeps your ',
      { code: '~/.psqlrc' },
      ' out of it.',
    ],
    ...(hasLargeObjects
      ? [
          [
            'Large objects: pg_dump writes their data between its own ',
            { code: 'BEGIN;' },
            ' and ',
            { code: 'COMMIT;' },
            ', which ends psql\'s single transaction early, so an error after them leaves a partial restore. ',
            { code: 'pulse-backup restore' },
            ' leaves those two lines out and stays all or nothing.',
          ] satisfies RichText,
        ]
      : []),
    [
      { code: 'pulse-backup restore' },
      ' restores into the configured database (',
      { code: '--db URL' },
      ' for another), takes a safety backup of it first (',
      { code: '--no-safety-backup' },
      ' skips it) and asks before changing anything (',
      { code: '--yes' },
      ' for scripts).',
    ],
  ];
  if (database.usesRestrict) {
    notes.push([
      'The files begin with ',
      { code: '\\restrict' },
      database.pgDumpVersion ? ` (written by pg_dump ${database.pgDumpVersion})` : '',
      ': run them with psql from PostgreSQL 13.22, 14.19, 15.14, 16.10, 17.6 or newer; older psql stops with ',
      { code: 'invalid command \\restrict' },
      '.',
    ]);
  }
  if (!manifest) {
    notes.push([
      'Made by the old script: its data file leaves triggers on, so the data-only commands set ',
      { code: 'session_replication_role = replica' },
      ' through ',
      { code: 'PGOPTIONS' },
      '. Materialized views stay empty after a data-only load until ',
      { code: 'REFRESH MATERIALIZED VIEW' },
      ' runs. Its schema file creates CHECK constraints added ',
      { code: 'NOT VALID' },
      ' before the data, so rows that break one stop the load: the complete file has no such problem.',
    ]);
  }
  if (set.status === 'incomplete') {
    notes.unshift([`This set is incomplete (${set.problems.join('; ')}): restore from another set if you can.`]);
  }
  return { options, targetVariable: 'DATABASE', targetExample: `DATABASE=${shellCommand([exampleUrl])}`, notes };
}

function buildSchema(manifest: Manifest | undefined): ReportSchema {
  if (!manifest) {
    return {
      recorded: false,
      schemas: [],
      tableCount: 0,
      totalRows: 0,
      totalBytes: 0,
      materializedViews: [],
      largeObjects: null,
      sequences: null,
      profile: null,
      note: 'Not recorded: the old script kept no manifest, so the tables, their row counts and sizes are unknown. The next backup with pulse-backup records them.',
    };
  }
  const bySchema = new Map<string, ReportTable[]>();
  for (const table of manifest.tables) {
    const list = bySchema.get(table.schema) ?? [];
    list.push({ name: table.name, kind: table.kind, rows: table.rows, bytes: table.bytes });
    bySchema.set(table.schema, list);
  }
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const schemas = [...bySchema.entries()]
    .map(([name, tables]): ReportSchemaGroup => ({
      name,
      tables: tables.sort(byName),
      rows: tables.reduce((sum, table) => sum + (table.rows ?? 0), 0),
      bytes: tables.reduce((sum, table) => sum + table.bytes, 0),
    }))
    .sort(byName);
  return {
    recorded: true,
    schemas,
    tableCount: manifest.tables.length,
    totalRows: schemas.reduce((sum, group) => sum + group.rows, 0),
    totalBytes: schemas.reduce((sum, group) => sum + group.bytes, 0),
    materializedViews: manifest.materializedViews ?? [],
    largeObjects: manifest.largeObjects ?? null,
    sequences: manifest.sequences ?? null,
    note: manifest.tables.length === 0 ? 'The database had no tables of its own when this set was made.' : null,
    profile: manifest.profile
      ? {
          name: manifest.profile.name,
          reason: manifest.profile.reason,
          platformData: manifest.profile.platformData,
          attachedObjects: manifest.profile.attachedObjects,
          leftOut: [
            ...manifest.profile.leftOut.schemas.map((schema) => ({ what: `schema ${schema.name}`, why: schema.why })),
            ...manifest.profile.leftOut.tableData.map((table) => ({ what: `rows of ${table.schema}.${table.name}`, why: table.why })),
            ...manifest.tables.filter((table) => table.dataLeftOut).map((table) => ({ what: `rows of ${table.schema}.${table.name}`, why: 'left out on request (--exclude-table-data)' })),
          ],
        }
      : null,
  };
}

function buildVerification(folder: string, set: ListedSet, history: SetHistory, frontDoor: 'cli' | 'vscode', words: ActionWords): ReportVerification {
  const verifyCommand = shellCommand(['pulse-backup', 'verify', set.id, '--dir', folder]);
  const verifyAdvice: RichText = frontDoor === 'vscode' ? ['use Verify Now above (or Verify on the set in the Backups view)'] : ['run ', { code: verifyCommand }];
  return {
    postBackup: verificationRun(lastVerification(history, 'post-backup'), 'post-backup', words),
    preRestore: verificationRun(lastVerification(history, 'pre-restore'), 'pre-restore', words),
    verifyCommand,
    notVerified: ['not verified yet — ', ...verifyAdvice],
    verifyAdvice,
    runs: history.verifications.length,
    proof: buildProofSection(folder, set.id, history),
  };
}

/** One group's checks from a verification report: the piece a webview or a renderer shows as a check list. */
export function verificationRun(report: VerificationReport | undefined, group: CheckGroupName, words: ActionWords = commandLineWords): ReportVerificationRun | null {
  const checkGroup = report?.groups.find((candidate) => candidate.name === group);
  if (!report || !checkGroup) return null;
  // The group's own outcome: a failed pre-restore check says nothing about the files.
  const outcome = outcomeOf(checkGroup.checks);
  return {
    group,
    title: checkGroup.title,
    checkedAt: report.checkedAt,
    durationMs: report.durationMs,
    outcome,
    outcomeText: CHECK_STATUS_TEXT[outcome],
    // Post-backup checks read only the files, whatever database the same run also checked.
    target:
      group === 'pre-restore' && report.target
        ? `${report.target.user}@${serverAddress(report.target.host, report.target.port)}/${report.target.database}`
        : null,
    checks: checkGroup.checks.map(({ hint: _advice, ...check }) => ({ ...check, detail: checkLine({ ...check, ...(_advice ? { hint: _advice } : {}) }, words), statusText: CHECK_STATUS_TEXT[check.status] })),
  };
}

function buildHistory(sets: ListedSet[], set: ListedSet, folder: string, policy: RetentionPolicy, frontDoor: 'cli' | 'vscode'): ReportHistory {
  const samePrefix = sets.filter((candidate) => candidate.prefix === set.prefix);
  // Safety sets have their own count (see retention.ts): the position is among sets of the same kind.
  const sameKind = samePrefix.filter((candidate) => (candidate.purpose === 'safety') === (set.purpose === 'safety'));
  const index = sameKind.findIndex((candidate) => candidate.id === set.id) + 1;
  const pinned = sets.filter((candidate) => candidate.pinned).map((candidate) => candidate.id);
  const plan = planRetention(sets, { prefix: set.prefix, policy });
  const safety = set.purpose === 'safety';
  const kind = safety ? 'safety set' : 'backup';
  const keptBy = plan.kept.find((candidate) => candidate.id === set.id)?.rules;
  const keptAsSafety = plan.keptSafety.some((candidate) => candidate.id === set.id);
  const policyText = describePolicy(policy);
  const rules: RichText[] =
    frontDoor === 'vscode'
      ? [
          [
            `Each backup, and Prune Old Backups, keep ${policyText} finished backups of a prefix (the Retention settings: `,
            { code: 'pulseBackup.retention.keepLast' },
            ' and the hourly, daily, weekly, monthly and yearly rules) and remove the others whole. More than 3 sets at once, or sets the policy never kept before, are removed only after you confirm the list.',
          ],
          [`Safety sets (taken before a restore) do not count: the newest ${DEFAULT_KEEP_SAFETY} of the prefix are kept and older ones removed, so restores never push a backup out.`],
          [
            'Retention never removes a pinned set (Pin in the Backups view), the set a backup has just written, the newest backup that verifies, a set still being written, or any file that is not part of a backup set.',
          ],
        ]
      : [
          [
            'Each backup, and ',
            { code: `pulse-backup prune --dir ${shellCommand([folder])}` },
            `, keep ${policyText} finished backups of a prefix (`,
            { code: '--keep N' },
            ' and ',
            { code: '--keep-hourly/-daily/-weekly/-monthly/-yearly N' },
            ' set the policy) and remove the others whole; ',
            { code: 'prune --dry-run' },
            ' shows what would go. After a backup, more than 3 sets at once, or sets the policy never kept before, are held back for prune.',
          ],
          [
            `Safety sets (taken before a restore) do not count: the newest ${DEFAULT_KEEP_SAFETY} of the prefix are kept (`,
            { code: '--keep-safety N' },
            ' says otherwise) and older ones removed, so restores never push a backup out.',
          ],
          [
            'Retention never removes a pinned set (',
            { code: 'pulse-backup pin <SET_ID>' },
            '), the set a backup has just written, the newest backup that verifies, a set still being written, or any file that is not part of a backup set.',
          ],
        ];
  const policyName = frontDoor === 'vscode' ? "this folder's policy" : cliPolicyName(policy);
  const standing = set.pinned
    ? '; it is pinned, so retention keeps it.'
    : set.status === 'running'
      ? '.'
      : safety
        ? keptAsSafety
          ? `; it is among the newest ${DEFAULT_KEEP_SAFETY} safety sets, which retention keeps.`
          : `; it is older than the newest ${DEFAULT_KEEP_SAFETY} safety sets, so the next retention run may remove it unless it is pinned.`
        : keptBy
          ? `; ${policyName} keeps it (${keptBy.map((rule) => describeRule(rule, set.timestamp, policy)).join('; ')}).`
          : `; ${policyName} does not keep it, so the next retention run may remove it unless it is pinned or the newest backup that verifies.`;
  return {
    sets: sets.map((candidate) => ({
      id: candidate.id,
      createdAt: candidate.createdAt,
      totalBytes: candidate.totalBytes,
      status: candidate.status,
      statusText: SET_STATUS_TEXT[candidate.status],
      purpose: candidate.purpose,
      pinned: candidate.pinned,
      isThisSet: candidate.id === set.id,
    })),
    retention: {
      defaultKeep: DEFAULT_KEEP,
      policy: policyText,
      rules,
      position: { index, of: sameKind.length, prefix: set.prefix },
      summary: `This set is number ${index} of ${sameKind.length} ${kind}${sameKind.length === 1 ? '' : 's'} with prefix ${set.prefix}, newest first${standing}`,
    },
    pinned,
  };
}

/** The CLI cannot know which flags the next run gets: it speaks of the default unless told. */
function cliPolicyName(policy: RetentionPolicy): string {
  return policyKey(policy) === policyKey(DEFAULT_POLICY) ? `the default policy (keep ${describePolicy(policy)})` : `the policy (keep ${describePolicy(policy)})`;
}

// ---------------------------------------------------------------------------
// Security

interface GitFacts {
  state: GitState;
  repositoryRoot: string | null;
  trackedFiles: string[];
  detail?: string;
}

/**
 * Whether the backups could end up in a commit. git reads the repository's
 * configuration, and an fsmonitor hook there could run a program: it is
 * switched off, and nothing git is asked here writes anything.
 */
async function inspectGit(folder: string, set: ListedSet, env: NodeJS.ProcessEnv): Promise<GitFacts> {
  const execa = await loadExeca();
  const gitEnv: Record<string, string> = { GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  for (const name of ['PATH', 'HOME', 'SystemRoot', 'XDG_CONFIG_HOME']) {
    const value = env[name];
    if (value !== undefined) gitEnv[name] = value;
  }
  const git = (args: string[], input = '') =>
    execa('git', ['-c', 'core.fsmonitor=false', '-C', folder, ...args], {
      env: gitEnv,
      extendEnv: false,
      reject: false,
      input,
      timeout: 15_000,
      windowsHide: true,
    });
  const top = await git(['rev-parse', '--show-toplevel']);
  if ((top as { code?: unknown }).code === 'ENOENT') return { state: 'git-not-installed', repositoryRoot: null, trackedFiles: [] };
  if (top.exitCode !== 0) {
    const stderr = String(top.stderr);
    if (/not a git repository/i.test(stderr)) return { state: 'not-in-repository', repositoryRoot: null, trackedFiles: [] };
    return { state: 'unknown', repositoryRoot: null, trackedFiles: [], detail: firstLine(stderr) };
  }
  const root = String(top.stdout).trim();
  const names = setFileNames(set.prefix, set.timestamp);
  const setFiles = Object.values(names);
  // Run inside the folder, git names the tracked files relative to it: just their names.
  const tracked = await git(['ls-files', '-z', '--', ...setFiles]);
  const trackedFiles = tracked.exitCode === 0 ? splitNul(String(tracked.stdout)) : [];
  // The folder and the dumps both: a `*.sql` rule ignores the dumps of a folder that is not ignored itself.
  const dumpNames = set.files.map((file) => file.name);
  const ignored = await git(['check-ignore', '-z', '--stdin'], ['.', ...dumpNames].map((name) => `${name}\0`).join(''));
  if (ignored.exitCode !== 0 && ignored.exitCode !== 1) {
    return { state: 'unknown', repositoryRoot: root, trackedFiles, detail: firstLine(String(ignored.stderr)) };
  }
  const ignoredPaths = new Set(splitNul(String(ignored.stdout)));
  const everythingIgnored = ignoredPaths.has('.') || (dumpNames.length > 0 && dumpNames.every((name) => ignoredPaths.has(name)));
  return { state: everythingIgnored && trackedFiles.length === 0 ? 'ignored' : 'not-ignored', repositoryRoot: root, trackedFiles };
}

function splitNul(text: string): string[] {
  return text.split('\0').filter((part) => part !== '');
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() ?? '';
}

async function readPermissions(folder: string, files: ReportFile[]): Promise<{ folder: ReportFilePermission | null; files: ReportFilePermission[] }> {
  if (process.platform === 'win32') return { folder: null, files: [] };
  const permission = async (path: string, name: string, kind: 'folder' | 'file'): Promise<ReportFilePermission | null> => {
    const info = await stat(path).catch(() => undefined);
    if (!info) return null;
    const bits = info.mode & 0o777;
    return {
      name,
      kind,
      mode: `0${bits.toString(8).padStart(3, '0')}`,
      readableByGroup: (bits & 0o040) !== 0,
      readableByOthers: (bits & 0o004) !== 0,
    };
  };
  const [folderPermission, ...filePermissions] = await Promise.all([
    permission(folder, folder, 'folder'),
    ...files.filter((file) => file.present).map((file) => permission(file.path, file.name, 'file')),
  ]);
  return { folder: folderPermission, files: filePermissions.filter((entry): entry is ReportFilePermission => entry !== null) };
}

function buildSecurity(
  folder: string,
  files: ReportFile[],
  git: GitFacts,
  permissions: { folder: ReportFilePermission | null; files: ReportFilePermission[] },
): ReportSecurity {
  const gitSection = ((): ReportSecurity['git'] => {
    const base = { state: git.state, repositoryRoot: git.repositoryRoot, trackedFiles: git.trackedFiles };
    switch (git.state) {
      case 'git-not-installed':
        return { ...base, summary: 'git is not installed here, so whether the folder is in a repository was not checked.', advice: null };
      case 'not-in-repository':
        return { ...base, summary: 'The folder is not inside a git repository.', advice: null };
      case 'ignored':
        return { ...base, summary: `The folder is inside the git repository ${git.repositoryRoot ?? ''}, and git ignores the backup files.`, advice: null };
      case 'not-ignored': {
        const location = git.repositoryRoot ? relative(git.repositoryRoot, folder) || '.' : folder;
        const pattern = location === '.' || isAbsolute(location) || location.startsWith('..') ? null : `/${location.split('\\').join('/')}/`;
        return {
          ...base,
          summary:
            git.trackedFiles.length > 0
              ? `The folder is inside the git repository ${git.repositoryRoot ?? ''}, and git already tracks ${git.trackedFiles.length} file${git.trackedFiles.length === 1 ? '' : 's'} of this set: the database's contents are in its history.`
              : `The folder is inside the git repository ${git.repositoryRoot ?? ''}, and git does not ignore it: the next "git add ." commits the whole database.`,
          advice: [
            ...(pattern ? ['Add ', { code: pattern }, ' to the repository\'s ', { code: '.gitignore' }] : ['Move the backups folder out of the repository, or ignore the backup files in ', { code: '.gitignore' }]),
            ...(git.trackedFiles.length > 0 ? ['; remove the committed files with ', { code: 'git rm --cached' }, ' (they stay in older commits until the history is rewritten).'] : ['.']),
          ],
        };
      }
      case 'unknown':
        return { ...base, summary: `git could not say whether the folder is ignored${git.detail ? `: ${git.detail}` : ''}.`, advice: null };
      case 'not-checked':
        return { ...base, summary: 'Whether git ignores the folder was not checked: no programs run in an untrusted workspace.', advice: null };
    }
  })();

  const all = [...(permissions.folder ? [permissions.folder] : []), ...permissions.files];
  const exposed = all.filter((entry) => entry.readableByOthers).map((entry) => entry.name);
  const exposedFiles = permissions.files.filter((entry) => entry.readableByOthers).length;
  const groupOnly = all.filter((entry) => entry.readableByGroup && !entry.readableByOthers).map((entry) => entry.name);
  const folderListable = permissions.folder?.readableByOthers === true;
  let permissionSummary: string;
  if (permissions.folder === null && permissions.files.length === 0) {
    permissionSummary = 'File permissions were not checked (this platform has no Unix permission bits).';
  } else if (exposedFiles > 0) {
    permissionSummary =
      `${exposedFiles} of ${permissions.files.length} files of this set can be read by every user of this machine.` +
      (folderListable ? ' Everyone can list the folder, too.' : '');
  } else if (folderListable) {
    permissionSummary = 'The files are private to their owner, but every user of this machine can list the folder and see which backups exist.';
  } else if (groupOnly.length > 0) {
    permissionSummary = `Nothing is readable by every user; the owner's group can read ${groupOnly.length === 1 ? groupOnly[0] : `${groupOnly.length} of them`}.`;
  } else {
    permissionSummary = 'Only the owner can read the folder and the files.';
  }
  const looseFolder = permissions.folder !== null && (permissions.folder.readableByOthers || permissions.folder.readableByGroup);
  const looseFiles = permissions.files.filter((entry) => entry.readableByOthers || entry.readableByGroup).map((entry) => join(folder, entry.name));
  const fixes = [
    ...(looseFolder ? [shellCommand(['chmod', '700', folder])] : []),
    ...(looseFiles.length > 0 ? [shellCommand(['chmod', '600', ...looseFiles])] : []),
  ];
  const permissionFix = fixes.length > 0 ? fixes.join(' && ') : null;

  return {
    folder,
    git: gitSection,
    folderPermission: permissions.folder,
    permissions: permissions.files,
    readableByOthers: exposed,
    permissionSummary,
    permissionFix,
    encryption: {
      encrypted: false,
      summary: 'The dump files are plain SQL, not encrypted: anyone who can read them can read every row of the database.',
      advice: [
        ['Keep the backups folder out of git and out of folders that sync to the cloud (Dropbox, iCloud, OneDrive, Google Drive).'],
        ['Use full-disk encryption on this machine (FileVault, BitLocker, LUKS).'],
        [
          'Encrypt copies that leave the machine, e.g. ',
          { code: `gpg --symmetric --cipher-algo AES256 ${shellCommand([files.find((file) => file.kind === 'complete')?.path ?? join(folder, 'FILE')])}` },
          ', and keep the passphrase somewhere else than the copy.',
        ],
      ],
    },
    notes: [
      ['The dumps hold everything the database holds: user emails, password hashes, API tokens, personal data. Treat them like the production database.'],
      ['No database password is stored in the set: the manifest records host, port, user and database name only. Keep it that way: pass passwords through ', { code: 'PGPASSWORD' }, ' or ', { code: '~/.pgpass' }, ', not in scripts.'],
    ],
  };
}

// ---------------------------------------------------------------------------
// What needs attention, and the last word on secrets

function buildAttention(report: BackupReport): ReportAttention[] {
  const items: ReportAttention[] = [];
  const { set, security } = report;
  if (set.status === 'incomplete') items.push({ level: 'warn', text: [`This set is incomplete: ${set.problems.join('; ')}.`] });
  if (set.status === 'running') items.push({ level: 'warn', text: ['A backup is writing this set right now; this summary may change when it finishes.'] });
  if (set.status === 'legacy') items.push({ level: 'info', text: ['Made by the old backup script: no manifest, so no checksums, row counts or server facts were recorded.'] });
  const failed = [report.verification.postBackup, report.verification.preRestore].find((run) => run?.outcome === 'fail');
  if (failed) items.push({ level: 'warn', text: [`The last ${failed.group} verification failed; see Verification.`] });
  const proof = report.verification.proof.latest;
  if (proof?.outcome === 'failed') items.push({ level: 'warn', text: [`The last proof failed: restored into a scratch database, the set did not read back as it was written; see Verification.`] });
  if (!report.verification.postBackup && set.status !== 'running') {
    items.push({ level: 'info', text: ['Not verified yet: ', ...report.verification.verifyAdvice, '.'] });
  }
  if (security.git.state === 'not-ignored') items.push({ level: 'warn', text: [security.git.summary] });
  const exposedFiles = security.permissions.filter((entry) => entry.readableByOthers).map((entry) => entry.name);
  if (exposedFiles.length > 0) {
    items.push({ level: 'warn', text: [`${exposedFiles.length} file${exposedFiles.length === 1 ? '' : 's'} of this set can be read by every user of this machine; see Security.`] });
  } else if (security.folderPermission?.readableByOthers) {
    items.push({ level: 'info', text: ['Every user of this machine can list the backups folder (the files themselves are private); see Security.'] });
  }
  return items;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Every string of the model goes through the same redaction as pg_dump's output: URLs and password settings lose their password, where they stand. */
function redactReport(report: BackupReport): BackupReport {
  const visit = (value: Json): Json => {
    if (typeof value === 'string') return redactText(value);
    if (Array.isArray(value)) return value.map(visit);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, visit(inner)]));
    }
    return value;
  };
  return visit(report as unknown as Json) as unknown as BackupReport;
}
