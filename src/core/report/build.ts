/**
 * buildReport: one set's report model (types.ts) from the listing, its
 * manifest and history, its files and, unless told not to run anything, git.
 * The larger sections have files of their own (files.ts, restoreCommands.ts,
 * verification.ts, history.ts, security.ts); the small ones are built here.
 * Every string passes redact.ts on the way out.
 */
import { parallelDumpText } from '../backup/summary';
import type { SetKeys } from '../codecs/codecs';
import { commandLineWords } from '../commandLineWords';
import type { ActionWords } from '../hint';
import { resolve } from 'node:path';
import { countOf, formatDiskBytes } from '../format';
import { currentProof, currentVerification, readHistory, type RetentionEvent, type SetHistory } from '../sets/history';
import { findSet, listSets, type ListedSet } from '../sets/listing';
import { describeProtection } from '../retention/retention';
import { DEFAULT_POLICY, type RetentionPolicy } from '../retention/policy';
import { SET_STATE_WORDS, setStateOf } from '../sets/state';
import { largeObjectsInSet, safetySetOccasion, type Manifest } from '../sets/manifest';
import { PULSE_BACKUP_VERSION } from '../version';
import { describeFiles, readDumpHeader, readPermissions, type DumpHeader } from './files';
import { buildHistory } from './history';
import { redactReport } from './redact';
import { buildRestore } from './restoreCommands';
import { buildSecurity, inspectGit, type ReportGitFacts } from './security';
import { serverAddress } from './text';
import {
  REPORT_FORMAT,
  REPORT_VERSION,
  SET_STATUS_TEXT,
  type BackupReport,
  type ReportAttention,
  type ReportDatabase,
  type ReportFile,
  type ReportForeignKeyCycle,
  type ReportOverview,
  type ReportRetentionEvent,
  type ReportSchema,
  type ReportSchemaGroup,
  type ReportTable,
  type ReportWarnings,
  type RichText,
} from './types';
import { buildVerification } from './verification';

export interface BuildReportOptions {
  /** How the front door words a check's advice (default: the command line's). */
  words?: ActionWords;
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
  /** The retention policy in force for this folder (default: the CLI's default, keep the last 10). */
  policy?: RetentionPolicy;
  /** What decrypts an encrypted set's files, to read pg_dump's own words at their top; without it the manifest's stand. */
  keys?: SetKeys;
}

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
    readDumpHeader(folder, set, options.keys),
    options.git === false ? Promise.resolve<ReportGitFacts>({ state: 'not-checked', repositoryRoot: null, trackedFiles: [] }) : inspectGit(folder, set, options.env),
  ]);
  const permissions = await readPermissions(folder, files);
  const holding = await currentVerification(folder, set, history);
  const proofStanding = await currentProof(folder, set, history);
  const state = setStateOf({ set, ...(holding ? { verification: holding } : {}), ...(proofStanding.proof ? { proof: proofStanding.proof } : {}) });

  const overview = buildOverview(set, manifest, files, history);
  const database = buildDatabase(manifest, header);
  const warnings = buildWarnings(manifest);
  const restore = buildRestore(folder, set, manifest, files, database);
  const schema = buildSchema(manifest);
  const frontDoor = options.frontDoor ?? 'cli';
  const verification = buildVerification(folder, set, history, frontDoor, proofStanding.stale !== undefined, options.words ?? commandLineWords);
  const historySection = buildHistory(sets, set, folder, options.policy ?? DEFAULT_POLICY, frontDoor);
  const security = buildSecurity(folder, files, git, permissions, manifest?.encryption);

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
      purposeText: set.purpose === 'safety' ? `safety backup, taken automatically ${safetySetOccasion(set.manifest)}` : 'backup',
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

function buildOverview(set: ListedSet, manifest: Manifest | undefined, files: ReportFile[], history: SetHistory): ReportOverview {
  const dumpBytes = set.totalBytes;
  const totalBytes = files.reduce((sum, file) => sum + (file.bytes ?? 0), 0);
  const databaseAtBackup = manifest
    ? {
        recorded: true,
        reachable: true,
        serverVersion: manifest.server.version,
        sizeBytes: manifest.database.sizeBytes,
        sizeEstimated: manifest.sizes === 'estimated',
        summary: `reachable: pg_dump connected to PostgreSQL ${manifest.server.version} and dumped the database (${formatDiskBytes(manifest.database.sizeBytes, manifest.sizes === 'estimated')} on disk${manifest.sizes === 'estimated' ? ', estimated' : ''})`,
      }
    : {
        recorded: false,
        reachable: null,
        serverVersion: null,
        sizeBytes: null,
        sizeEstimated: false,
        summary: 'not recorded: this set has no manifest, so the database size and server facts at backup time are unknown',
      };
  return {
    files,
    dumpBytes,
    totalBytes,
    durationMs: manifest?.durationMs ?? null,
    dumpedText: manifest === undefined ? null : (parallelDumpText(manifest) ?? 'one pg_dump, from one snapshot'),
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
      sizeEstimated: manifest.sizes === 'estimated',
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
    sizeEstimated: false,
    pgDumpVersion: header.pgDumpVersion ?? null,
    pgDumpPath: null,
    pulseBackupVersion: null,
    usesRestrict: header.usesRestrict,
    note: 'This set has no manifest: the server and database it came from were not recorded. The versions come from the comments pg_dump wrote at the top of the dump.',
  };
}

function buildWarnings(manifest: Manifest | undefined): ReportWarnings {
  if (!manifest) {
    return {
      recorded: false,
      foreignKeyCycles: [],
      summary: ["Not recorded: the old script kept no manifest, so the circular foreign keys and pg_dump's warnings were not saved."],
      meaning: [
        [
          'If the database has circular foreign keys (two tables that reference each other, or a table that references itself), ',
          { code: 'pg_dump --data-only' },
          " warned about them on its terminal, and this set's data-only file cannot be loaded in any table order with the foreign keys checked.",
        ],
      ],
      handling: [
        ['The complete file creates foreign keys after the data, so it restores without that problem.'],
        [
          "This set's data-only file is plain ",
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
            [{ code: 'pg_dump --data-only' }, ' prints a warning for each cycle and suggests ', { code: '--disable-triggers' }, ' or dropping the constraints while loading.'],
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

function buildSchema(manifest: Manifest | undefined): ReportSchema {
  if (!manifest) {
    return {
      recorded: false,
      schemas: [],
      tableCount: 0,
      totalRows: 0,
      totalBytes: 0,
      sizesEstimated: false,
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
    sizesEstimated: manifest.sizes === 'estimated',
    materializedViews: manifest.materializedViews ?? [],
    largeObjects: manifest.largeObjects === undefined ? null : largeObjectsInSet(manifest),
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
            ...manifest.tables
              .filter((table) => table.dataLeftOut)
              .map((table) => ({ what: `rows of ${table.schema}.${table.name}`, why: 'left out on request (--exclude-table-data)' })),
            ...storageFilesLeftOut(manifest.tables),
          ],
        }
      : null,
  };
}

/**
 * Supabase Storage keeps the files themselves outside the database (the
 * storage container's volume on a local stack, S3 on a hosted project):
 * storage.objects holds their names and metadata. A set with its rows says
 * so, since "the uploads are backed up" is what a person would assume.
 */
function storageFilesLeftOut(tables: Manifest['tables']): { what: string; why: string }[] {
  const objects = tables.find((table) => table.schema === 'storage' && table.name === 'objects');
  if (!objects?.rows) return [];
  return [
    {
      what: `the contents of the ${countOf(objects.rows, 'file')} storage.objects describes`,
      why: "Supabase Storage keeps them outside the database (the storage container's volume on a local stack, S3 on a hosted project): the set holds their rows (names, owners, metadata), so copy the files apart",
    },
  ];
}

function buildAttention(report: BackupReport): ReportAttention[] {
  const items: ReportAttention[] = [];
  const { set, security } = report;
  if (set.status === 'incomplete') items.push({ level: 'warn', text: [`This set is incomplete: ${set.problems.join('; ')}.`] });
  if (set.status === 'running') items.push({ level: 'warn', text: ['A backup is writing this set right now; this summary may change when it finishes.'] });
  if (set.status === 'legacy') items.push({ level: 'info', text: ['Made by the old backup script: no manifest, so no checksums, row counts or server facts were recorded.'] });
  const failed = [report.verification.postBackup, report.verification.preRestore].find((run) => run?.outcome === 'fail');
  if (failed) items.push({ level: 'warn', text: [`The last ${failed.group} verification failed; see Verification.`] });
  const proof = report.verification.proof.latest;
  if (proof?.outcome === 'failed')
    items.push({ level: 'warn', text: [`The last proof failed: restored into a scratch database, the set did not read back as it was written; see Verification.`] });
  if (!report.verification.postBackup && set.status !== 'running') {
    items.push({ level: 'info', text: ['Not verified yet: ', ...report.verification.verifyAdvice, '.'] });
  }
  if (security.git.state === 'not-ignored') items.push({ level: 'warn', text: [security.git.summary] });
  const exposedFiles = security.permissions.filter((entry) => entry.readableByOthers).map((entry) => entry.name);
  if (exposedFiles.length > 0) {
    items.push({
      level: 'warn',
      text: [`${exposedFiles.length} file${exposedFiles.length === 1 ? '' : 's'} of this set can be read by every user of this machine; see Security.`],
    });
  } else if (security.folderPermission?.readableByOthers) {
    items.push({ level: 'info', text: ['Every user of this machine can list the backups folder (the files themselves are private); see Security.'] });
  }
  return items;
}
