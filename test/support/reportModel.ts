/**
 * A report model built by hand, with names a hostile database could have, for
 * testing the renderers without a database. Every string that would come
 * from the database or the file system carries markup or shell syntax.
 */
import type { BackupReport } from '../../src/core/report/types';

export const HOSTILE_TABLE = '<script>alert(1)</script>';
export const HOSTILE_SCHEMA = '"a&b"';
export const HOSTILE_DETAIL = '<img src=x onerror=alert(1)> found in `x` | y';
export const HOSTILE_FOLDER = '/home/ana/My "Backups" <b>';

export function handBuiltReport(): BackupReport {
  const folder = HOSTILE_FOLDER;
  const id = 'factory_pulse_20250901_173948';
  return {
    format: 'pulse-backup-report',
    formatVersion: 1,
    generatedAt: '2025-09-02T08:00:00.000Z',
    generatedBy: 'pulse-backup 0.1.0',
    set: {
      id,
      prefix: 'factory_pulse',
      timestamp: '20250901_173948',
      createdAt: '2025-09-01T15:39:48.000Z',
      folder,
      status: 'incomplete',
      statusText: 'incomplete',
      problems: ['<img src=x onerror=alert(2)>.sql is missing'],
      purpose: 'backup',
      purposeText: 'backup',
      pinned: true,
      hasManifest: true,
      hasHistory: true,
      madeBy: 'pulse-backup',
      state: 'incomplete',
      stateText: 'incomplete',
    },
    attention: [
      { level: 'warn', text: ['This set is incomplete: <svg onload=alert(3)>.'] },
      { level: 'info', text: ['Not verified yet: run ', { code: `pulse-backup verify ${id}` }, '.'] },
    ],
    overview: {
      files: [
        {
          kind: 'complete',
          label: 'Complete dump',
          name: 'factory_pulse_complete_backup_20250901_173948.sql',
          path: `${folder}/factory_pulse_complete_backup_20250901_173948.sql`,
          present: true,
          bytes: 1_234_567,
          sha256: 'ab'.repeat(32),
          description: 'Everything in one file.',
        },
        {
          kind: 'data',
          label: 'Data-only dump',
          name: '<img src=x onerror=alert(4)>.sql',
          path: `${folder}/<img src=x onerror=alert(4)>.sql`,
          present: false,
          bytes: null,
          sha256: null,
          description: 'Rows only.',
        },
      ],
      dumpBytes: 1_234_567,
      totalBytes: 1_240_000,
      durationMs: 1_500,
      dumpedText: "2 jobs: 1 big table's rows <b>dumped</b> in a session of its own, from the same snapshot",
      databaseAtBackup: {
        recorded: true,
        reachable: true,
        serverVersion: '15.18',
        sizeBytes: 9_700_000,
        sizeEstimated: false,
        summary: 'reachable: pg_dump connected to PostgreSQL 15.18',
      },
      retentionAtCreation: [
        {
          at: '2025-09-01T15:40:00.000Z',
          keep: 10,
          removed: ['factory_pulse_20250101_000000'],
          protected: [{ id: 'factory_pulse_20240101_000000', reason: 'pinned', reasonText: 'pinned <b>' }],
          summary: 'retention (keep 10) removed 1 set',
        },
      ],
    },
    database: {
      recorded: true,
      serverVersion: '15.18',
      serverVersionSource: 'manifest',
      host: '127.0.0.1',
      port: 5432,
      address: '127.0.0.1:5432',
      user: '<u>postgres</u>',
      name: 'db"><script>alert(5)</script>',
      sizeBytes: 9_700_000,
      sizeEstimated: false,
      pgDumpVersion: '15.18',
      pgDumpPath: '/usr/bin/pg_dump',
      pulseBackupVersion: '0.1.0',
      usesRestrict: true,
      note: null,
    },
    warnings: {
      recorded: true,
      foreignKeyCycles: [
        { tables: ['public.messages', 'public.users'], selfReference: false, text: 'public.messages ↔ public.users' },
        { tables: [`${HOSTILE_SCHEMA}.${HOSTILE_TABLE}`], selfReference: true, text: `${HOSTILE_SCHEMA}.${HOSTILE_TABLE} (references itself)` },
      ],
      summary: ['2 foreign-key cycles: ', { code: 'pg_dump --data-only' }, ' warns about them.'],
      meaning: [['A data-only load cannot order these tables.']],
      handling: [['The data file sets ', { code: 'session_replication_role = replica' }, '.']],
      pgDumpStderr: ['pg_dump: warning: </code></pre><script>alert(6)</script>', '```', 'https://evil.example/x.js'],
    },
    restore: {
      options: [
        {
          mode: 'complete',
          title: 'Complete restore',
          description: ['Recreates the whole database.'],
          available: true,
          file: `${folder}/factory_pulse_complete_backup_20250901_173948.sql`,
          pulseBackup: { title: 'with Pulse Backup', command: `pulse-backup restore ${id} --mode complete --dir '/home/ana/My "Backups" <b>'` },
          psql: [
            {
              title: 'with psql, into an empty database',
              command: `psql -X -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE" -f '/home/ana/My "Backups" <b>/factory_pulse_complete_backup_20250901_173948.sql'`,
            },
          ],
        },
        {
          mode: 'schema',
          title: 'Schema-only restore',
          description: ['Recreates the structure.'],
          available: true,
          file: `${folder}/factory_pulse_schema_backup_20250901_173948.sql`,
          pulseBackup: { title: 'with Pulse Backup', command: `pulse-backup restore ${id} --mode schema --dir x` },
          psql: [{ title: 'with psql', command: 'psql -f schema.sql' }],
        },
        {
          mode: 'data',
          title: 'Data-only restore',
          description: ['Loads the rows.'],
          available: false,
          file: `${folder}/<img src=x onerror=alert(4)>.sql`,
          pulseBackup: { title: 'with Pulse Backup', command: `pulse-backup restore ${id} --mode data --dir x` },
          psql: [{ title: 'with psql', command: 'psql -f data.sql' }],
        },
      ],
      targetVariable: 'DATABASE',
      targetExample: 'DATABASE=postgresql://postgres@127.0.0.1:5432/restored',
      notes: [['Complete restores expect an empty database.']],
    },
    schema: {
      profile: {
        name: 'supabase',
        reason: HOSTILE_DETAIL,
        platformData: ['auth.users', HOSTILE_TABLE],
        attachedObjects: [`POLICY storage.objects ${HOSTILE_TABLE}`],
        leftOut: [{ what: 'schema auth', why: HOSTILE_DETAIL }],
      },
      recorded: true,
      sizesEstimated: false,
      schemas: [
        {
          name: HOSTILE_SCHEMA,
          tables: [
            { name: HOSTILE_TABLE, kind: 'table', rows: 2, bytes: 8192 },
            { name: 'pipe|table', kind: 'table', rows: 1_234_567, bytes: 65536 },
            { name: 'tick`table', kind: 'partitioned table', rows: null, bytes: 0 },
          ],
          rows: 1_234_569,
          bytes: 73728,
        },
        { name: 'public', tables: [{ name: 'users', kind: 'table', rows: 40, bytes: 163840 }], rows: 40, bytes: 163840 },
      ],
      tableCount: 4,
      totalRows: 1_234_609,
      totalBytes: 237568,
      materializedViews: [{ schema: 'public', name: '<marquee>mv</marquee>', populated: false }],
      largeObjects: 2,
      sequences: 11,
      note: null,
    },
    verification: {
      postBackup: {
        group: 'post-backup',
        title: 'After the backup',
        checkedAt: '2025-09-01T15:41:00.000Z',
        durationMs: 800,
        outcome: 'fail',
        outcomeText: 'failed',
        target: null,
        checks: [
          { id: 'checksums', title: 'Files match their recorded sha256', status: 'pass', statusText: 'passed', detail: '3 files match' },
          { id: 'row-counts', title: 'Row counts <i>match</i>', status: 'fail', statusText: 'failed', detail: HOSTILE_DETAIL },
        ],
      },
      preRestore: null,
      verifyCommand: `pulse-backup verify ${id}`,
      notVerified: ['not verified yet — run ', { code: `pulse-backup verify ${id}` }],
      verifyAdvice: ['run ', { code: `pulse-backup verify ${id}` }],
      runs: 1,
      proof: {
        latest: {
          outcome: 'failed',
          outcomeText: 'NOT proved',
          provedAt: '2025-09-01T15:42:00.000Z',
          durationMs: 4200,
          summary: `NOT proved: the complete file: ${HOSTILE_SCHEMA}.${HOSTILE_TABLE}: 1 row changed`,
          server: 'postgres@127.0.0.1:5432',
          ways: [{ title: 'the complete file', restored: true, equal: false, tables: 3, rows: 40, schemaEqual: true, durationMs: 2100 }],
          differences: [`the complete file: ${HOSTILE_SCHEMA}.${HOSTILE_TABLE}: ${HOSTILE_DETAIL}`],
          notes: [],
        },
        runs: 1,
        proveCommand: `pulse-backup prove ${id}`,
        notProved: ['not proved yet — run ', { code: `pulse-backup prove ${id}` }],
      },
    },
    history: {
      sets: [
        { id, createdAt: '2025-09-01T15:39:48.000Z', totalBytes: 1_234_567, status: 'incomplete', statusText: 'incomplete', purpose: 'backup', pinned: true, isThisSet: true },
        {
          id: 'factory_pulse_20250801_120000',
          createdAt: '2025-08-01T10:00:00.000Z',
          totalBytes: 1_000_000,
          status: 'legacy',
          statusText: 'legacy',
          purpose: 'safety',
          pinned: false,
          isThisSet: false,
        },
      ],
      retention: {
        defaultKeep: 10,
        policy: 'the last 10',
        rules: [['keeps the newest ', { code: '10' }, ' sets.']],
        position: { index: 1, of: 2, prefix: 'factory_pulse' },
        summary: 'This set is number 1 of 2.',
      },
      pinned: [id],
    },
    security: {
      folder,
      git: {
        state: 'not-ignored',
        repositoryRoot: '/home/ana',
        trackedFiles: ['<img src=x onerror=alert(7)>.sql'],
        summary: 'The folder is inside a git repository and git does not ignore it.',
        advice: ['Add ', { code: '/My "Backups" <b>/' }, ' to .gitignore.'],
      },
      folderPermission: { name: folder, kind: 'folder', mode: '0755', readableByGroup: true, readableByOthers: true },
      permissions: [{ name: 'factory_pulse_complete_backup_20250901_173948.sql', kind: 'file', mode: '0644', readableByGroup: true, readableByOthers: true }],
      readableByOthers: [folder, 'factory_pulse_complete_backup_20250901_173948.sql'],
      permissionSummary: '1 of 1 files can be read by every user of this machine.',
      permissionFix: `chmod 700 '/home/ana/My "Backups" <b>'`,
      encryption: { encrypted: false, method: null, summary: 'The dump files are plain SQL, not encrypted.', advice: [['Encrypt copies with ', { code: 'gpg --symmetric' }, '.']] },
      notes: [['Treat the dumps like the production database.']],
    },
  };
}
