/**
 * The words of a restore that stops: what the pre-flight refuses (objects
 * outside the backup in the way, another session's locks) and what psql's
 * first error means, each as one line with what to do.
 */
import { commandLineOnly, hint, mapWords, option, seeDetails, type Hint } from '../hint';
import type { SetKeys } from '../codecs/codecs';
import { setFileStream } from '../codecs/setFileReader';
import { createInterface } from 'node:readline';
import type { OutsideDependent } from './cleanPlan';
import { OUTSIDE_DEPENDENTS_MARK, OUTSIDE_REFERENCES_MARK, PLATFORM_REFERENCES_MARK } from './cleanPlan';
import { ROWS_SINCE_PLAN_MARK } from './prolog';
import { type ConnectionTarget } from '../connection/target';
import type { RestoreMode } from './types';
import { describeConnectionError } from '../connection/failures';
import { entryObjectName, parseEntryHeader, type EntryHeader } from '../pg/dumpReader';
import { PulseError } from '../errors';
import { describeLockHolder, endSessionWords, type LockHolder } from '../pg/lockHolders';
import { lockBudgetError, type LockBudget } from './lockBudget';
import { lostConnectionReason, restoreConnectionLostError } from '../pg/psqlEnd';
import { countOf, qualifiedName } from '../format';
import { isSupabaseReservedRole, SUPABASE_ALLOWED_SETTINGS, SUPABASE_PLATFORM_SCHEMAS, supabaseAllowsSetting } from '../backup/profile';
import { quoteIdentifier } from '../sql';

/** "public.users, public.messages, … 3 more" (large objects by OID, tables with their rows when asked). */
export function listNames(objects: readonly { schema: string; name: string; rows?: number | null; kind?: string }[], withRows = false): string {
  const shown = objects.slice(0, 5).map((object) => {
    // pg_dump's "-" schema: an object of no schema (a large object, a publication), named with its kind.
    const name = object.schema === '-' ? `${object.kind ?? 'large object'} ${object.name}` : object.schema === '' ? object.name : qualifiedName(object.schema, object.name);
    return withRows && object.rows !== undefined && object.rows !== null ? `${name}: ${countOf(object.rows, 'row')}` : name;
  });
  return objects.length > 5 ? `${shown.join(', ')}, … ${objects.length - 5} more` : shown.join(', ');
}

/**
 * Objects the backup does not have that depend on what --clean would
 * replace (or, for a data restore, foreign keys that point into the tables
 * it would empty, and partitions and inheritance children of them, which
 * TRUNCATE would empty too): refused before anything changes.
 */
export function outsideDependentsError(outside: readonly OutsideDependent[], action: 'replace' | 'empty'): PulseError {
  const shown = outside.slice(0, 4).map((object) => (object.dependsOn ? `${object.description} (on ${object.dependsOn})` : object.description));
  const more = outside.length > shown.length ? `, and ${outside.length - shown.length} more` : '';
  const count = `${outside.length} object${outside.length === 1 ? '' : 's'} the backup does not have`;
  const children = outside.filter((object) => object.child).length;
  const verb =
    action === 'replace'
      ? 'depend on what --clean would replace'
      : children === 0
        ? 'reference the tables --clean would empty'
        : children === outside.length
          ? 'are partitions or inheritance children of the tables --clean would empty, which would empty them too'
          : 'reference or inherit from the tables --clean would empty';
  return new PulseError('restore-refused', `the target has ${count} that ${verb}: ${shown.join('; ')}${more}`, {
    hint: action === 'replace' ? 'drop or change them first, or restore into an empty database; nothing was changed' : `${releaseAdvice(outside, children)}; nothing was changed`,
    details: outside.map((object) => `${object.description}${object.dependsOn ? ` depends on ${object.dependsOn}` : ''}`).join('\n'),
  });
}

/**
 * What takes them out of a data --clean's way: emptying a referencing table
 * never does (its foreign key still stops TRUNCATE), dropping the
 * constraint does; a partition or child is detached or dropped.
 */
function releaseAdvice(outside: readonly OutsideDependent[], children: number): string {
  const statements = [...new Set(outside.flatMap((object) => (object.release ? [object.release] : [])))];
  const shown = statements.length > 0 ? ` (${statements.slice(0, 3).join(' ')}${statements.length > 3 ? ' …' : ''})` : '';
  const one = outside.length === 1;
  const what =
    children === 0
      ? `drop ${one ? 'that constraint' : 'those constraints'}${shown} or ${one ? 'its table' : 'their tables'} first`
      : children === outside.length
        ? `detach ${one ? 'it' : 'them'}${shown} or drop ${one ? 'it' : 'them'} first`
        : `drop the constraints and detach the partitions and children first${shown}, or drop their tables`;
  return `${what}, or restore into a copy without ${one ? 'it' : 'them'}`;
}

/**
 * Tables the backup does not have whose rows point into the Supabase
 * platform tables a --clean empties (auth.users, storage.buckets): those
 * are emptied with foreign keys quiet, so the rows would be left pointing
 * at what the backup may not have. Dropping the constraint would only hide
 * that: the advice is to empty or drop the table, or to restore into a
 * fresh stack. Not "the target has …": inside the transaction these are
 * rows written since, maybe into a table that was there already.
 */
export function platformReferencesError(referencing: readonly OutsideDependent[]): PulseError {
  const shown = referencing.slice(0, 4).map((object) => (object.dependsOn ? `${object.description} (on ${object.dependsOn})` : object.description));
  const more = referencing.length > shown.length ? `, and ${referencing.length - shown.length} more` : '';
  const statements = [...new Set(referencing.flatMap((object) => (object.release ? [object.release] : [])))];
  const one = statements.length <= 1;
  const count = `${statements.length || 1} table${one ? '' : 's'} the backup does not have`;
  const release = statements.length > 0 ? ` (${statements.slice(0, 3).join(' ')}${statements.length > 3 ? ' …' : ''})` : '';
  return new PulseError(
    'restore-refused',
    `rows of ${count} point into the platform tables --clean would empty, which would leave them pointing at what the backup may not have: ${shown.join('; ')}${more}`,
    {
      hint: hint`empty ${one ? 'that table' : 'those tables'}${release} or drop ${one ? 'it' : 'them'} first, or restore into a fresh stack (after supabase db reset) instead; nothing was changed`,
      details: referencing.map((object) => `${object.description}${object.dependsOn ? ` references ${object.dependsOn}` : ''}`).join('\n'),
    },
  );
}

/**
 * A data restore without --clean loads only into empty tables: the backup's
 * tables that hold rows (or its large objects the target has), refused
 * before anything changes.
 */
export function rowsInTheWayError(withRows: readonly { schema: string; name: string; rows?: number | null }[], largeObjects: number): PulseError {
  const what =
    withRows.length > 0
      ? `${withRows.length} of the backup's tables already hold rows (${listNames(withRows, true)})`
      : `the target already has ${largeObjects} of the backup's large objects`;
  return new PulseError('restore-refused', what, {
    hint: hint`${commandLineOnly(hint`pass ${option('clean')} to empty them first (a safety backup is taken before), or `)}restore into an empty copy; nothing was changed`,
  });
}

/** A check inside the restore's transaction found what the pre-flight would have refused: the same words, as a rollback. */
function gainedSincePreflight(refused: PulseError, text: string): PulseError {
  return new PulseError('restore-failed', `restore stopped and was rolled back: since the pre-flight, ${refused.message.replace(/^the target has/, 'the target has gained')}`, {
    hint: refused.hint && mapWords(refused.hint, (words) => words.replace('nothing was changed', 'the target is unchanged')),
    details: text,
  });
}

/**
 * Another session holds what the restore must lock: found idle before
 * anything ('would wait for'), waited for while the plan read the tables
 * ('waited before changing anything'), or waited for inside the restore's
 * transaction ('waited for').
 */
export function lockHeldError(
  holders: readonly LockHolder[],
  when: 'would wait for' | 'waited before changing anything' | 'waited for' | 'waited for, not one transaction',
  timeoutMs: number,
  relation?: string | null,
): PulseError {
  const who = holders.slice(0, 2).map(describeLockHolder).join('; ');
  const more = holders.length > 2 ? `; and ${holders.length - 2} more` : '';
  const seconds = Math.round(timeoutMs / 100) / 10;
  const heldBy = holders.length > 0 ? `held by ${who}${more}` : 'another session held it (it has let go since)';
  const message =
    when === 'would wait for'
      ? `another session holds locks on tables this restore must change, in an idle transaction: ${who}${more}`
      : when === 'waited before changing anything'
        ? `restore gave up after waiting ${seconds} s to read ${relation ?? 'a table it must change'}, before changing anything: ${heldBy}`
        : `restore gave up after waiting ${seconds} s for a lock${relation ? ` on ${relation}` : ''}${when === 'waited for' ? ' and was rolled back' : ''}: ${heldBy}`;
  const end = holders.length > 0 ? `end that transaction (or ${endSessionWords(holders[0], 'the session')})` : 'let the other session finish';
  // A transaction sitting idle lets go only when its application ends it: waiting longer changes nothing.
  const idle = when === 'would wait for' || (holders.length > 0 && holders.every((holder) => holder.state?.startsWith('idle in transaction')));
  const advice = idle ? hint`${end}` : hint`${end}${commandLineOnly(hint`, or give it more time with ${option('lockTimeout', 'SECONDS')}`)}`;
  // A restore with jobs is not one transaction: what became of the database is said by what dropped its work again (parallel.ts).
  if (when === 'waited for, not one transaction') return new PulseError('restore-failed', message, { hint: advice });
  return new PulseError(when === 'waited for' ? 'restore-failed' : 'restore-refused', message, {
    hint: hint`${advice}; ${when === 'waited for' ? 'the target is unchanged' : 'nothing was changed'}`,
  });
}

/** Where psql's "psql:SOURCE:LINE:" points in the restored file, if there. */
export type ErrorLocation = (source: string, line: number) => number | undefined;

export interface PsqlFailureContext {
  file: string;
  /** What decrypts the file, when it is encrypted. */
  keys?: SetKeys | undefined;
  target: ConnectionTarget;
  lineOf: ErrorLocation;
  lockBudget: LockBudget;
  lockTimeoutMs: number;
  /** Who holds locks on what the restore locks, asked once psql has failed on a lock wait. */
  findHolders: () => Promise<LockHolder[]>;
  /** How the restore meets what the target has: what psql's error can mean, and what helps, depend on it. */
  restore: RestoreFailureFacts;
}

/** What a failed restore was doing, beside psql's error. */
export interface RestoreFailureFacts {
  mode: RestoreMode;
  /** --clean was given: what the set brings was dropped or emptied first. */
  clean: boolean;
  /** psql's CONTEXT line: for a row of a COPY, the table, the line and often the column (`COPY machines, line 1, column code: "A-1"`). */
  context?: string | undefined;
}

/**
 * psql's warning for a GRANT or REVOKE the restoring role may not give in
 * full: it holds some privileges on the object but neither owns it nor
 * holds them WITH GRANT OPTION (schema public, whose owner is the
 * database's, for a role that is not; an extension's functions). The
 * statement succeeds, the privilege is missing, and the restore would end
 * "restored" with the target short of the set's grants.
 */
export const PRIVILEGE_WARNING = /WARNING:\s+((?:no|not all) privileges (?:were granted|could be revoked) for "((?:[^"]|"")*)")/;

/** The restore as failed when psql warned that a GRANT or REVOKE was not given in full (PRIVILEGE_WARNING); undefined when it did not. */
export async function privilegesNotGivenError(
  warnings: readonly string[],
  context: { file: string; keys?: SetKeys | undefined; user: string; lineOf: ErrorLocation },
): Promise<PulseError | undefined> {
  const first = warnings.map((line) => ({ line, found: PRIVILEGE_WARNING.exec(line) })).find((warning) => warning.found !== null);
  if (!first?.found) return undefined;
  const location = /^psql:(.*?):(\d+):/.exec(first.line);
  const fileLine = location ? context.lineOf(location[1], Number(location[2])) : undefined;
  const where = fileLine !== undefined && fileLine > 0 ? ` (line ${fileLine} of ${context.file})` : '';
  // The ACL entry names the object with its kind ("SCHEMA public", "FUNCTION f(integer)"); psql's warning, only its name.
  const entry = fileLine !== undefined && fileLine > 0 ? await entryAtLine(context.file, fileLine, context.keys).catch(() => undefined) : undefined;
  const object = entry?.type === 'ACL' ? entryObjectName(entry) : first.found[2].replace(/""/g, '"');
  return new PulseError(
    'restore-failed',
    `restore failed and was rolled back: ${context.user} may not grant and revoke all the set does: ${first.found[1]}${where}${warnings.length > 1 ? `, and ${countOf(warnings.length - 1, 'more such warning')}` : ''}`,
    {
      hint: hint`connect as the owner of ${object} (or a role that holds its privileges WITH GRANT OPTION) or a superuser: psql only warns about a privilege it could not give, and the target would lack it; the target is unchanged`,
      details: warnings.join('\n'),
    },
  );
}

/** psql's first ERROR, explained in one line; the rest goes to the details. */
export async function psqlError(stderrLines: readonly string[], context: PsqlFailureContext): Promise<PulseError> {
  const text = stderrLines.join('\n');
  // The server ended a session that was under way: not a problem with the host or port.
  const lost = lostConnectionReason(text);
  if (lost) return restoreConnectionLostError(lost, text);
  if (/connection to server|could not connect|password authentication failed|timeout expired/i.test(text) && !/ERROR:/.test(text)) {
    return describeConnectionError(new Error(text), context.target);
  }
  const errorIndex = stderrLines.findIndex((line) => /ERROR:|FATAL:/.test(line));
  const errorLine = errorIndex >= 0 ? stderrLines[errorIndex] : (stderrLines[stderrLines.length - 1] ?? 'psql failed');
  const location = /^psql:(.*?):(\d+):/.exec(errorLine);
  const fileLine = location ? context.lineOf(location[1], Number(location[2])) : undefined;
  const message = errorLine.replace(/^psql:.*?:\d+:\s*/, '').replace(/^(ERROR|FATAL):\s*/, '');
  const following = stderrLines.slice(errorIndex + 1);
  if (/out of shared memory/.test(message) && following.some((line) => /max_locks_per_transaction/.test(line))) {
    return lockBudgetError(context.lockBudget, 'during', text);
  }
  if (/canceling statement due to lock timeout/.test(message)) {
    const holders = await context.findHolders().catch(() => []);
    const error = lockHeldError(holders, 'waited for', context.lockTimeoutMs);
    return new PulseError(error.code, error.message, { hint: error.hint, details: text });
  }
  if (message.startsWith(OUTSIDE_DEPENDENTS_MARK)) {
    const outside = message
      .slice(OUTSIDE_DEPENDENTS_MARK.length)
      .split('; ')
      .map((description) => ({ description: description.trim(), dependsOn: null }));
    return gainedSincePreflight(outsideDependentsError(outside, 'replace'), text);
  }
  if (message.startsWith(ROWS_SINCE_PLAN_MARK)) {
    const withRows = JSON.parse(message.slice(ROWS_SINCE_PLAN_MARK.length)) as { schema: string; name: string; rows: number }[];
    const refused = rowsInTheWayError(withRows, 0);
    return new PulseError('restore-failed', `restore stopped and was rolled back: since the plan, another session wrote rows into the tables it loads: ${refused.message}`, {
      hint: refused.hint && mapWords(refused.hint, (words) => words.replace('nothing was changed', 'the target is unchanged')),
      details: text,
    });
  }
  if (message.startsWith(PLATFORM_REFERENCES_MARK)) {
    const referencing = JSON.parse(message.slice(PLATFORM_REFERENCES_MARK.length)) as OutsideDependent[];
    return gainedSincePreflight(platformReferencesError(referencing), text);
  }
  if (message.startsWith(OUTSIDE_REFERENCES_MARK)) {
    const outside = JSON.parse(message.slice(OUTSIDE_REFERENCES_MARK.length)) as OutsideDependent[];
    return gainedSincePreflight(outsideDependentsError(outside, 'empty'), text);
  }
  const where = fileLine !== undefined && fileLine > 0 ? ` (line ${fileLine} of ${context.file})` : '';
  const detail = following.find((line) => line.startsWith('DETAIL:'));
  const facts: RestoreFailureFacts = { ...context.restore, context: following.find((line) => line.startsWith('CONTEXT:')) };
  // An ownership or permission error inside an entry of a platform schema is about the platform.
  const entry = fileLine !== undefined && /permission denied|must be owner/.test(message) ? await entryAtLine(context.file, fileLine, context.keys) : undefined;
  const advice = entry && SUPABASE_PLATFORM_SCHEMAS.includes(entry.schema) ? platformEntryHint(entry) : restoreHint(message, detail, facts);
  return new PulseError('restore-failed', `restore failed and was rolled back: ${message}${where}`, {
    hint: hint`${advice}; the target is unchanged`,
    details: text,
  });
}

/** The archive entry (its header) that a line of a dump file belongs to; read only up to that line. */
export async function entryAtLine(file: string, line: number, keys?: SetKeys): Promise<EntryHeader | undefined> {
  const input = setFileStream(file, { keys });
  input.setEncoding('utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  let current: EntryHeader | undefined;
  let number = 0;
  try {
    for await (const text of lines) {
      number += 1;
      if (number > line) break;
      if (text.startsWith('-- ')) current = parseEntryHeader(text) ?? current;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return current;
}

/** An ownership or permission error in an entry of a platform schema: the platform's object, not the application's. */
export function platformEntryHint(entry: EntryHeader): Hint {
  return hint`${entry.schema}.${entry.name} (${entry.type.toLowerCase()}) belongs to the Supabase platform, and its roles own it: restore a set made with ${option('profile', 'supabase')} (the default for Supabase databases), which leaves the platform's objects alone, or connect as a superuser`;
}

/** What to do when a data restore's rows no longer fit the target's tables: before (decide.ts) and in psql's failure alike. */
export const SCHEMA_CHANGED_ADVICE = hint`the target's schema changed since the backup (a migration?): restore ${option('restoreMode', 'complete')} into an empty database, or bring the target's schema back to the backup's first`;

/**
 * psql's errors for a value of a row that the column's type does not take
 * (class 22, data exception): a column whose type changed since the backup.
 */
const VALUE_MISFIT =
  /^(invalid input syntax for type|invalid input value for enum|value too long for type|numeric field overflow|malformed (array|range|record) literal|.* out of range|value ".*" is out of range)/;

/** What to do about a collation the target lacks, in the words of the pre-flight check and of psql's failure. */
export const missingCollationsAdvice =
  "install its locale on the target server's machine (or restore on a server whose operating system and ICU library have it, as the backup's did), then have a superuser import it: SELECT pg_catalog.pg_import_system_collations('pg_catalog'); in the target database";

/** What to do about psql's first error, in one line. Exported for its tests. */
export function restoreHint(message: string, detail: string | undefined, facts?: RestoreFailureFacts): Hint {
  const platform = platformObjectHint(message);
  if (platform) return platform;
  // The server's disk, not this machine's: a table or an index had no room to grow (a WAL with no room stops the server: a lost session).
  if (/No space left on device|Disk quota exceeded/.test(message)) {
    // Rows COPY added to a table that existed before the transaction stay in its file, dead, until VACUUM: a new table's file goes with the rollback.
    const deadRows =
      facts?.mode === 'data' && !facts.clean ? ": the rows loaded before the failure are rolled back, yet keep their room in the target's tables until VACUUM runs on them" : '';
    return hint`the database server's disk is full${deadRows}: free some space on the server (its log names the file it could not grow), then run it again`;
  }
  // A collation of the source server's locales or ICU library (pg_catalog's), or a locale a CREATE COLLATION of the set names.
  const collation = /collation "(?:pg_catalog\.)?([^"]+)" for encoding "[^"]+" does not exist/.exec(message)?.[1];
  if (collation) return hint`the target database has no collation ${collation}: ${missingCollationsAdvice}`;
  const locale = /could not create locale "([^"]+)"/.exec(message)?.[1];
  if (locale)
    return hint`the target server's machine has no locale ${locale}, which a collation of the set is made from: install it there (and restart the server), or restore on a server that has it`;
  const role = /role "([^"]+)" does not exist/.exec(message);
  if (role) return hint`create the role first (CREATE ROLE ${quoteIdentifier(role[1])};), or restore on the server the backup came from`;
  // A data restore's rows into tables whose columns changed since the backup (sets without digests are not checked before).
  const noColumn = /column "([^"]+)" of relation "([^"]+)" does not exist/.exec(message);
  if (noColumn) return hint`the target's table ${noColumn[2]} has no column ${noColumn[1]}, which the backup's rows hold: ${SCHEMA_CHANGED_ADVICE}`;
  const emptyRequired = /null value in column "([^"]+)" of relation "([^"]+)" violates not-null constraint/.exec(message);
  if (emptyRequired) return hint`the target's table ${emptyRequired[2]} requires ${emptyRequired[1]}, which a row of the backup leaves empty: ${SCHEMA_CHANGED_ADVICE}`;
  // A check the backup's rows break: they met the backup's own checks when they were dumped.
  const check = /new row for relation "([^"]+)" violates check constraint "([^"]+)"/.exec(message);
  if (check && facts?.mode === 'data') return hint`the target's table ${check[1]} has a check, ${check[2]}, that a row of the backup breaks: ${SCHEMA_CHANGED_ADVICE}`;
  const copyColumn = /^CONTEXT:\s+COPY (\S+), line \d+, column ([^:]+):/.exec(facts?.context ?? '');
  if (copyColumn && VALUE_MISFIT.test(message)) return hint`the target's column ${copyColumn[1]}.${copyColumn[2]} does not take the backup's values: ${SCHEMA_CHANGED_ADVICE}`;
  // The set's text (client_encoding) holds a character the target database's encoding has no room for.
  const encodings = /in encoding "([^"]+)" has no equivalent in encoding "([^"]+)"/.exec(message);
  if (encodings) {
    const [, from, to] = encodings;
    return hint`the target database's encoding, ${to}, cannot hold every character of the set (${from}): restore into a database made in ${from === 'UTF8' ? from : `${from} or UTF8`} (CREATE DATABASE … ENCODING '${from}' TEMPLATE template0)`;
  }
  if (/cannot drop .* because other objects depend on (it|them)/.test(message)) {
    return hint`other objects depend on it${detail ? ` (${detail.replace(/^DETAIL:\s*/, '').split('\n')[0]})` : ''}: drop or move them first, or restore into an empty database`;
  }
  if (/already exists/.test(message))
    return hint`the target already has this object and ${option('clean')} does not replace its kind (operators, casts, operator classes and families, languages, access methods, transforms, user mappings): drop it first, or restore into an empty database`;
  const setting = /permission denied to set parameter "([^"]+)"/.exec(message)?.[1];
  if (setting && !supabaseAllowsSetting(setting)) {
    return hint`only a superuser may set ${setting} (on a Supabase stack, postgres may set only ${SUPABASE_ALLOWED_SETTINGS.join(', ')}): connect as a superuser, or restore a set that does not set it`;
  }
  // pg_dump's files load with row_security off, which fails where a policy applies to the role instead of leaving rows out.
  const policed = /query would be affected by row-level security policy for table "([^"]+)"/.exec(message)?.[1];
  if (policed) {
    return [
      `row-level security applies to the restoring role on table ${policed} (the set's rows load with row_security off, as pg_dump writes them): restore as a superuser or a role with BYPASSRLS, or as the table's owner where the table does not FORCE ROW LEVEL SECURITY`,
    ];
  }
  // Only a superuser may own an event trigger: one the source let a demoted role keep (a Supabase stack's issue_pg_net_access, postgres's) no role can restore as it was.
  const eventTrigger = /permission denied to change owner of event trigger "((?:[^"]|"")+)"/.exec(message)?.[1];
  if (eventTrigger) {
    return hint`the set gives event trigger ${eventTrigger} an owner that is not a superuser, and PostgreSQL lets only a superuser own one, so no role can restore it as it is: on a Supabase stack the trigger is the platform's, so restore a set made with ${option('profile', 'supabase')} (the default for Supabase databases), which leaves it to the platform; elsewhere make its owner a superuser (ALTER EVENT TRIGGER … OWNER TO …) and back up again`;
  }
  if (/permission denied|must be owner|must be superuser|must be member of role/.test(message)) return ['connect as the owner of these objects or a superuser'];
  // Two sessions changing one catalog row at once: the server fails the later one instead of making it wait.
  if (/tuple concurrently (updated|deleted)/.test(message) || /duplicate key value violates unique constraint "pg_\w+_index"/.test(message)) {
    return ['another session changed the same definitions at the same moment (a migration, or a restore by another tool): let it finish, check the database and run again'];
  }
  // A foreign key into a table a data --clean empties: the check inside the transaction names it first; emptying its table never helps.
  if (/cannot truncate a table referenced in a foreign key constraint/.test(message)) {
    const tables = /Table "((?:[^"]|"")+)" references "((?:[^"]|"")+)"/.exec(detail ?? '');
    const who = tables ? `table ${tables[1]}, which the backup does not have, references ${tables[2]}` : 'a table the backup does not have references one it empties';
    return [`${who}: drop that foreign key (ALTER TABLE … DROP CONSTRAINT …;) or its table first, or restore into a copy without it`];
  }
  if (/violates|duplicate key/.test(message)) {
    // A data restore loads only into tables the pre-flight found empty, or emptied (--clean): the rows meet nothing the backup did not have, unless the target changed.
    if (facts?.mode === 'data' && /violates foreign key constraint/.test(message)) {
      return hint`a row of the backup refers to one the target does not have: a foreign key added since the backup (a migration?), or one to a table the set does not hold: restore ${option('restoreMode', 'complete')} into an empty database, or bring the target's schema back to the backup's first`;
    }
    if (facts?.mode === 'data') {
      return hint`the tables it loads were empty first, so a constraint or unique index added since the backup (a migration?), or rows a trigger or another session added as it loaded, clash with the backup's: restore ${option('restoreMode', 'complete')} into an empty database, or bring the target's schema back to the backup's first`;
    }
    if (facts?.clean) return hint`the data does not fit what is in the target: restore into an empty database`;
    return hint`the data does not fit what is in the target: ${commandLineOnly(hint`pass ${option('clean')} to replace it, or `)}restore into an empty database`;
  }
  if (/invalid command \\restrict/.test(message))
    return hint`this psql is too old for these files: use psql from 13.22, 14.19, 15.14, 16.10, 17.6 or newer (${option('clientToolsFolder')})`;
  return [seeDetails("psql's full output")];
}

/**
 * Errors that come from objects the Supabase platform owns: its roles, its
 * schemas, its tables. They say what the set tried to touch and that the
 * Supabase profile leaves those to the platform.
 */
function platformObjectHint(message: string): Hint | undefined {
  const role = /role "([^"]+)" does not exist/.exec(message) ?? /must be member of role "([^"]+)"/.exec(message);
  // postgres is the stack's too, but every plain PostgreSQL has it: not a sign of the platform.
  if (role && role[1] !== 'postgres' && isSupabaseReservedRole(role[1])) {
    return hint`this set holds Supabase platform objects (owned by ${role[1]}), which only a Supabase database has and only the platform may change: restore into one (supabase start), or back up with ${option('profile', 'supabase')} (the default for Supabase databases), which leaves the platform's objects to the platform`;
  }
  const schemaOf = /(?:permission denied for schema|must be owner of schema) "?([A-Za-z0-9_]+)/.exec(message)?.[1];
  if (schemaOf && SUPABASE_PLATFORM_SCHEMAS.includes(schemaOf)) {
    return hint`${schemaOf} belongs to the Supabase platform, and its roles own what is in it: restore a set made with ${option('profile', 'supabase')} (the default for Supabase databases), which leaves the platform's objects alone, or connect as a superuser`;
  }
  return undefined;
}
