/**
 * The judgments of a verification, as plain functions from what was found to
 * a CheckResult: no file system, no database. src/core/verify.ts gathers the
 * facts and calls these; tests call them with made-up facts.
 */
import { commandLineOnly, hint, option, type Hint } from '../hint';
import type { DumpContents, DumpEntry, DumpScan } from './dumpScan';
import { entryObjectName } from '../pg/dumpReader';
import { quoteIdentifier } from '../sql';
import { isSupabaseReservedRole } from '../backup/profile';
import { countOf, formatBytes, formatCount, qualifiedName } from '../format';
import type { BackupFileType, Manifest } from '../sets/manifest';
import { psqlSupportsRestrict, type PgVersion } from '../pg/tools';
import { headerName } from '../pg/dumpReader';
import type { CheckResult, CheckStatus } from './results';
import { columnMismatches, type RowsToLoad } from '../restore/decide';
import { missingCollationsAdvice } from '../restore/failures';
import type { TargetColumn } from '../restore/target';
import { loadTriggersAdvice, loadTriggersFound, type LoadTrigger } from '../restore/loadTriggers';

export type CheckId =
  | 'files-present'
  | 'manifest'
  | 'sizes'
  | 'checksums'
  | 'permissions'
  | 'dump-format'
  | 'content'
  | 'target-reachable'
  | 'target-writable'
  | 'psql'
  | 'server-version'
  | 'extensions'
  | 'roles'
  | 'owners'
  | 'superuser'
  | 'schema-public'
  | 'tablespaces'
  | 'collations'
  | 'encoding'
  | 'data-columns'
  | 'load-triggers'
  | 'source-database'
  | 'disk-space';

export const CHECK_TITLES: Readonly<Record<CheckId, string>> = {
  'files-present': 'Every file of the set is present and readable',
  manifest: 'The manifest is readable',
  sizes: 'Files have the sizes recorded in the manifest',
  checksums: 'Files match their recorded sha256',
  permissions: 'Files are not open to other users',
  'dump-format': 'Each file is a whole pg_dump (header at the start, footer at the end)',
  content: 'Every table has its definition and its rows in the files',
  'target-reachable': 'The target database is reachable',
  'target-writable': 'The target database takes changes',
  psql: 'A psql that can read these files is available',
  'server-version': 'The target server is not older than the one dumped',
  extensions: 'The target server has the extensions the set creates',
  roles: 'The target server has the roles the set names',
  owners: "The restoring role may give the set's objects their owners",
  superuser: 'What the set creates needs no superuser, or the restoring role is one',
  'schema-public': "The restoring role may set schema public's comment and grants as the set does",
  tablespaces: 'The target server has the tablespaces the set creates objects in',
  collations: 'The target database has the collations the set uses',
  encoding: "The target database's encoding holds the set's text",
  'data-columns': "The target's tables take the set's rows as a data restore loads them",
  'load-triggers': "No trigger of the target's tables fires on the rows a data restore loads",
  'source-database': "The target is the set's own database, or holds no tables besides the set's",
  'disk-space': 'Free space for a safety backup in the backups folder',
};

/** A check's result; `advice` (what to do, its actions as data) is kept apart from what was found so each front door words it. */
function check(id: CheckId, status: CheckStatus, detail: string, advice?: Hint): CheckResult {
  return advice === undefined ? { id, title: CHECK_TITLES[id], status, detail } : { id, title: CHECK_TITLES[id], status, detail, hint: advice };
}

/** How many problems a detail line names before it says "and N more". */
const LISTED_PROBLEMS = 3;

function listProblems(problems: readonly string[]): string {
  const shown = problems.slice(0, LISTED_PROBLEMS).join('; ');
  const more = problems.length - LISTED_PROBLEMS;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

// ---------------------------------------------------------------------------
// Post-backup

/** One dump file of the set as verification found it. */
export interface FileFinding {
  type: BackupFileType;
  name: string;
  /** Why it could not be read: 'missing', or the reason ('permission denied'). Undefined when it was read. */
  unreadable?: string;
  /** Permission bits (stat mode & 0o777), when the file exists. */
  mode?: number;
  scan?: DumpScan;
}

export function presenceCheck(files: readonly FileFinding[]): CheckResult {
  const problems = files
    .filter((file) => file.unreadable !== undefined)
    .map((file) => (file.unreadable === 'missing' ? `${file.name} is missing` : `cannot read ${file.name}: ${file.unreadable}`));
  if (problems.length > 0) return check('files-present', 'fail', `${listProblems(problems)}: the set cannot be restored as it is`);
  const total = files.reduce((sum, file) => sum + (file.scan?.bytes ?? 0), 0);
  return check('files-present', 'pass', `schema, data and complete files present and read (${formatBytes(total)} in all)`);
}

/**
 * What in a manifest does not describe the set it stands beside: another
 * set's id, a file of another name than the set's, a file type missing or
 * recorded twice. Sizes and checksums are only worth comparing with a
 * manifest that names the set's own files. Empty when it describes the set.
 */
export function manifestMismatches(manifest: Manifest, setId: string, files: readonly { type: BackupFileType; name: string }[]): string[] {
  const problems: string[] = [];
  if (manifest.id !== setId) problems.push(`it is the manifest of ${manifest.id}, not of ${setId}`);
  for (const type of ['schema', 'data', 'complete'] as const) {
    const recorded = manifest.files.filter((entry) => entry.type === type);
    const file = files.find((candidate) => candidate.type === type);
    if (recorded.length === 0) problems.push(`it records no ${type} file`);
    else if (recorded.length > 1) problems.push(`it records ${recorded.length} ${type} files`);
    else if (file && recorded[0].name !== file.name) problems.push(`it records the ${type} file as ${recorded[0].name}, but the set's is ${file.name}`);
  }
  return problems;
}

export function manifestCheck(manifest: Manifest, mismatches: readonly string[] = []): CheckResult {
  if (mismatches.length > 0) {
    return check('manifest', 'fail', `the manifest does not describe this set: ${listProblems(mismatches)}; do not trust or restore the set until it is explained`);
  }
  const tables = manifest.tables.length;
  return check(
    'manifest',
    'pass',
    `written by pulse-backup ${manifest.tools.pulseBackup} from ${manifest.database.name} on PostgreSQL ${manifest.server.version} with pg_dump ${manifest.tools.pgDump.version}: ${formatCount(tables)} ${tables === 1 ? 'table' : 'tables'}`,
  );
}

/** A backup died while putting the set in place: whatever the files hold, nothing vouches for them yet. */
export function interruptedCheck(problem: string): CheckResult {
  return check('manifest', 'fail', problem);
}

export function damagedManifestCheck(problem: string): CheckResult {
  return check('manifest', 'fail', `${problem}: sizes, checksums and recorded row counts cannot be checked; the dump files are checked on their own`);
}

export function sizesCheck(manifest: Manifest, files: readonly FileFinding[]): CheckResult {
  const problems: string[] = [];
  let compared = 0;
  for (const file of files) {
    if (!file.scan) continue;
    const recorded = manifest.files.find((entry) => entry.type === file.type);
    if (!recorded) {
      problems.push(`the manifest records no ${file.type} file`);
      continue;
    }
    compared += 1;
    if (recorded.bytes !== file.scan.bytes) {
      problems.push(`${file.name} is ${formatCount(file.scan.bytes)} bytes, the manifest recorded ${formatCount(recorded.bytes)}`);
    }
  }
  if (problems.length > 0) return check('sizes', 'fail', `${listProblems(problems)}: the file changed after the backup`);
  return check('sizes', 'pass', `${compared} ${compared === 1 ? 'file has its' : 'files have their'} recorded size${skipped(files)}`);
}

export function checksumsCheck(manifest: Manifest, files: readonly FileFinding[]): CheckResult {
  const problems: string[] = [];
  let compared = 0;
  for (const file of files) {
    if (!file.scan) continue;
    const recorded = manifest.files.find((entry) => entry.type === file.type);
    if (!recorded) continue;
    compared += 1;
    if (recorded.sha256.toLowerCase() !== file.scan.sha256) problems.push(`${file.name} does not match its recorded sha256`);
  }
  if (problems.length > 0) {
    return check('checksums', 'fail', `${listProblems(problems)}: its bytes changed after the backup (damaged or edited); do not restore it`);
  }
  return check('checksums', 'pass', `${compared} ${compared === 1 ? 'file matches its' : 'files match their'} recorded sha256${skipped(files)}`);
}

/** A set without a manifest (the old script's): nothing was recorded to compare with. */
export function noChecksumsCheck(reason: 'legacy' | 'damaged-manifest' | 'interrupted'): CheckResult {
  switch (reason) {
    case 'legacy':
      return check(
        'checksums',
        'warn',
        'no checksums were recorded: the set has no manifest (made by the old backup script), so damage inside a file cannot be detected; the content is checked from the files themselves',
      );
    case 'damaged-manifest':
      return check('checksums', 'fail', 'the manifest cannot be read, so the checksums cannot be compared');
    case 'interrupted':
      return check('checksums', 'fail', 'the manifest is not in place, so the checksums cannot be compared');
  }
}

function skipped(files: readonly FileFinding[]): string {
  const unread = files.filter((file) => !file.scan).length;
  return unread > 0 ? ` (${unread} unreadable or missing, not compared)` : '';
}

/**
 * Group or other permission bits are a warning, not a failure: the files are
 * intact and restorable, and the old script's files (pg_dump -f under umask
 * 022) are 0644; failing would mark every one of them bad and stop
 * retention and restore from trusting them.
 */
export function permissionsCheck(files: readonly FileFinding[], platform: NodeJS.Platform): CheckResult {
  if (platform === 'win32') {
    return check('permissions', 'warn', 'Windows has no Unix file modes, so this cannot be checked: make sure only you can open the backups folder');
  }
  const open = files.filter((file) => file.mode !== undefined && (file.mode & 0o077) !== 0);
  if (open.length > 0) {
    const modes = [...new Set(open.map((file) => modeText(file.mode ?? 0)))].join(', ');
    const which = open.length === files.length ? `all ${open.length} files are` : `${open.map((file) => file.name).join(' and ')} ${open.length === 1 ? 'is' : 'are'}`;
    const writable = open.some((file) => ((file.mode ?? 0) & 0o022) !== 0);
    return check(
      'permissions',
      'warn',
      `${which} ${writable ? 'readable or writable' : 'readable'} by other users (${modes}) and hold all the data: run chmod 600 on them (a warning, not a failure: the files are intact)`,
    );
  }
  const checked = files.filter((file) => file.mode !== undefined).length;
  return check('permissions', 'pass', `${checked} ${checked === 1 ? 'file is' : 'files are'} private to their owner`);
}

function modeText(mode: number): string {
  return `mode ${(mode & 0o777).toString(8).padStart(4, '0')}`;
}

export function dumpFormatCheck(files: readonly FileFinding[]): CheckResult {
  const problems: string[] = [];
  const locked: string[] = [];
  let whole = 0;
  for (const file of files) {
    const scan = file.scan;
    if (!scan) continue;
    if (scan.notDecoded === 'no-key') locked.push(file.name);
    else if (scan.notDecoded !== undefined) problems.push(`${scan.notDecoded}: do not restore it`);
    else if (!scan.hasHeader) problems.push(`${file.name} does not begin with pg_dump's header (not a plain pg_dump file)`);
    else if (!scan.hasFooter) problems.push(`${file.name} stops before pg_dump's "dump complete" footer: it was cut short`);
    else if (!scan.endsUnrestricted) problems.push(`${file.name} stops after the footer, before its \\unrestrict line: it was cut short`);
    else whole += 1;
  }
  if (problems.length > 0) return check('dump-format', 'fail', listProblems(problems));
  if (locked.length > 0) return notDecryptedCheck('dump-format', locked);
  return check(
    'dump-format',
    'pass',
    `${whole} ${whole === 1 ? 'file begins' : 'files begin'} with pg_dump's header and ${whole === 1 ? 'ends' : 'end'} with its "dump complete" footer${skipped(files)}`,
  );
}

/**
 * Encrypted files read without a key: their sizes and sha256 are checked (on
 * the encrypted bytes), the SQL inside is not. A warning, not a failure:
 * nothing says they are damaged, only that this run could not look inside.
 */
export function notDecryptedCheck(id: 'dump-format' | 'content', names: readonly string[]): CheckResult {
  const which = names.length === 1 ? `${names[0]} is` : `${names.length} files are`;
  return check(id, 'warn', `${which} encrypted and no key was given: ${id === 'content' ? 'the tables and rows inside' : "pg_dump's header and footer"} were not checked`, [
    'verify with the passphrase or identity to check inside',
  ]);
}

// ---------------------------------------------------------------------------
// Content

/** The dumps of a set by type; a missing or unreadable file is absent. */
export type SetContents = Partial<Record<BackupFileType, DumpContents>>;

const TABLE_DEFINITION_TYPES = new Set(['TABLE', 'FOREIGN TABLE']);

/** pg_dump prints a name with a line break on one line in its header comments. */
function sameLine(name: string): string {
  return name.replace(/[\r\n]+/g, ' ');
}

function key(schema: string, name: string): string {
  return `${sameLine(schema)}.${sameLine(name)}`;
}

function definitions(contents: DumpContents, types: ReadonlySet<string>): Set<string> {
  return new Set(contents.entries.filter((entry) => types.has(entry.type)).map((entry) => key(entry.schema, entry.name)));
}

function rowsByTable(contents: DumpContents): Map<string, number> {
  const rows = new Map<string, number>();
  for (const table of contents.tableRows) {
    const name = key(table.schema, table.name);
    rows.set(name, (rows.get(name) ?? 0) + table.rows);
  }
  return rows;
}

function countEntries(contents: DumpContents, type: string): number {
  return contents.entries.filter((entry) => entry.type === type).length;
}

/** All three files, or undefined when one could not be read. */
function allThree(contents: SetContents): Required<SetContents> | undefined {
  const { schema, data, complete } = contents;
  return schema && data && complete ? { schema, data, complete } : undefined;
}

function cannotCheckContent(contents: SetContents): CheckResult {
  const missing = (['schema', 'data', 'complete'] as const).filter((type) => contents[type] === undefined);
  return check('content', 'fail', `cannot be checked without the ${missing.join(' and ')} ${missing.length === 1 ? 'file' : 'files'}`);
}

/**
 * Content against the manifest: every table it lists is defined in the schema
 * and complete files, and every table with rows has exactly the recorded rows
 * in the data and complete files (one snapshot: the counts are exact).
 */
export function contentCheckAgainstManifest(manifest: Manifest, contents: SetContents): CheckResult {
  const files = allThree(contents);
  if (!files) return cannotCheckContent(contents);
  const defined = { schema: definitions(files.schema, TABLE_DEFINITION_TYPES), complete: definitions(files.complete, TABLE_DEFINITION_TYPES) };
  const rows = { data: rowsByTable(files.data), complete: rowsByTable(files.complete) };
  const problems: string[] = [];
  let totalRows = 0;
  let tablesWithRows = 0;
  for (const table of manifest.tables) {
    const name = key(table.schema, table.name);
    // A platform table (Supabase profile): the set holds its rows, the platform its definition.
    for (const type of table.definition === false ? [] : (['schema', 'complete'] as const)) {
      if (!defined[type].has(name)) problems.push(`${name} has no definition in the ${type} file`);
    }
    if (table.rows === null) continue;
    tablesWithRows += 1;
    totalRows += table.rows;
    for (const type of ['data', 'complete'] as const) {
      const found = rows[type].get(name);
      // pg_dump writes an empty COPY block for an empty table; the backup records 0 for a table it saw none for.
      if (found === undefined && table.rows === 0) continue;
      if (found === undefined) problems.push(`${name} has no rows in the ${type} file (${formatCount(table.rows)} recorded)`);
      else if (found !== table.rows) problems.push(`${name} has ${countOf(found, 'row')} in the ${type} file, ${formatCount(table.rows)} recorded`);
    }
  }
  const matviewDefinitions = {
    schema: definitions(files.schema, new Set(['MATERIALIZED VIEW'])),
    complete: definitions(files.complete, new Set(['MATERIALIZED VIEW'])),
  };
  const matviewData = {
    data: definitions(files.data, new Set(['MATERIALIZED VIEW DATA'])),
    complete: definitions(files.complete, new Set(['MATERIALIZED VIEW DATA'])),
  };
  for (const view of manifest.materializedViews) {
    const name = key(view.schema, view.name);
    for (const type of ['schema', 'complete'] as const) {
      if (!matviewDefinitions[type].has(name)) problems.push(`materialized view ${name} has no definition in the ${type} file`);
    }
    if (!view.populated) continue;
    for (const type of ['data', 'complete'] as const) {
      if (!matviewData[type].has(name)) problems.push(`materialized view ${name} is not refreshed by the ${type} file`);
    }
  }
  const sequences = { data: countEntries(files.data, 'SEQUENCE SET'), complete: countEntries(files.complete, 'SEQUENCE SET') };
  if (sequences.data !== sequences.complete) {
    problems.push(`the data file sets ${formatCount(sequences.data)} sequence values, the complete file ${formatCount(sequences.complete)}`);
  }
  if (problems.length > 0) return check('content', 'fail', `${listProblems(problems)}${lacksDataHint(problems)}`);
  return check(
    'content',
    'pass',
    `${formatCount(manifest.tables.length)} ${manifest.tables.length === 1 ? 'table' : 'tables'} defined in the schema and complete files; ` +
      `${countOf(totalRows, 'row')} of ${formatCount(tablesWithRows)} ${tablesWithRows === 1 ? 'table' : 'tables'} in the data and complete files, as recorded`,
  );
}

function lacksDataHint(problems: readonly string[]): string {
  return problems.some((problem) => problem.includes('in the complete file')) ? ' (the complete file does not hold the whole database)' : '';
}

/**
 * Content of a set without a manifest, from the files alone: the schema and
 * complete files define the same tables, every table with rows is defined,
 * and the data and complete files hold rows for the same tables. The old
 * script ran pg_dump three times, so rows written between its runs make
 * counts differ a little: that is a warning; a file without a table's rows
 * is a failure.
 */
export function contentCheckFromFiles(contents: SetContents): CheckResult {
  const files = allThree(contents);
  if (!files) return cannotCheckContent(contents);
  const defined = { schema: definitions(files.schema, TABLE_DEFINITION_TYPES), complete: definitions(files.complete, TABLE_DEFINITION_TYPES) };
  const rows = { data: rowsByTable(files.data), complete: rowsByTable(files.complete) };
  const failures: string[] = [];
  const drift: string[] = [];
  for (const name of defined.schema) if (!defined.complete.has(name)) failures.push(`${name} has no definition in the complete file`);
  for (const name of defined.complete) if (!defined.schema.has(name)) failures.push(`${name} has no definition in the schema file`);
  const tables = new Set([...rows.data.keys(), ...rows.complete.keys()]);
  let totalRows = 0;
  for (const name of tables) {
    const inData = rows.data.get(name) ?? 0;
    const inComplete = rows.complete.get(name) ?? 0;
    totalRows += inComplete;
    if (!defined.schema.has(name)) failures.push(`${name} has rows but no definition in the schema file`);
    if (inData > 0 && inComplete === 0) failures.push(`${name} has no rows in the complete file (${formatCount(inData)} in the data file)`);
    else if (inComplete > 0 && inData === 0) failures.push(`${name} has no rows in the data file (${formatCount(inComplete)} in the complete file)`);
    else if (inData !== inComplete) drift.push(`${name}: ${countOf(inData, 'row')} in the data file, ${formatCount(inComplete)} in the complete file`);
  }
  if (failures.length > 0) return check('content', 'fail', `${listProblems(failures)}${lacksDataHint(failures)}`);
  if (drift.length > 0) {
    return check(
      'content',
      'warn',
      `${listProblems(drift)}: the old script dumped each file in a separate run, so rows written in between differ; each file restores on its own, but schema + data will not equal complete`,
    );
  }
  const tableCount = defined.schema.size;
  return check(
    'content',
    'pass',
    `${formatCount(tableCount)} ${tableCount === 1 ? 'table' : 'tables'} defined in both the schema and complete files; the data and complete files hold the same ${countOf(totalRows, 'row')}`,
  );
}

// ---------------------------------------------------------------------------
// Pre-restore

export interface TargetFacts {
  version: PgVersion;
  /** pg_database_size of the target database. */
  databaseBytes: number;
  /** Why the target takes no changes: a standby server, or read-only transactions by default (the role's or database's setting); undefined when it does. */
  readOnly?: 'standby' | 'read-only-default';
  /** The extensions the server can create (pg_available_extensions) and those the target database has. */
  extensions: readonly string[];
  /** The server's roles, by name. */
  roles: readonly string[];
  /** The server's tablespaces, by name. */
  tablespaces: readonly string[];
  /** The target database's collations in pg_catalog that its encoding can use, by name. */
  collations: readonly string[];
  /** The target database's name (current_database). */
  database: string;
  /** The role the restore connects as, whether it is a superuser, and the roles it may make an object's owner (itself and those it is a member of: SET ROLE from PostgreSQL 16). */
  currentUser: string;
  superuser: boolean;
  mayBecome: readonly string[];
  /** By schema of the target database (PostgreSQL's own left out), the roles that may create in it; and the roles that may create schemas in the database. */
  schemaCreators: Readonly<Record<string, readonly string[]>>;
  databaseCreators: readonly string[];
  /** By role that is a member of another or a superuser, the roles whose privileges it has (INHERITS_SQL); a role missing here has only its own. */
  inherits: Readonly<Record<string, readonly string[]>>;
  /** The server's superusers, its languages only a superuser may use, the target database's extensions with their owners, the extensions only a superuser may create (supautils' privileged ones apart), and whether current_user may create subscriptions without being one (superuserCheck). */
  superusers: readonly string[];
  untrustedLanguages: readonly string[];
  installedExtensions: Readonly<Record<string, string>>;
  superuserExtensions: readonly string[];
  privilegedExtensions: readonly string[];
  maySubscribe: boolean;
  /** The settings only a superuser may set that current_user may not (readTargetFacts; none for a superuser). */
  superuserSettings?: readonly string[];
  /** The target database's extensions, with the schema each is in. */
  extensionSchemas: Readonly<Record<string, string>>;
  /** The target's schema public: its owner (for pg_database_owner, the database's), whether current_user has its owner's privileges, and whether it holds USAGE and CREATE on it WITH GRANT OPTION; undefined without one. */
  schemaPublic?: { owner: string; owned: boolean; grantable: boolean };
  /** The target database's encoding (getdatabaseencoding). */
  encoding: string;
  /** The set's tables with the columns its rows hold, and the columns the target's tables of those names have (verify --db, no restore mode). */
  rowsToLoad?: { tables: readonly RowsToLoad[]; columns: ReadonlyMap<string, readonly TargetColumn[]> };
  /** The triggers of the target's tables of the set's names that fire while a data restore loads rows (verify --db, no restore mode). */
  loadTriggers?: readonly LoadTrigger[];
  /** The target database's own tables (schema.name, as the catalog names them; not an extension's), to tell an unrelated database (OWN_TABLES_SQL). */
  tables?: readonly string[];
}

/** `server` as describeServer gives it (host:port, a socket folder as `/tmp:5432`, as describeTarget shows it); the database is named apart. */
export function reachableCheck(server: string, database: string, user: string, facts: TargetFacts): CheckResult {
  return check('target-reachable', 'pass', `PostgreSQL ${facts.version.text} at ${server}, as ${user}: database ${database}, ${formatBytes(facts.databaseBytes)}`);
}

/** A restore writes: a standby, or a role or database whose transactions are read-only by default, is refused before anything is done. */
export function writableCheck(database: string, user: string, facts: TargetFacts): CheckResult {
  switch (facts.readOnly) {
    case undefined:
      return check('target-writable', 'pass', `${database} takes changes`);
    case 'standby':
      return check(
        'target-writable',
        'fail',
        `the server is a standby (in recovery), which takes no changes`,
        hint`restore into the primary server: point ${option('connection')} at its host and port`,
      );
    case 'read-only-default':
      return check(
        'target-writable',
        'fail',
        `transactions of ${user} in ${database} are read-only (default_transaction_read_only is on for the role or the database)`,
        hint`restore as a role that may write, or, if the setting is not there on purpose, turn it off (ALTER ROLE "${user}" SET default_transaction_read_only = off, or the same with ALTER DATABASE "${database}")`,
      );
  }
}

export function unreachableCheck(message: string, advice: Hint | undefined): CheckResult {
  return check('target-reachable', 'fail', message, advice);
}

export interface PsqlCandidate {
  path: string;
  version: PgVersion;
}

const RESTRICT_RELEASES = '13.22, 14.19, 15.14, 16.10, 17.6 or 18';

/**
 * Whether some psql here can run these files against this server. Files from
 * pg_dump 15.14 and the other August 2025 releases start with `\restrict`,
 * which older psql rejects; `preferred` is the psql a restore would pick
 * (the one beside the pg_dump chosen for the server).
 */
export function psqlCheck(input: {
  candidates: readonly PsqlCandidate[];
  preferred?: PsqlCandidate;
  /** Names of the files that contain a \restrict line. */
  filesWithRestrict: readonly string[];
  serverVersion?: PgVersion;
  binDirHint: Hint;
}): CheckResult {
  const { candidates, filesWithRestrict, serverVersion } = input;
  if (candidates.length === 0) {
    return check('psql', 'fail', 'no psql found, and a restore runs these files through psql', input.binDirHint);
  }
  const needsRestrict = filesWithRestrict.length > 0;
  const canRead = (candidate: PsqlCandidate) => !needsRestrict || psqlSupportsRestrict(candidate.version);
  const preferred = input.preferred ?? newest(candidates);
  const readers = candidates.filter(canRead);
  if (readers.length === 0) {
    return check(
      'psql',
      'fail',
      `psql ${describePsqls(candidates)} cannot read the \\restrict line in ${filesWithRestrict[0]}${filesWithRestrict.length > 1 ? ' and the other files' : ''}`,
      hint`install psql ${RESTRICT_RELEASES} or newer, and ${input.binDirHint}`,
    );
  }
  if (!canRead(preferred)) {
    const reader = newest(readers);
    return check(
      'psql',
      'warn',
      `psql ${preferred.version.text} (${preferred.path}) would be used and cannot read the \\restrict line in these files; psql ${reader.version.text} (${reader.path}) can`,
      hint`give its folder as ${option('clientToolsFolder')}`,
    );
  }
  const what = needsRestrict ? 'reads the \\restrict line in these files' : 'can run these files';
  if (serverVersion && preferred.version.major < serverVersion.major) {
    return check(
      'psql',
      'warn',
      `psql ${preferred.version.text} (${preferred.path}) ${what}, but is older than the PostgreSQL ${serverVersion.text} server: plain SQL loads, yet psql ${serverVersion.major} is the safe choice`,
    );
  }
  return check('psql', 'pass', `psql ${preferred.version.text} (${preferred.path}) ${what}${serverVersion ? ` against PostgreSQL ${serverVersion.text}` : ''}`);
}

/** Looking for client tools failed outright (a client tools folder that does not exist, for one). */
export function psqlSearchFailedCheck(message: string, advice: Hint | undefined): CheckResult {
  return check('psql', 'fail', message, advice);
}

function newest(candidates: readonly PsqlCandidate[]): PsqlCandidate {
  return [...candidates].sort((a, b) => b.version.major - a.version.major || b.version.minor - a.version.minor)[0];
}

function describePsqls(candidates: readonly PsqlCandidate[]): string {
  return candidates.map((candidate) => `${candidate.version.text} (${candidate.path})`).join(', ');
}

/**
 * pg_dump's output is meant to load into a server of the same or a newer
 * major version; an older one may reject syntax it never had.
 */
export function serverVersionCheck(dumpedFrom: PgVersion | undefined, target: PgVersion): CheckResult {
  if (dumpedFrom === undefined) {
    return check('server-version', 'warn', `the files do not say which PostgreSQL version they were dumped from; the target runs ${target.text}`);
  }
  if (target.major < dumpedFrom.major) {
    return check('server-version', 'warn', `dumped from PostgreSQL ${dumpedFrom.text}, the target runs ${target.text}: an older server may reject newer syntax, so expect errors`);
  }
  return check('server-version', 'pass', `dumped from PostgreSQL ${dumpedFrom.text}, the target runs ${target.text}`);
}

/** The extensions a set's entries create (pg_dump's CREATE EXTENSION IF NOT EXISTS), by name. */
export function extensionsOf(entries: readonly { type: string; name: string }[]): string[] {
  return entries.filter((entry) => entry.type === 'EXTENSION').map((entry) => entry.name);
}

/** Those of `needed` (extensions, roles) that are not among what a server has. */
export function missingNames(needed: readonly string[], available: readonly string[]): string[] {
  // An owner comes from an entry's header, where a line break in a name is written as a space.
  const have = new Set([...available, ...available.map(headerName)]);
  return needed.filter((name) => !have.has(name));
}

/** Where to get an extension's files, in the words of the check and of a proof's refusal. */
export function installExtensionsAdvice(missing: readonly string[]): string {
  return `install ${missing.length === 1 ? 'it' : 'them'} on the server (the package that puts ${missing[0]}.control in its extension folder)`;
}

/**
 * A complete or schema restore runs the set's CREATE EXTENSION statements: an
 * extension whose files the target server lacks (PostGIS, or a Supabase
 * stack's pg_graphql on a plain PostgreSQL) fails there, after the safety
 * backup, with the server's "extension … is not available".
 */
export function extensionsCheck(
  needed: readonly string[],
  available: readonly string[],
  schemas: { set: Readonly<Record<string, string>>; target: Readonly<Record<string, string>> } = { set: {}, target: {} },
): CheckResult {
  if (needed.length === 0) return check('extensions', 'pass', 'the set creates no extension');
  const missing = missingNames(needed, available);
  // One the target database has already, in another schema: the set's CREATE EXTENSION IF NOT EXISTS does nothing, and what uses it looks for it in the set's.
  const moved = needed.filter((name) => schemas.set[name] !== undefined && schemas.target[name] !== undefined && schemas.set[name] !== schemas.target[name]);
  if (missing.length === 0 && moved.length > 0) {
    const described = moved.map((name) => `${name} in schema ${schemas.target[name]}, not ${schemas.set[name]}`);
    const statements = moved.map((name) => `ALTER EXTENSION ${quoteIdentifier(name)} SET SCHEMA ${quoteIdentifier(schemas.set[name])};`);
    return check(
      'extensions',
      'fail',
      `the target database has extension ${described.join(', ')} as the set has it: the set's CREATE EXTENSION IF NOT EXISTS would leave it there, and what uses it would not find it`,
      hint`move ${moved.length === 1 ? 'it' : 'them'} where the set has ${moved.length === 1 ? 'it' : 'them'} (${statements.join(' ')} once the schema exists), or restore into a database without ${moved.length === 1 ? 'it' : 'them'}`,
    );
  }
  if (missing.length === 0) return check('extensions', 'pass', `the server has ${needed.join(', ')}`);
  const one = missing.length === 1;
  return check(
    'extensions',
    'fail',
    `the server has no extension ${missing.join(', ')}, which a complete or schema restore of the set creates (CREATE EXTENSION)`,
    hint`${installExtensionsAdvice(missing)}, or restore into a server that has ${one ? 'it' : 'them'}`,
  );
}

/**
 * The roles a set's entries name: owners (not an extension's, which no
 * statement names) and what their grants and policies name. PostgreSQL's own
 * (pg_*, the owner of schema public among them) are left out: no statement
 * of pg_dump's names one a server may lack, bar a grant to a newer one.
 */
export function rolesOf(entries: readonly { type: string; owner?: string; roles?: readonly string[] }[]): string[] {
  const roles = new Set<string>();
  for (const entry of entries) {
    if (entry.owner && entry.owner !== '-' && entry.type !== 'EXTENSION') roles.add(entry.owner);
    for (const role of entry.roles ?? []) roles.add(role);
  }
  return [...roles].filter((role) => !role.startsWith('pg_'));
}

/**
 * A complete or schema restore runs the set's ALTER … OWNER TO, GRANT and
 * CREATE POLICY … TO statements: a role the target server lacks (a Supabase
 * set's anon and authenticated on a plain PostgreSQL, production's
 * application role on a laptop) fails there after the safety backup.
 */
export function rolesCheck(needed: readonly string[], available: readonly string[]): CheckResult {
  const missing = missingNames(needed, available);
  if (missing.length === 0) {
    return check(
      'roles',
      'pass',
      needed.length === 0
        ? 'the set names no role'
        : `the server has ${needed.length === 1 ? 'the role' : `all ${formatCount(needed.length)} roles`} the set names as owner, grantee, policy role or user mapping`,
    );
  }
  return check('roles', 'fail', `the server has no role ${listRoles(missing)}, which the set names as owner, grantee, policy role or user mapping`, missingRolesAdvice(missing));
}

/** The roles every Supabase database has and an application's own grants and policies name. */
const SUPABASE_API_ROLES: ReadonlySet<string> = new Set(['anon', 'authenticated', 'service_role']);

/**
 * Roles of the Supabase platform (postgres aside, which every PostgreSQL
 * has) point at a Supabase database; a platform role other than the API's
 * ones owns platform objects, which a set made with the Supabase profile
 * leaves out. Other roles are made, or the set goes back where it came from.
 */
function missingRolesAdvice(missing: readonly string[]): Hint {
  const platform = missing.filter((role) => role !== 'postgres' && isSupabaseReservedRole(role));
  if (platform.length === 0) return hint`${createRolesAdvice(missing)}, or restore on the server the backup came from`;
  const owners = platform.some((role) => !SUPABASE_API_ROLES.has(role));
  return hint`${platform.length === 1 ? `${platform[0]} is a role` : `${platform.join(', ')} are roles`} of the Supabase platform: restore into a Supabase database (supabase start)${
    owners ? hint`, or back up with ${option('profile', 'supabase')} (the default for Supabase databases), which leaves the platform's objects to the platform` : ''
  }; or ${createRolesAdvice(missing)}`;
}

/** How many missing roles a line names before it says "and N more". */
const LISTED_ROLES = 5;

/** Missing roles, the first few by name. */
export function listRoles(missing: readonly string[]): string {
  const more = missing.length - LISTED_ROLES;
  return `${missing.slice(0, LISTED_ROLES).join(', ')}${more > 0 ? ` and ${formatCount(more)} more` : ''}`;
}

/** The statements that make missing roles, in the words of the check and of a proof's refusal. */
export function createRolesAdvice(missing: readonly string[]): string {
  const statements = missing.slice(0, LISTED_ROLES).map((role) => `CREATE ROLE ${quoteIdentifier(role)} NOLOGIN;`);
  return `create ${missing.length === 1 ? 'it' : 'them'} first (${statements.join(' ')}${missing.length > LISTED_ROLES ? ' …' : ''})`;
}

/** The tablespaces a set's entries are created in (pg_dump's `; Tablespace: fast`), other than the database's default. */
export function tablespacesOf(entries: readonly { tablespace?: string }[]): string[] {
  return [...new Set(entries.flatMap((entry) => (entry.tablespace ? [entry.tablespace] : [])))];
}

/** The statements that make missing tablespaces, in the words of the check and of a proof's refusal. */
export function createTablespacesAdvice(missing: readonly string[]): string {
  const statements = missing.map((name) => `CREATE TABLESPACE ${quoteIdentifier(name)} LOCATION '/an/empty/folder/the/server/owns';`);
  return `create ${missing.length === 1 ? 'it' : 'them'} first, as a superuser (${statements.join(' ')})`;
}

/**
 * A complete or schema restore creates tables and indexes in the tablespaces
 * they were in (pg_dump sets default_tablespace before each): one the target
 * server lacks (production's fast disk, on a laptop) fails there, after the
 * safety backup, with the server's "invalid value for parameter
 * default_tablespace".
 */
export function tablespacesCheck(needed: readonly string[], available: readonly string[], defaultTablespace = false): CheckResult {
  if (needed.length === 0) return check('tablespaces', 'pass', "the set creates everything in the database's default tablespace");
  if (defaultTablespace) return check('tablespaces', 'pass', `no tablespace needed: what the set creates in ${needed.join(', ')} goes into the database's default tablespace`);
  const missing = missingNames(needed, available);
  if (missing.length === 0) return check('tablespaces', 'pass', `the server has ${needed.join(', ')}`);
  return check(
    'tablespaces',
    'fail',
    `the server has no tablespace ${missing.join(', ')}, which the set creates tables or indexes in`,
    hint`${createTablespacesAdvice(missing)}, ${commandLineOnly(hint`or restore with ${option('noTablespaces')} to create them in the database's default tablespace, `)}or restore on the server the backup came from`,
  );
}

/** What the target must have for the set's files to load, checked from their entries (schema or complete file). */
export function targetNeedsChecks(entries: readonly DumpEntry[], facts: TargetFacts, options: { defaultTablespace?: boolean } = {}): CheckResult[] {
  return [
    extensionsCheck(extensionsOf(entries), facts.extensions, {
      set: Object.fromEntries(entries.flatMap((entry) => (entry.type === 'EXTENSION' && entry.extensionSchema !== undefined ? [[entry.name, entry.extensionSchema]] : []))),
      target: facts.extensionSchemas,
    }),
    rolesCheck(rolesOf(entries), facts.roles),
    ownersCheck(ownersOf(entries), facts),
    superuserCheck(entries, facts),
    schemaPublicCheck(entries, facts),
    tablespacesCheck(tablespacesOf(entries), facts.tablespaces, options.defaultTablespace),
    collationsCheck(collationsOf(entries), facts.collations),
  ];
}

/** The roles a data restore makes large objects' owners and grants them privileges, as the manifest records them (none recorded in sets made before). */
export function largeObjectNeeds(manifest: Pick<Manifest, 'digests'>): { owners: string[]; grantees: string[] } {
  const recorded = manifest.digests?.largeObjects;
  return { owners: recorded?.owners ?? [], grantees: recorded?.grants?.roles ?? [] };
}

/**
 * A data restore creates the set's large objects (`lo_create`), gives each
 * its owner (`ALTER LARGE OBJECT … OWNER TO`) and replays their grants: a
 * role the target lacks, or one the restoring role may not make an owner,
 * would fail it after the safety backup. Only large objects' owners and
 * grantees are asked; the rest is the schema's, which a data restore does
 * not create.
 */
export function largeObjectChecks(needs: { owners: readonly string[]; grantees: readonly string[] }, facts: Parameters<typeof ownersCheck>[1]): CheckResult[] {
  if (needs.owners.length + needs.grantees.length === 0) return [];
  const entries = [...needs.owners.map((owner) => ({ type: 'LARGE OBJECT', owner })), ...(needs.grantees.length > 0 ? [{ type: 'ACL', roles: needs.grantees }] : [])];
  return [rolesCheck(rolesOf(entries), facts.roles), ownersCheck(ownersOf(entries), facts, 'large objects')];
}

/** SQL for the names of pg_catalog's collations the connected database's encoding can use (collationsCheck). */
export const CATALOG_COLLATIONS_SQL = `ARRAY(SELECT collname::pg_catalog.text FROM pg_catalog.pg_collation WHERE collnamespace = 'pg_catalog'::pg_catalog.regnamespace
          AND collencoding IN (-1, pg_catalog.pg_char_to_encoding(pg_catalog.getdatabaseencoding())))`;

/** SQL for the roles current_user may make an object's owner: those it may SET ROLE to (PostgreSQL 16), or is a member of (before), itself among them (ownersCheck). */
export const MAY_BECOME_SQL = `ARRAY(SELECT rolname::pg_catalog.text FROM pg_catalog.pg_roles
         WHERE CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 160000 THEN pg_catalog.pg_has_role(current_user, oid, 'SET')
                    ELSE pg_catalog.pg_has_role(current_user, oid, 'MEMBER') END)`;

/** SQL for, by role that is a member of another role or a superuser, the roles whose privileges it has: a schema's owner's, CREATE in it among them (ownersCheck). */
export const INHERITS_SQL = `(SELECT pg_catalog.json_object_agg(r.rolname, ARRAY(SELECT b.rolname::pg_catalog.text FROM pg_catalog.pg_roles b
            WHERE b.oid <> r.oid AND pg_catalog.pg_has_role(r.oid, b.oid, 'USAGE')))
     FROM pg_catalog.pg_roles r WHERE r.rolsuper OR EXISTS (SELECT FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid))`;

/** Entry types pg_dump gives an owner with `ALTER … OWNER TO` (an index, a constraint, a trigger, a comment or a grant takes its table's). */
const OWNED_TYPES: ReadonlySet<string> = new Set([
  'TABLE',
  'VIEW',
  'MATERIALIZED VIEW',
  'SEQUENCE',
  'FOREIGN TABLE',
  'FUNCTION',
  'PROCEDURE',
  'AGGREGATE',
  'TYPE',
  'DOMAIN',
  'SCHEMA',
  'COLLATION',
  'CONVERSION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH CONFIGURATION',
  'FOREIGN DATA WRAPPER',
  'SERVER',
  'EVENT TRIGGER',
  'PUBLICATION',
  'SUBSCRIPTION',
  'OPERATOR',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'STATISTICS',
  'PROCEDURAL LANGUAGE',
  'BLOB',
  'LARGE OBJECT',
  'DEFAULT ACL',
]);

/** The roles a set makes owners: of anything, of the objects in each schema, of its publications; and the schemas it creates. */
export interface SetOwners {
  all: string[];
  /** By schema, the owners of its objects: a role that is no superuser may give one only to a role with CREATE in that schema. */
  bySchema: Record<string, string[]>;
  /** Of the set's publications: given only to a role with CREATE on the database (a schema's new owner needs none: the role that gives it does). */
  ofPublications: string[];
  /** The schemas the set creates, with their owners: until the set's grants at its end, only a role with its owner's privileges may create in one. */
  schemaOwners: Record<string, string>;
}

/** A set that gives its objects no owner. */
export const NO_OWNERS: SetOwners = { all: [], bySchema: {}, ofPublications: [], schemaOwners: {} };

/**
 * The roles a set's objects are owned by, as its `ALTER … OWNER TO` (and a
 * default privilege's `FOR ROLE`) name them. Schema public itself is left
 * out: pg_dump names its owner in the header whether or not it writes the
 * statement. PostgreSQL's own roles too, as in rolesOf.
 */
export function ownersOf(entries: readonly { type: string; schema?: string; name?: string; owner?: string }[]): SetOwners {
  const all = new Set<string>();
  const bySchema = new Map<string, Set<string>>();
  const ofPublications = new Set<string>();
  const schemaOwners: Record<string, string> = {};
  for (const entry of entries) {
    const owner = entry.owner;
    if (!owner || owner === '-' || owner.startsWith('pg_') || !OWNED_TYPES.has(entry.type)) continue;
    if (entry.type === 'SCHEMA') {
      if (entry.name === 'public') continue;
      if (entry.name) schemaOwners[entry.name] = owner;
    } else if (entry.type === 'PUBLICATION') {
      ofPublications.add(owner);
    } else if (entry.schema && entry.schema !== '-' && entry.type !== 'DEFAULT ACL') {
      // A default privilege's role needs no CREATE where its defaults apply.
      bySchema.set(entry.schema, (bySchema.get(entry.schema) ?? new Set()).add(owner));
    }
    all.add(owner);
  }
  return {
    all: [...all],
    bySchema: Object.fromEntries([...bySchema].map(([schema, owners]) => [schema, [...owners]])),
    ofPublications: [...ofPublications],
    schemaOwners,
  };
}

/**
 * A complete or schema restore gives each object its owner (`ALTER …
 * OWNER TO`). A role that is no superuser may give only itself and the
 * roles it is a member of (may SET ROLE to, from PostgreSQL 16), and only
 * to a role that may create there: CREATE in the schema for what is in a
 * schema the target has already (public, from PostgreSQL 15, only for its
 * database's owner), CREATE on the database for a publication. (A schema's
 * new owner needs nothing: the server asks CREATE on the database of the
 * role that gives it.) In a schema the set creates, owned by another role, only that role's
 * privileges count: the set grants on the schema only at its end, after
 * every owner. Anything else fails the restore there, after the safety
 * backup, with the server's "must be member of role …" or "permission
 * denied for schema …". A role the server lacks is the roles check's.
 */
export function ownersCheck(
  owners: SetOwners,
  facts: Pick<TargetFacts, 'database' | 'currentUser' | 'superuser' | 'mayBecome' | 'roles' | 'schemaCreators' | 'databaseCreators' | 'inherits' | 'superusers'>,
  what = 'objects',
): CheckResult {
  const database = facts.database;
  if (owners.all.length === 0) return check('owners', 'pass', `the set's ${what} name no owner`);
  if (facts.superuser) return check('owners', 'pass', `${facts.currentUser} is a superuser: it may give the set's ${what} any owner`);
  const existing = new Set(facts.roles);
  const lacking = (roles: readonly string[], has: (role: string) => boolean) => roles.filter((role) => existing.has(role) && role !== facts.currentUser && !has(role));
  // Membership in a superuser is a superuser's power: no GRANT is advised for one.
  const superusers = new Set(facts.superusers);
  const notMember = lacking(owners.all, (role) => facts.mayBecome.includes(role) || superusers.has(role));
  const superOwners = lacking(owners.all, (role) => facts.mayBecome.includes(role) || !superusers.has(role));
  const noCreate = Object.entries(owners.bySchema)
    .map(([schema, roles]) => {
      const creator = owners.schemaOwners[schema];
      if (creator !== undefined) {
        return { schema, creator, roles: existing.has(creator) ? lacking(roles, (role) => role === creator || (facts.inherits[role] ?? []).includes(creator)) : [] };
      }
      const creators = facts.schemaCreators[schema];
      return { schema, roles: creators === undefined ? [] : lacking(roles, (role) => creators.includes(role)) };
    })
    .filter((lack) => lack.roles.length > 0);
  const noCreateOnDatabase = lacking(owners.ofPublications, (role) => facts.databaseCreators.includes(role));
  if (superOwners.length + notMember.length + noCreate.length + noCreateOnDatabase.length === 0) {
    return check('owners', 'pass', `${facts.currentUser} may give the set's ${what} their owner${owners.all.length === 1 ? '' : 's'} (${listRoles(owners.all)})`);
  }
  const user = quoteIdentifier(facts.currentUser);
  const problems = [
    ...(superOwners.length > 0
      ? [`${listRoles(superOwners)}, ${superOwners.length === 1 ? 'a superuser' : 'superusers'}, which ${facts.currentUser} (no superuser) may not make an object's owner`]
      : []),
    ...(notMember.length > 0 ? [`${listRoles(notMember)}, which ${facts.currentUser} (no superuser) may not make an object's owner`] : []),
    ...noCreate.map(
      (lack) =>
        `${listRoles(lack.roles)}, which may not create in schema ${lack.schema}${lack.creator === undefined ? '' : ` (the set creates it owned by ${lack.creator} and grants on it only at its end)`}`,
    ),
    ...(noCreateOnDatabase.length > 0
      ? [`${listRoles(noCreateOnDatabase)}, which ${noCreateOnDatabase.length === 1 ? 'owns a publication' : 'own publications'} and may not create in ${database}`]
      : []),
  ];
  const statements = [
    ...notMember.map((role) => `GRANT ${quoteIdentifier(role)} TO ${user};`),
    ...noCreate.flatMap((lack) =>
      lack.roles.map((role) =>
        lack.creator === undefined
          ? `GRANT CREATE ON SCHEMA ${quoteIdentifier(lack.schema)} TO ${quoteIdentifier(role)};`
          : `GRANT ${quoteIdentifier(lack.creator)} TO ${quoteIdentifier(role)};`,
      ),
    ),
    ...noCreateOnDatabase.map((role) => `GRANT CREATE ON DATABASE ${quoteIdentifier(database)} TO ${quoteIdentifier(role)};`),
  ];
  const listed = statements.slice(0, LISTED_ROLES * 2);
  const detail = `the set's ${what} are owned by ${problems.slice(0, LISTED_ROLES).join('; and by ')}${problems.length > LISTED_ROLES ? '; and more' : ''}`;
  if (statements.length === 0 || superOwners.length > 0)
    return check('owners', 'fail', detail, hint`restore as a superuser, or make a role that is none their owner in the source database and back up again`);
  return check('owners', 'fail', detail, [
    `have a superuser grant what is missing first (${listed.join(' ')}${statements.length > listed.length ? ' …' : ''}), or restore as a superuser`,
  ]);
}

/** Entry types only a superuser may create, in the words of the superuser check. */
const SUPERUSER_TYPES: Readonly<Record<string, string>> = {
  'EVENT TRIGGER': 'event trigger',
  'FOREIGN DATA WRAPPER': 'foreign-data wrapper',
  'PROCEDURAL LANGUAGE': 'language',
  'OPERATOR CLASS': 'operator class',
  'OPERATOR FAMILY': 'operator family',
  'TEXT SEARCH PARSER': 'text search parser',
  'TEXT SEARCH TEMPLATE': 'text search template',
  'ACCESS METHOD': 'access method',
  'SHELL TYPE': 'base type',
  'PUBLICATION TABLES IN SCHEMA': 'FOR TABLES IN SCHEMA publication',
  SUBSCRIPTION: 'subscription',
};

/** The entries superuserCheck looks at: for a proof, which keeps them without the rest of the schema. */
export function superuserCandidates(entries: readonly DumpEntry[]): DumpEntry[] {
  return entries.filter(
    (entry) =>
      SUPERUSER_TYPES[entry.type] !== undefined ||
      entry.superuserOnly !== undefined ||
      entry.language !== undefined ||
      entry.settings !== undefined ||
      entry.type === 'EXTENSION' ||
      (entry.type === 'COMMENT' && entry.name.startsWith('EXTENSION ')),
  );
}

/**
 * The settings only a superuser may set that current_user may not (a
 * function's `SET log_statement`): from PostgreSQL 15 one may be granted
 * (GRANT SET ON PARAMETER), which older servers cannot ask.
 */
export const superuserSettingsSql = (major: number) =>
  `SELECT ARRAY(SELECT name::pg_catalog.text FROM pg_catalog.pg_settings WHERE context = 'superuser'${
    major >= 15 ? " AND NOT pg_catalog.has_parameter_privilege(name, 'SET')" : ''
  } AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)) AS names`;

/** SQL for what the superuser check reads of the target, as columns of the target facts' query. */
export const SUPERUSER_FACTS_SQL = `ARRAY(SELECT rolname::pg_catalog.text FROM pg_catalog.pg_roles WHERE rolsuper) AS superusers,
  ARRAY(SELECT lanname::pg_catalog.text FROM pg_catalog.pg_language WHERE NOT lanpltrusted) AS untrusted_languages,
  (SELECT pg_catalog.json_object_agg(e.extname, r.rolname) FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_roles r ON r.oid = e.extowner) AS installed_extensions,
  ARRAY(SELECT v.name::pg_catalog.text FROM pg_catalog.pg_available_extension_versions v JOIN pg_catalog.pg_available_extensions a ON a.name = v.name AND a.default_version = v.version
         WHERE v.superuser AND NOT v.trusted) AS superuser_extensions,
  pg_catalog.string_to_array(pg_catalog.replace(pg_catalog.current_setting('supautils.privileged_extensions', true), ' ', ''), ',') AS privileged_extensions,
  EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pg_create_subscription' AND pg_catalog.pg_has_role(current_user, oid, 'USAGE')) AS may_subscribe,
  (SELECT pg_catalog.json_object_agg(e.extname, n.nspname) FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace) AS extension_schemas`;

/**
 * What a complete or schema restore of the set would create that only a
 * superuser may, for a restoring role that is none (a deploy role, a
 * database's owner, a managed service's admin): event triggers,
 * publications of all tables or of schemas, subscriptions (before
 * PostgreSQL 16's pg_create_subscription), foreign-data wrappers,
 * languages, operator classes and families, text search parsers and
 * templates, access methods, base types, casts without a function,
 * functions in an untrusted language (C, internal, plpython3u), extensions
 * that are not trusted (Supabase's supautils lets its postgres create the
 * ones it lists), and a comment on an extension the target database has
 * already and another role owns. Each fails the restore in psql, after
 * the safety backup.
 */
export function superuserCheck(
  entries: readonly DumpEntry[],
  facts: Pick<
    TargetFacts,
    'currentUser' | 'superuser' | 'inherits' | 'untrustedLanguages' | 'installedExtensions' | 'superuserExtensions' | 'privilegedExtensions' | 'maySubscribe' | 'superuserSettings'
  >,
): CheckResult {
  if (facts.superuser) return check('superuser', 'pass', `${facts.currentUser} is a superuser: it may create anything the set holds`);
  const privileged = new Set(facts.privilegedExtensions);
  const mine = new Set([facts.currentUser, ...(facts.inherits[facts.currentUser] ?? [])]);
  const found: string[] = [];
  for (const entry of entries) {
    const kind = entry.type === 'SUBSCRIPTION' && facts.maySubscribe ? undefined : (SUPERUSER_TYPES[entry.type] ?? entry.superuserOnly);
    if (kind !== undefined) found.push(`${kind} ${entryObjectName(entry)}`);
    else if (entry.language !== undefined && facts.untrustedLanguages.includes(entry.language))
      found.push(`${entry.type.toLowerCase()} ${entryObjectName(entry)} in language ${entry.language}`);
    else if (entry.settings?.some((setting) => facts.superuserSettings?.includes(setting))) {
      found.push(`${entry.type.toLowerCase()} ${entryObjectName(entry)}, which sets ${entry.settings.filter((setting) => facts.superuserSettings?.includes(setting)).join(', ')}`);
    } else if (entry.type === 'EXTENSION' && facts.installedExtensions[entry.name] === undefined && facts.superuserExtensions.includes(entry.name) && !privileged.has(entry.name)) {
      found.push(`extension ${entry.name}`);
    } else if (entry.type === 'COMMENT' && entry.name.startsWith('EXTENSION ')) {
      const extension = entry.name.slice('EXTENSION '.length);
      const owner = facts.installedExtensions[extension];
      if (owner !== undefined && !mine.has(owner)) found.push(`a comment on extension ${extension}, which ${owner} owns here`);
    }
  }
  if (found.length === 0) return check('superuser', 'pass', 'the set creates nothing that only a superuser may');
  const listed = found.slice(0, LISTED_ROLES).join(', ');
  return check(
    'superuser',
    'fail',
    `the set creates what only a superuser may, and ${facts.currentUser} is none: ${listed}${found.length > LISTED_ROLES ? ` and ${formatCount(found.length - LISTED_ROLES)} more` : ''}`,
    hint`restore as a superuser, or drop them in the source database and back up again`,
  );
}

/** SQL for the target's schema public as schemaPublicCheck needs it, one JSON object (NULL without one). */
export const SCHEMA_PUBLIC_SQL = `(SELECT pg_catalog.json_build_object(
      'owner', CASE WHEN r.rolname = 'pg_database_owner'
                 THEN (SELECT o.rolname FROM pg_catalog.pg_database d JOIN pg_catalog.pg_roles o ON o.oid = d.datdba WHERE d.datname = pg_catalog.current_database())
                 ELSE r.rolname END,
      'owned', pg_catalog.pg_has_role(current_user, n.nspowner, 'USAGE'),
      'grantable', pg_catalog.has_schema_privilege(current_user, n.oid, 'USAGE WITH GRANT OPTION') AND pg_catalog.has_schema_privilege(current_user, n.oid, 'CREATE WITH GRANT OPTION'))
    FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner WHERE n.nspname = 'public')`;

/**
 * A set whose source had schema public's comment or grants changed
 * (`COMMENT ON SCHEMA public`, `GRANT USAGE ON SCHEMA public TO anon`)
 * sets them on the target's schema public, which the restore does not
 * create: a comment only its owner may set (from PostgreSQL 15 the
 * database's owner), a grant only a role that holds the privilege WITH
 * GRANT OPTION. Another role's COMMENT fails the restore after the safety
 * backup ("must be owner of schema public"); its GRANT is only a warning
 * in psql, which the restore then fails on (privilegesNotGivenError).
 */
export function schemaPublicCheck(entries: readonly DumpEntry[], facts: Pick<TargetFacts, 'currentUser' | 'superuser' | 'schemaPublic'>): CheckResult {
  const about = (type: string) => entries.some((entry) => entry.type === type && entry.name === 'SCHEMA public');
  const comment = about('COMMENT') || about('SECURITY LABEL');
  const grants = about('ACL');
  if (!comment && !grants) return check('schema-public', 'pass', "the set leaves schema public's comment and grants as they are");
  const what = comment && grants ? 'comment and grants' : comment ? 'comment' : 'grants';
  const target = facts.schemaPublic;
  if (facts.superuser || !target) return check('schema-public', 'pass', `the set sets schema public's ${what}, which ${facts.currentUser} may`);
  const may = (!comment || target.owned) && (!grants || target.grantable);
  if (may)
    return check(
      'schema-public',
      'pass',
      `the set sets schema public's ${what}, which ${facts.currentUser} may as ${target.owned ? 'its owner' : 'a holder of its privileges WITH GRANT OPTION'}`,
    );
  return check(
    'schema-public',
    'fail',
    `the set sets schema public's ${what}, which only its owner ${target.owner}${grants && !comment ? ' (or a role holding its privileges WITH GRANT OPTION)' : ''} may, and ${facts.currentUser} is not`,
    hint`restore as ${target.owner} or a superuser`,
  );
}

/** The collations of pg_catalog a set's entries use (DumpEntry.collations). */
export function collationsOf(entries: readonly { collations?: readonly string[] }[]): string[] {
  return [...new Set(entries.flatMap((entry) => entry.collations ?? []))];
}

/**
 * A column, index or domain of the set that uses a collation of pg_catalog
 * (`COLLATE pg_catalog."de-x-icu"`, `pg_catalog."en_US"`) needs it in the
 * target database: the server imports them from its operating system's
 * locales and its ICU library, which differ between machines and versions.
 * One the target lacks fails a complete or schema restore there, after the
 * safety backup, with the server's "collation … does not exist".
 */
export function collationsCheck(needed: readonly string[], available: readonly string[]): CheckResult {
  if (needed.length === 0) return check('collations', 'pass', 'the set uses no collation but the database default and its own');
  const have = new Set(available);
  const missing = needed.filter((name) => !have.has(name));
  if (missing.length === 0)
    return check('collations', 'pass', `the target database has ${needed.length === 1 ? 'the collation' : `all ${formatCount(needed.length)} collations`} the set uses`);
  return check('collations', 'fail', `the target database has no collation ${listRoles(missing)}, which the set's columns, indexes or types use`, [missingCollationsAdvice]);
}

/**
 * psql converts the set's text (its client_encoding) into the target
 * database's encoding as it loads: UTF8 and SQL_ASCII (bytes kept as they
 * are) take anything; another encoding takes only the characters it has,
 * and one it lacks fails the restore halfway (rolled back). Whether the set
 * holds any is known only by loading it: a warning, not a refusal.
 */
export function encodingCheck(setEncoding: string | undefined, targetEncoding: string): CheckResult | undefined {
  if (setEncoding === undefined) return undefined;
  const summary = `the set's text is ${setEncoding}, the target database's encoding ${targetEncoding}`;
  if (setEncoding === targetEncoding || targetEncoding === 'UTF8' || targetEncoding === 'SQL_ASCII') return check('encoding', 'pass', summary);
  return check(
    'encoding',
    'warn',
    `${summary}: a character ${targetEncoding} has no room for fails the restore, which then changes nothing`,
    hint`to be sure, restore into a database made in ${setEncoding === 'UTF8' ? setEncoding : `${setEncoding} or UTF8`} (CREATE DATABASE … ENCODING '${setEncoding}' TEMPLATE template0)`,
  );
}

/**
 * Whether a data restore's COPY statements would meet the target's tables as
 * they are now (verify --db, which knows no restore mode): a data restore
 * refuses a target that lacks some of the set's tables or whose columns
 * changed since the backup; a complete or schema restore creates the tables
 * itself and is not affected, so this only warns.
 */
export function dataColumnsCheck(tables: readonly RowsToLoad[], columns: ReadonlyMap<string, readonly TargetColumn[]>): CheckResult {
  const lacking = tables.filter((table) => !columns.has(qualifiedName(table.schema, table.name)));
  if (lacking.length === tables.length) {
    return check(
      'data-columns',
      'pass',
      `the target has none of the set's ${countOf(tables.length, 'table')}: a complete or schema restore creates them, a data restore needs them first`,
    );
  }
  const problems = [
    ...(lacking.length > 0
      ? [`the target lacks ${lacking.length} of the set's ${countOf(tables.length, 'table')} (${listProblems(lacking.map((table) => qualifiedName(table.schema, table.name)))})`]
      : []),
    ...columnMismatches(tables, columns),
  ];
  if (problems.length === 0) return check('data-columns', 'pass', `the target's tables have the columns of the set's rows (${countOf(tables.length, 'table')})`);
  return check(
    'data-columns',
    'warn',
    `a data restore would be refused: ${listProblems(problems)}`,
    hint`a complete restore with ${option('clean')} recreates the tables and is not affected; for a data restore, bring the target's schema back to the backup's first (a migration since?)`,
  );
}

/**
 * Whether a trigger of the target would fire on the rows a data restore
 * loads (verify --db, which knows no restore mode): the restore refuses
 * one set to fire always or in replica mode; a complete restore with
 * --clean recreates the tables without it, so this only warns.
 */
export function loadTriggersCheck(triggers: readonly LoadTrigger[]): CheckResult {
  if (triggers.length === 0) return check('load-triggers', 'pass', "no trigger of the target's tables of the set fires while a data restore loads their rows");
  return check(
    'load-triggers',
    'warn',
    `a data restore would be refused: ${loadTriggersFound(triggers)}`,
    hint`for a data restore, ${loadTriggersAdvice(triggers)}; a complete restore with ${option('clean')} recreates the tables without ${triggers.length === 1 ? 'it' : 'them'}`,
  );
}

/** The tables of the target database, outside PostgreSQL's schemas and not an extension's (spatial_ref_sys), as "schema.name". */
export const OWN_TABLES_SQL = `ARRAY(SELECT n.nspname::pg_catalog.text || '.' || c.relname::pg_catalog.text FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'f') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
  ORDER BY 1)`;

/**
 * Whether the target looks like another database than the one the set was
 * taken from: a restore goes ahead either way (a copy under another name is
 * normal), and adds the set's tables beside the target's own, so a set of
 * one application restored into another's database merged the two with
 * nothing said. Warns when the names differ and the target holds tables the
 * set does not have (the schemas a profile leaves out aside).
 */
export function sourceDatabaseCheck(manifest: Pick<Manifest, 'database' | 'tables' | 'profile'>, facts: { database: string; tables: readonly string[] }): CheckResult {
  const source = manifest.database;
  if (source.name === facts.database) return check('source-database', 'pass', `the set was taken from database ${source.name}, as the target is named`);
  const inSet = new Set(manifest.tables.map((table) => qualifiedName(table.schema, table.name)));
  const leftOut = (manifest.profile?.leftOut.schemas ?? []).map((schema) => `${schema.name}.`);
  const others = facts.tables.filter((table) => !inSet.has(table) && !leftOut.some((schema) => table.startsWith(schema)));
  const shown = others.length > 5 ? `${others.slice(0, 5).join(', ')}, … ${others.length - 5} more` : others.join(', ');
  const from = `the set was taken from database ${source.name} (${source.user}@${source.host}:${source.port})`;
  if (others.length === 0) return check('source-database', 'pass', `${from}; the target, ${facts.database}, holds no tables besides the set's`);
  return check(
    'source-database',
    'warn',
    `${from}; the target ${facts.database} holds ${countOf(others.length, 'table')} the set does not have (${shown}), and a restore puts the set's beside them`,
    hint`make sure ${facts.database} is the database to restore into, or restore into an empty one`,
  );
}

/** Free space above the need by less than this share of it is "tight". */
const TIGHT_MARGIN = 0.5;

/**
 * The safety backup taken before a restore is about as large as the target
 * database, or as this set when the target is smaller or unknown.
 */
export function diskSpaceCheck(input: { folder: string; freeBytes: number; databaseBytes?: number; setBytes: number }): CheckResult {
  const { freeBytes, databaseBytes, setBytes } = input;
  const fromDatabase = databaseBytes !== undefined && databaseBytes >= setBytes;
  const needed = fromDatabase ? databaseBytes : setBytes;
  const basis = fromDatabase ? "the target database's size" : databaseBytes === undefined ? "this set's size; the target's is unknown" : "this set's size";
  const summary = `${formatBytes(freeBytes)} free in ${input.folder}; a safety backup needs about ${formatBytes(needed)} (${basis})`;
  const verdict = diskSpaceVerdict(freeBytes, needed);
  if (verdict === 'fail') return check('disk-space', 'fail', summary, hint`free some space or choose another folder with ${option('backupsFolder')} before restoring`);
  if (verdict === 'warn') return check('disk-space', 'warn', `${summary}: it fits, but barely; free some space first to be safe`);
  return check('disk-space', 'pass', summary);
}

/** A restore without a safety backup writes nothing into the folder: read-only or full media will do. */
export function noSafetyBackupSpaceCheck(folder: string): CheckResult {
  return check('disk-space', 'pass', `no safety backup will be taken: nothing is written to ${folder}`);
}

export function diskSpaceUnknownCheck(folder: string, reason: string): CheckResult {
  return check('disk-space', 'warn', `cannot tell how much space is free in ${folder} (${reason}): make sure a copy of the target database fits there`);
}

export function diskSpaceVerdict(freeBytes: number, neededBytes: number): CheckStatus {
  if (freeBytes < neededBytes) return 'fail';
  if (freeBytes < neededBytes * (1 + TIGHT_MARGIN)) return 'warn';
  return 'pass';
}
