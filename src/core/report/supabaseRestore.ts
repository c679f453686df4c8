/**
 * The report's restore commands for a set made with the Supabase profile.
 * Such a set holds the application without the platform, so it restores
 * into a Supabase stack, as the stack's own `postgres` — never "into an
 * empty database". Each command is one that works for the set:
 * - over the project's live database, `pulse-backup restore --clean`;
 * - into a fresh stack (the platform only: `supabase start` on a project
 *   whose migrations have not run), the complete file, or schema then data,
 *   with plain psql;
 * - after `supabase db reset` (the migrations rebuilt the schema), the rows:
 *   with pulse-backup, which first empties what the reset left (a seed, rows
 *   a migration inserts); with plain psql when nothing was left there.
 */
import type { ListedSet } from '../sets/listing';
import type { Manifest } from '../sets/manifest';
import { passwordlessUrl } from '../connection/target';
import type { ReportCommand, ReportFile, ReportRestore, ReportRestoreOption, RichText } from './types';
import type { RestoreMode } from '../restore/types';
import { shellCommand } from '../shell';
import { compressionNotes, encryptionNotes, psqlLoadCommand } from './psqlCommands';

export function buildSupabaseRestore(folder: string, set: ListedSet, manifest: Manifest, files: ReportFile[]): ReportRestore {
  const fileOf = (type: RestoreMode): ReportFile => files.find((file) => file.kind === type)!;
  const [complete, schema, data] = [fileOf('complete'), fileOf('schema'), fileOf('data')];
  const psql = (...paths: string[]): string => psqlLoadCommand(paths, manifest.encryption);
  const pulseBackup = (mode: RestoreMode, title: string, extra: string[]): ReportCommand => ({
    title,
    command: shellCommand(['pulse-backup', 'restore', set.id, '--mode', mode, ...extra, '--dir', folder]),
  });
  const freshStack = 'into a fresh stack that has only the platform (supabase start on a project whose migrations have not run), all or nothing';
  const options: ReportRestoreOption[] = [
    {
      mode: 'complete',
      title: 'Complete restore',
      description: [
        'Recreates the application (its schemas, tables, functions, policies, extensions, grants) and every row it had — its users in ',
        { code: 'auth' },
        ', its files in ',
        { code: 'storage' },
        ' — on a Supabase stack, which brings the platform itself.',
      ],
      available: complete.present,
      file: complete.path,
      pulseBackup: pulseBackup('complete', "with Pulse Backup, over the project's database as it is now (replaces what the set holds; a safety backup first)", ['--clean']),
      psql: [{ title: `with psql, ${freshStack}`, command: psql(complete.path) }],
    },
    {
      mode: 'schema',
      title: 'Schema-only restore',
      description: ["Recreates the application's definitions without any rows, on a Supabase stack."],
      available: schema.present,
      file: schema.path,
      pulseBackup: pulseBackup('schema', "with Pulse Backup, over the project's database as it is now (its tables come back empty; a safety backup first)", ['--clean']),
      psql: [{ title: `with psql, ${freshStack}`, command: psql(schema.path) }],
    },
    {
      mode: 'data',
      title: 'Data-only restore',
      description: [
        "Loads the rows — the application's, its users, identities and files — into a stack whose migrations rebuilt the schema (",
        { code: 'supabase db reset' },
        '), with triggers quiet (',
        { code: 'session_replication_role' },
        ', which the stack lets postgres set).',
      ],
      available: data.present,
      file: data.path,
      pulseBackup: pulseBackup(
        'data',
        "with Pulse Backup, after supabase db reset or over the live database (empties the set's tables first, seed rows included; a safety backup first)",
        ['--clean'],
      ),
      psql: [
        { title: 'with psql, after supabase db reset, when neither the migrations nor seed.sql put rows in the tables the set holds', command: psql(data.path) },
        { title: `with psql, schema then data, ${freshStack}`, command: psql(schema.path, data.path) },
      ],
    },
  ];
  const { host, port, user, name } = manifest.database;
  const url = passwordlessUrl(host, port, user, name);
  const notes: RichText[] = [
    ...compressionNotes(files.map((file) => file.name)),
    ...encryptionNotes(manifest),
    [
      'This set was made with the Supabase profile: it holds the application and leaves the platform (the schemas ',
      { code: 'auth' },
      ', ',
      { code: 'storage' },
      ', ',
      { code: 'extensions' },
      " and the others, their migration histories, the platform roles' default privileges) to the stack. It restores into a Supabase stack as its ",
      { code: 'postgres' },
      ' role; for a plain PostgreSQL server, back up with ',
      { code: '--profile plain' },
      '.',
    ],
    [
      "The psql commands read the stack's database from ",
      { code: '$DATABASE' },
      ' (',
      { code: 'supabase status' },
      ' shows its URL) and its password from ',
      { code: 'PGPASSWORD' },
      ' or ',
      { code: '~/.pgpass' },
      ', never from the command line; ',
      { code: '--single-transaction' },
      ' makes each run all or nothing.',
    ],
    [
      { code: 'pulse-backup restore' },
      " checks the set, takes a safety backup of the stack's database, lists what it replaces and asks first (",
      { code: '--yes' },
      ' for scripts); ',
      { code: '--reset' },
      ' with ',
      { code: '--mode data' },
      ' runs ',
      { code: 'supabase db reset --local' },
      ' for you first, in the project folder.',
    ],
  ];
  if (set.status === 'incomplete') notes.unshift([`This set is incomplete (${set.problems.join('; ')}): restore from another set if you can.`]);
  return { options, targetVariable: 'DATABASE', targetExample: `DATABASE=${shellCommand([url])}`, notes };
}
