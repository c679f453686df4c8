/**
 * What a restore will replace, or why it must not run: a pure decision over
 * what the pre-flight found in the target (plan.ts gathers it). Every
 * refusal here happens before anything changes, so each says "nothing was
 * changed"; what needs one more look at the target (who depends on what
 * --clean drops or empties) comes back as a check for the planner to run.
 */
import { PulseError } from '../errors';
import { commandLineOnly, hint, option } from '../hint';
import { listNames, rowsInTheWayError, SCHEMA_CHANGED_ADVICE } from './failures';
import { quoteIdentifier } from '../sql';
import { replacedByClean } from './prolog';
import type { DumpObject, ExistingObject, TargetColumn } from './target';
import { qualifiedName } from '../format';
import type { PlatformPieces, RestoreMode } from './types';

export interface ReplaceInput {
  mode: RestoreMode;
  clean: boolean;
  /** The objects the set's files create. */
  objects: readonly DumpObject[];
  /** Those of them the target has already. */
  existing: readonly ExistingObject[];
  platform: PlatformPieces;
  /** The restoring role may SET session_replication_role (a superuser, or granted it). */
  maySilenceTriggers: boolean;
  user: string;
}

export interface ReplaceDecision {
  /** What the restore replaces (complete, schema) or empties (data), shown to the person confirming. */
  replaced: ExistingObject[];
  /** Whether the load runs with triggers and foreign-key checks quiet (session_replication_role = replica). */
  silenceTriggers: boolean;
  /** What --clean needs checked in the target: nothing outside the set may depend on what it empties or drops. */
  check: 'empty' | 'replace' | undefined;
  /** Tables a data restore with --clean empties (their drop names), for the 'empty' check. */
  emptied: string[];
}

export function decideReplaced(input: ReplaceInput): ReplaceDecision {
  const { mode, clean, objects, existing, platform } = input;
  const silenceTriggers = mode === 'data' || (mode === 'complete' && platform.tables.length > 0);

  if (mode === 'data') {
    const backupTables = objects.filter((object) => object.type === 'TABLE');
    const presentTables = existing.filter((object) => object.kind === 'table');
    const missing = backupTables.filter((table) => !presentTables.some((present) => present.schema === table.schema && present.name === table.name));
    if (missing.length > 0) {
      throw new PulseError('restore-refused', `the target lacks ${missing.length} of the backup's tables (${listNames(missing)})`, {
        hint: hint`a data restore needs the schema in place: restore with ${option('restoreMode', 'schema')} first, or with ${option('restoreMode', 'complete')}; nothing was changed`,
      });
    }
    const withRows = [...presentTables, ...platform.tables].filter((table) => (table.rows ?? 0) > 0);
    const largeObjects = existing.filter((object) => object.kind === 'large object');
    if (!clean && (withRows.length > 0 || largeObjects.length > 0)) throw rowsInTheWayError(withRows, largeObjects.length);
    return {
      replaced: clean ? [...presentTables, ...platform.tables, ...largeObjects] : [],
      silenceTriggers,
      check: clean ? 'empty' : undefined,
      emptied: clean ? presentTables.map((table) => table.dropName) : [],
    };
  }

  const conflicting = replacedByClean({ existing, mode });
  // A complete restore reloads the platform tables' rows: rows there now would collide.
  const platformRows = mode === 'complete' ? platform.tables.filter((table) => (table.rows ?? 0) > 0) : [];
  const inTheWay = [...platform.attached, ...conflicting, ...platformRows];
  const subscriptions = conflicting.filter((object) => object.kind === 'subscription');
  if (subscriptions.length > 0) throw subscriptionInTheWayError(subscriptions);
  if (inTheWay.length > 0 && !clean) {
    throw new PulseError('restore-refused', `the target already has ${inTheWay.length} of the backup's objects (${listNames(inTheWay)})`, {
      hint: hint`${commandLineOnly(hint`pass ${option('clean')} to replace them (a safety backup is taken before), or `)}restore into an empty database; nothing was changed`,
    });
  }
  // The platform's tables keep their own foreign keys while rows load, and
  // pg_dump loads them by name (auth.identities before auth.users): they
  // load as a data restore does, with triggers and those checks quiet.
  if (silenceTriggers && !input.maySilenceTriggers) {
    throw new PulseError('restore-refused', `${input.user} may not set session_replication_role, which loading the Supabase platform's rows needs`, {
      hint: 'connect as a superuser (or GRANT SET ON PARAMETER session_replication_role TO the user); nothing was changed',
    });
  }
  return {
    replaced: [...platform.attached, ...conflicting, ...(mode === 'complete' ? platform.tables : [])],
    silenceTriggers,
    check: clean && conflicting.length > 0 ? 'replace' : undefined,
    emptied: [],
  };
}

/**
 * Whether psql may read the set's file itself: nothing in it needs
 * rewriting on the way — no large objects (pg_dump's own BEGIN/COMMIT
 * around them), no CREATE SCHEMA for a schema the target has already (a
 * data file creates none), no newer pg_dump's settings an older server
 * rejects, no tablespace to set aside, no container between (its psql cannot read this machine's
 * files), and no encryption (psql reads SQL only).
 */
export function loadsDirectly(input: {
  container: boolean;
  /** Stored encrypted: psql cannot read it, the restore decrypts it on the way. */
  encoded?: boolean;
  hasManifest: boolean;
  largeObjects: number;
  olderServer: boolean;
  mode: RestoreMode;
  existingSchemas: number;
  /** The file's SET default_tablespace lines are rewritten to the default (rewriteForRestore). */
  defaultTablespace?: boolean;
}): boolean {
  return (
    !input.container &&
    !input.encoded &&
    input.hasManifest &&
    input.largeObjects === 0 &&
    !input.olderServer &&
    !input.defaultTablespace &&
    (input.mode === 'data' || input.existingSchemas === 0)
  );
}

/** pg_dump 17 writes SET transaction_timeout, which servers before 17 reject (sets made before their files guarded it). */
export function pgDumpNewerThanServer(pgDumpVersion: string | undefined, serverVersionNum: number): boolean {
  const setPgDumpMajor = Number(/^(\d+)/.exec(pgDumpVersion ?? '')?.[1] ?? 17);
  return setPgDumpMajor >= 17 && serverVersionNum < 170000;
}

/**
 * The note a restore that creates subscriptions gives (complete and schema;
 * none when `objects` has none). pg_dump writes a subscription back disabled
 * and naming the replication slot it streamed from at its publisher: the
 * slot the database the set was made of may still stream from. Enabled
 * where it was restored, it would take that stream's changes away from it;
 * dropped there, it would drop that slot.
 */
export function restoredSubscriptionsNote(objects: readonly DumpObject[]): string | undefined {
  const subscriptions = objects.filter((object) => object.type === 'SUBSCRIPTION');
  if (subscriptions.length === 0) return undefined;
  const one = subscriptions.length === 1;
  const example = quoteIdentifier(subscriptions[0].name);
  return (
    `the backup has the ${one ? 'subscription' : 'subscriptions'} ${subscriptions.map((subscription) => subscription.name).join(', ')}, ` +
    `which ${one ? 'comes back disabled and still names the replication slot at its publisher' : 'come back disabled and still name the replication slots at their publishers'} that the backed-up database streams from: ` +
    `enable ${one ? 'it' : 'them'} only where that stream should now arrive; otherwise first detach ${one ? 'it' : 'each'} (ALTER SUBSCRIPTION ${example} SET (slot_name = NONE)), then drop ${one ? 'it or give it' : 'them or give each'} a slot of its own`
  );
}

/**
 * A subscription of the backup's name is there already (a subscriber's set
 * restored into its own database). A restore never replaces one: dropping
 * a subscription drops its replication slot at the publisher, which may be
 * the one this subscription still streams from, and it cannot be done in
 * the restore's transaction.
 */
function subscriptionInTheWayError(subscriptions: readonly ExistingObject[]): PulseError {
  const one = subscriptions.length === 1;
  const names = subscriptions.map((subscription) => subscription.name).join(', ');
  const example = quoteIdentifier(subscriptions[0].name);
  return new PulseError(
    'restore-refused',
    `the target already has the backup's subscription${one ? '' : 's'} ${names}, which a restore does not replace: dropping a subscription drops its replication slot at the publisher`,
    {
      hint: `drop ${one ? 'it' : 'them'} yourself first if you mean to (ALTER SUBSCRIPTION ${example} DISABLE; ALTER SUBSCRIPTION ${example} SET (slot_name = NONE) keeps the slot; DROP SUBSCRIPTION ${example}), or restore into another database; nothing was changed`,
    },
  );
}

/** A table whose rows a data restore loads, as the set's COPY names its columns (the manifest's digests). */
export interface RowsToLoad {
  schema: string;
  name: string;
  columns: readonly string[];
  rows: number;
}

/**
 * What a data restore's COPY statements would meet in the target's tables,
 * changed since the backup (a migration dropped, renamed or added a column;
 * a newer Supabase stack's auth tables): a column the rows hold that the
 * table no longer has, a generated one they would write, a NOT NULL one
 * without a default they leave empty. Each fails the load in psql; all are
 * named here, before anything. A table the target lacks is not judged here.
 */
export function columnMismatches(tables: readonly RowsToLoad[], target: ReadonlyMap<string, readonly TargetColumn[]>): string[] {
  const found: string[] = [];
  for (const table of tables) {
    const columns = target.get(qualifiedName(table.schema, table.name));
    if (!columns) continue;
    const label = qualifiedName(table.schema, table.name);
    const byName = new Map(columns.map((column) => [column.name, column]));
    const missing = table.columns.filter((name) => !byName.has(name));
    const generated = table.columns.filter((name) => byName.get(name)?.generated);
    // COPY names its columns even for no rows; only rows leave a required column empty.
    const required = table.rows === 0 ? [] : columns.filter((column) => column.required && !table.columns.includes(column.name)).map((column) => column.name);
    if (missing.length > 0) found.push(`${label} has no column ${missing.join(', ')}, which the rows hold`);
    if (generated.length > 0) found.push(`${label}.${generated.join(', ')} ${generated.length === 1 ? 'is a generated column' : 'are generated columns'} now`);
    if (required.length > 0)
      found.push(
        `${label}.${required.join(', ')} ${required.length === 1 ? 'is' : 'are'} NOT NULL without a default, and the rows have no value for ${required.length === 1 ? 'it' : 'them'}`,
      );
  }
  return found;
}

/** How many mismatches a line names before it says "and N more". */
const LISTED_MISMATCHES = 3;

/** The target's tables changed since the backup, in what a data restore's rows would meet: refused before anything. */
export function columnMismatchError(mismatches: readonly string[]): PulseError {
  const more = mismatches.length - LISTED_MISMATCHES;
  return new PulseError(
    'restore-refused',
    `the target's tables differ from the backup's: ${mismatches.slice(0, LISTED_MISMATCHES).join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    {
      hint: hint`${SCHEMA_CHANGED_ADVICE}; nothing was changed`,
    },
  );
}

/**
 * What the restoring role may not do to what the target has already, which
 * the restore must change: drop what a complete or schema `--clean`
 * replaces, and set the owner of a schema the set creates that exists (both
 * need the owner's privileges); insert into the tables a data restore
 * loads, and truncate those its `--clean` empties. Each failed the restore
 * in psql after the safety backup ("must be owner of table …", "permission
 * denied for table …"), or the plan's count of their rows stopped it with
 * no advice. Undefined when it may do all of it.
 */
/** The role that owns what the database's owner owns (`public` in a database made since PostgreSQL 15): its members are set by ALTER DATABASE, never GRANT. */
const DATABASE_OWNER = 'pg_database_owner';

/** What makes `user` hold the owners' privileges: membership, and for pg_database_owner the database itself. */
function membership(owners: ReadonlySet<string>, user: string, database: string): string {
  const roles = [...owners].filter((owner) => owner !== DATABASE_OWNER);
  return [
    ...(roles.length > 0 ? [`make ${user} a member: ${roles.map((owner) => `GRANT ${quoteIdentifier(owner)} TO ${quoteIdentifier(user)};`).join(' ')}`] : []),
    ...(owners.has(DATABASE_OWNER) ? [`make ${user} the database's owner: ALTER DATABASE ${quoteIdentifier(database)} OWNER TO ${quoteIdentifier(user)};`] : []),
  ].join(' and ');
}

export function accessRefusal(input: { mode: RestoreMode; clean: boolean; existing: readonly ExistingObject[]; user: string; database: string }): PulseError | undefined {
  const { mode, clean, existing, user, database } = input;
  const named = (object: ExistingObject) => `${object.kind} ${object.kind === 'schema' ? object.name : listNames([object])} (${object.access?.owner ?? '?'}'s)`;
  const problems: string[] = [];
  const grants: string[] = [];
  const owners = new Set<string>();
  if (mode !== 'data') {
    const dropped = clean ? replacedByClean({ existing, mode }).filter((object) => object.access && !object.access.owned) : [];
    const schemas = existing.filter((object) => object.kind === 'schema' && object.access && !object.access.owned);
    if (dropped.length > 0) problems.push(`${user} does not own ${dropped.slice(0, 5).map(named).join(', ')}${dropped.length > 5 ? ', …' : ''}, which --clean drops`);
    if (schemas.length > 0) problems.push(`${user} does not own ${schemas.slice(0, 5).map(named).join(', ')}, whose owner the set sets`);
    for (const object of [...dropped, ...schemas]) owners.add(object.access!.owner);
  } else {
    const tables = existing.filter((object) => object.kind === 'table' && object.access);
    const lacking = tables.filter((table) => !table.access!.insert || (clean && !table.access!.truncate));
    for (const table of lacking) {
      const missing = [...(table.access!.insert ? [] : ['INSERT']), ...(clean && !table.access!.truncate ? ['TRUNCATE'] : [])];
      grants.push(`GRANT ${missing.join(', ')} ON ${table.dropName} TO ${quoteIdentifier(user)};`);
      owners.add(table.access!.owner);
    }
    if (lacking.length > 0)
      problems.push(`${user} may not ${clean ? 'empty and load' : 'load rows into'} ${lacking.slice(0, 5).map(named).join(', ')}${lacking.length > 5 ? ', …' : ''}`);
  }
  if (problems.length === 0) return undefined;
  const who = [...owners].join(', ');
  return new PulseError('restore-refused', problems.join('; and '), {
    hint:
      grants.length > 0
        ? hint`have ${owners.size === 1 ? 'its owner' : 'their owners'} grant it first (${grants.slice(0, 5).join(' ')}${grants.length > 5 ? ' …' : ''}), or restore as ${who} or a superuser; nothing was changed`
        : hint`restore as ${who.replace(DATABASE_OWNER, "the database's owner")} or a superuser (or have a superuser ${membership(owners, user, database)}); nothing was changed`,
  });
}
