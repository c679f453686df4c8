/**
 * The report's Restore section: for each mode, the pulse-backup command and
 * the plain psql commands that restore the set by hand, with the notes a
 * person needs to run them safely. A set made with the Supabase profile gets
 * its own commands (supabaseRestore.ts).
 */
import { passwordlessUrl } from '../connection/target';
import type { RestoreMode } from '../restore/types';
import type { ListedSet } from '../sets/listing';
import { largeObjectsInSet, type BackupFileType, type Manifest } from '../sets/manifest';
import { shellCommand } from '../shell';
import { buildSupabaseRestore } from './supabaseRestore';
import { compressionNotes, encryptionNotes, psqlLoadCommand, TARGET_VARIABLE } from './psqlCommands';
import type { ReportCommand, ReportDatabase, ReportFile, ReportRestore, ReportRestoreOption, RichText } from './types';

export function buildRestore(folder: string, set: ListedSet, manifest: Manifest | undefined, files: ReportFile[], database: ReportDatabase): ReportRestore {
  if (manifest?.profile?.name === 'supabase') return buildSupabaseRestore(folder, set, manifest, files);
  const fileOf = (type: BackupFileType): ReportFile => files.find((file) => file.kind === type)!;
  const complete = fileOf('complete');
  const schema = fileOf('schema');
  const data = fileOf('data');
  const psql = (...paths: string[]): string => psqlLoadCommand(paths, manifest?.encryption);
  const pulseBackup = (mode: RestoreMode): ReportCommand => ({
    title: `with Pulse Backup (safety backup of the target first, asks before changing anything)`,
    command: shellCommand(['pulse-backup', 'restore', set.id, '--mode', mode, '--dir', folder]),
  });
  // The old script's data file leaves triggers on; the same setting our data
  // file makes can be given to its session from outside.
  const dataPsql = (...paths: string[]): string => (manifest ? psql(...paths) : `PGOPTIONS='-c session_replication_role=replica' ${psql(...paths)}`);

  // pg_dump wraps large-object data in its own BEGIN/COMMIT, which ends psql's
  // --single-transaction early; only pulse-backup restore neutralises it.
  const hasLargeObjects = manifest ? largeObjectsInSet(manifest) > 0 : true;
  const atomically = hasLargeObjects ? 'in one transaction (see the note on large objects)' : 'all or nothing';
  const options: ReportRestoreOption[] = [
    {
      mode: 'complete',
      title: 'Complete restore',
      description: ['Recreates the whole database (definitions, rows, indexes, foreign keys) in an empty database.'],
      available: complete.present,
      file: complete.path,
      pulseBackup: pulseBackup('complete'),
      psql: [{ title: `with psql, into an empty database, ${atomically}`, command: psql(complete.path) }],
    },
    {
      mode: 'schema',
      title: 'Schema-only restore',
      description: ['Recreates tables, types, functions, indexes, constraints, policies and grants without any rows, in an empty database.'],
      available: schema.present,
      file: schema.path,
      pulseBackup: pulseBackup('schema'),
      psql: [{ title: 'with psql, into an empty database, all or nothing', command: psql(schema.path) }],
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
    ...compressionNotes(files.map((file) => file.name)),
    ...encryptionNotes(manifest),
    [
      'The psql commands read the target from ',
      { code: '$DATABASE' },
      '; the password comes from ',
      { code: 'PGPASSWORD' },
      ' or ',
      { code: '~/.pgpass' },
      ', never from the command line.',
    ],
    ['Complete and schema-only restores expect an empty database, e.g. ', { code: shellCommand(['createdb', '-T', 'template0', exampleName]) }, '.'],
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
            ", which ends psql's single transaction early, so an error after them leaves a partial restore. ",
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
  return { options, targetVariable: TARGET_VARIABLE, targetExample: `${TARGET_VARIABLE}=${shellCommand([exampleUrl])}`, notes };
}
