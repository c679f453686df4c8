/**
 * The scratch databases a proof restores a set into: created under a
 * reserved name (`pulse_prove_<token>_<path>`), dropped when the proof ends
 * however it ends, and — should a run be killed before it could drop them —
 * found by that name and dropped by the next proof on the server.
 *
 * A live proof is told from a dead one's leftovers by a session-level
 * advisory lock its control session holds for as long as it runs, keyed by
 * the token in the names: the server lets go of it the moment that session
 * ends, however the process ended. A database whose lock nobody holds is a
 * leftover.
 */
import { commandLineOnly, hint, option, setOption } from '../hint';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { describeServer, type ConnectionTarget } from '../connection/target';
import { describeConnectionError } from '../connection/failures';
import { openSession } from '../connection/session';
import { PulseError } from '../errors';
import { quoteIdentifier, quoteLiteral } from '../sql';
import type { OutputSettings } from '../backup/snapshot';
import type { DumpEntry } from '../verify/dumpScan';
import { outputSettingsOf } from './setContent';
import {
  CATALOG_COLLATIONS_SQL,
  createRolesAdvice,
  createTablespacesAdvice,
  installExtensionsAdvice,
  listRoles,
  INHERITS_SQL,
  MAY_BECOME_SQL,
  missingNames,
  SUPERUSER_FACTS_SQL,
  superuserCheck,
  superuserSettingsSql,
  NO_OWNERS,
  type SetOwners,
} from '../verify/checks';

export const SCRATCH_PREFIX = 'pulse_prove_';
/** The first key of every proof's advisory lock ("puls"), so no other application's lock is mistaken for one. */
export const SCRATCH_LOCK_CLASS = 0x70756c73;

/** A new token: 8 hex digits, the first 7 of which key the advisory lock. */
export function newScratchToken(): string {
  return randomBytes(4).toString('hex');
}

/** `pulse_prove_1a2b3c4d_complete`, `…_schema_then_data`: the path's name in letters and underscores. */
export function scratchName(token: string, path: string): string {
  return `${SCRATCH_PREFIX}${token}_${path.replace(/[^a-z]+/g, '_')}`;
}

/** The token of a scratch database's name, or undefined for any other name. */
export function scratchToken(name: string): string | undefined {
  return new RegExp(`^${SCRATCH_PREFIX}([0-9a-f]{8})_[a-z_]+$`).exec(name)?.[1];
}

/** The second key of a proof's advisory lock (fits a positive int4). */
export function scratchLockKey(token: string): number {
  return Number.parseInt(token.slice(0, 7), 16);
}

/** What the sweep found: the leftovers it dropped, and those it could not (with why). */
export interface SweepResult {
  dropped: string[];
  kept: { name: string; why: string }[];
}

/**
 * Which leftovers to drop: scratch databases whose proof holds no lock any
 * more. Pure: the names on the server and the lock keys held.
 */
export function leftoverScratchDatabases(names: readonly string[], heldKeys: ReadonlySet<number>, ownToken: string): string[] {
  return names.filter((name) => {
    const token = scratchToken(name);
    return token !== undefined && token !== ownToken && !heldKeys.has(scratchLockKey(token));
  });
}

/** The one session of a proof that creates and drops its databases, and whose lock says it is alive. */
export class ScratchControl {
  readonly token = newScratchToken();
  private readonly created = new Set<string>();
  /** CREATE DATABASE statements under way: close() waits for them, so that none ends after it has dropped what there was. */
  private readonly creating = new Set<Promise<unknown>>();

  private constructor(
    private readonly client: pg.Client,
    readonly target: ConnectionTarget,
  ) {}

  static async open(target: ConnectionTarget, signal?: AbortSignal): Promise<ScratchControl> {
    let client: pg.Client;
    try {
      client = await openSession(target, { applicationName: 'pulse-backup prove', ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw new PulseError('cancelled', 'proof cancelled', { hint: 'nothing was created' });
      throw error;
    }
    const control = new ScratchControl(client, target);
    try {
      await client.query('SELECT pg_catalog.pg_advisory_lock($1::int4, $2::int4)', [SCRATCH_LOCK_CLASS, scratchLockKey(control.token)]);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw describeConnectionError(error, target);
    }
    return control;
  }

  /** The server's version, as server_version_num. */
  async serverVersionNum(): Promise<number> {
    const result = await this.client.query<{ version: string }>("SELECT current_setting('server_version_num') AS version");
    return Number(result.rows[0].version);
  }

  /** The server's defaults for how rows come out as text (for a set that recorded none). */
  outputSettings(): Promise<OutputSettings> {
    return outputSettingsOf(this.client);
  }

  /**
   * Refuses, in one line naming who can, when this role may not create
   * databases, or the server takes no changes at all, or it lacks an
   * extension the set creates or a role it names (`needs`): a new database
   * there could not hold the set, whatever the set is like.
   */
  async assertMayCreate(needs: SetNeeds = { extensions: [], roles: [], tablespaces: [], collations: [], owners: NO_OWNERS, superuserOnly: [] }): Promise<void> {
    const result = await this.client.query<{
      may: boolean;
      others: string[];
      standby: boolean;
      read_only: boolean;
      extensions: string[];
      roles: string[];
      tablespaces: string[];
      collations: string[];
      superuser: boolean;
      may_become: string[];
      inherits: Record<string, string[]> | null;
      version_num: string;
      untrusted_languages: string[];
      superuser_extensions: string[];
      privileged_extensions: string[] | null;
      may_subscribe: boolean;
    }>(
      `SELECT COALESCE((SELECT rolcreatedb OR rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false) AS may,
              ARRAY(SELECT rolname::text FROM pg_catalog.pg_roles WHERE (rolcreatedb OR rolsuper) AND rolcanlogin
                     ORDER BY rolsuper DESC, rolname LIMIT 3) AS others,
              pg_catalog.pg_is_in_recovery() AS standby,
              pg_catalog.current_setting('default_transaction_read_only') = 'on' AS read_only,
              ARRAY(SELECT name::pg_catalog.text FROM pg_catalog.pg_available_extensions) AS extensions,
              ARRAY(SELECT rolname::pg_catalog.text FROM pg_catalog.pg_roles) AS roles,
              ARRAY(SELECT spcname::pg_catalog.text FROM pg_catalog.pg_tablespace) AS tablespaces,
              ${CATALOG_COLLATIONS_SQL} AS collations,
              COALESCE((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false) AS superuser,
              ${MAY_BECOME_SQL} AS may_become,
              ${INHERITS_SQL} AS inherits,
              ${SUPERUSER_FACTS_SQL},
              pg_catalog.current_setting('server_version_num') AS version_num`,
    );
    const row = result.rows[0];
    if (row.standby || row.read_only) throw takesNoChangesError(this.target, row.standby);
    if (!row.may) throw cannotCreateError(this.target, row.others);
    const missing = {
      extensions: missingNames(needs.extensions, row.extensions),
      roles: missingNames(needs.roles, row.roles),
      tablespaces: missingNames(needs.tablespaces, row.tablespaces),
      collations: needs.collations.filter((name) => !row.collations.includes(name)),
    };
    if (missing.extensions.length + missing.roles.length + missing.tablespaces.length + missing.collations.length > 0) throw lacksWhatTheSetNeedsError(this.target, missing);
    if (!row.superuser) {
      const owners = ownersAProofCannotGive(needs.owners, this.target.user, row.may_become, row.inherits ?? {}, Number(row.version_num));
      if (owners.length > 0) throw cannotGiveOwnersError(this.target, owners);
      // A scratch database has no extension but plpgsql, which the set does not comment.
      const settings = (await this.client.query<{ names: string[] }>(superuserSettingsSql(Math.floor(Number(row.version_num) / 10000)))).rows[0].names;
      const superuserOnly = superuserCheck(needs.superuserOnly, {
        superuserSettings: settings,
        currentUser: this.target.user,
        superuser: false,
        inherits: row.inherits ?? {},
        untrustedLanguages: row.untrusted_languages,
        installedExtensions: {},
        superuserExtensions: row.superuser_extensions,
        privilegedExtensions: row.privileged_extensions ?? [],
        maySubscribe: row.may_subscribe,
      });
      if (superuserOnly.status === 'fail') throw needsSuperuserError(this.target, superuserOnly.detail);
    }
  }

  /** Drops what killed proofs left on this server; never a live proof's databases. */
  async sweep(): Promise<SweepResult> {
    const [databases, locks] = await Promise.all([
      this.client.query<{ name: string }>(
        `SELECT datname AS name FROM pg_catalog.pg_database WHERE datname LIKE ${quoteLiteral(`${SCRATCH_PREFIX.replace(/_/g, '\\_')}%`)} ORDER BY 1`,
      ),
      this.client.query<{ key: string }>(`SELECT objid::text AS key FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND classid = $1::oid AND objsubid = 2`, [
        SCRATCH_LOCK_CLASS,
      ]),
    ]);
    const held = new Set(locks.rows.map((row) => Number(row.key)));
    const result: SweepResult = { dropped: [], kept: [] };
    for (const name of leftoverScratchDatabases(
      databases.rows.map((row) => row.name),
      held,
      this.token,
    )) {
      try {
        await this.dropDatabase(name);
        result.dropped.push(name);
      } catch (error) {
        result.kept.push({ name, why: error instanceof Error ? error.message : String(error) });
      }
    }
    return result;
  }

  /**
   * Creates an empty database (from template0) for one way of restoring;
   * `encoding` is the set's. Creates run at once: one while another is
   * under way gets a session of its own, as copying template0 takes a
   * while (0.2–1 s on a busy server) and each way of a proof starts loading
   * as soon as its database is there.
   */
  async create(path: string, encoding: string): Promise<string> {
    const name = scratchName(this.token, path);
    this.created.add(name);
    const creating = this.createOn(name, encoding, this.creating.size > 0);
    this.creating.add(creating);
    try {
      await creating;
    } finally {
      this.creating.delete(creating);
    }
    return name;
  }

  private async createOn(name: string, encoding: string, ownSession: boolean): Promise<void> {
    const helper = ownSession ? await openSession(this.target, { applicationName: 'pulse-backup prove' }) : undefined;
    const client = helper ?? this.client;
    const create = (locale: string) => client.query(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE template0 ENCODING ${quoteLiteral(encoding)}${locale}`);
    try {
      await create('');
    } catch (error) {
      // The server's default locale may not go with the set's encoding (a SQL_ASCII or LATIN1 database): C goes with any.
      if (!/incompatible with|does not match locale/i.test(String((error as Error).message))) throw scratchError('create', name, this.target, error);
      try {
        await create(" LOCALE 'C'");
      } catch (again) {
        throw scratchError('create', name, this.target, again);
      }
    } finally {
      await helper?.end().catch(() => undefined);
    }
  }

  /** Drops one scratch database, ending any session still in it. */
  async drop(name: string): Promise<void> {
    await this.dropDatabase(name);
    this.created.delete(name);
  }

  /**
   * A subscription the set held is restored as pg_dump writes it: disabled,
   * with its slot's name, and a database with a subscription cannot be
   * dropped. Each is first detached from its slot, so that dropping it never
   * reaches the publisher, where that slot is the real subscriber's.
   */
  private async dropDatabase(name: string): Promise<void> {
    const subscriptions = await this.client.query<{ name: string }>(
      `SELECT s.subname AS name FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.subdbid
        WHERE d.datname OPERATOR(pg_catalog.=) $1 ORDER BY 1`,
      [name],
    );
    if (subscriptions.rows.length > 0) {
      // ALTER and DROP SUBSCRIPTION work only in the subscription's own database.
      const session = await openSession(this.targetFor(name), { applicationName: 'pulse-backup prove' });
      try {
        for (const subscription of subscriptions.rows) {
          const id = quoteIdentifier(subscription.name);
          await session.query(`ALTER SUBSCRIPTION ${id} DISABLE`);
          await session.query(`ALTER SUBSCRIPTION ${id} SET (slot_name = NONE)`);
          await session.query(`DROP SUBSCRIPTION ${id}`);
        }
      } finally {
        await session.end().catch(() => undefined);
      }
    }
    await this.client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  }

  /** Drops every database this proof created (what is left to drop), then ends the session; the names it could not drop. */
  async close(): Promise<string[]> {
    await Promise.allSettled([...this.creating]);
    const left: string[] = [];
    for (const name of [...this.created]) {
      try {
        await this.drop(name);
      } catch {
        left.push(name);
      }
    }
    await this.client.end().catch(() => undefined);
    return left;
  }

  /** A target for one of its databases: the same server and role. */
  targetFor(database: string): ConnectionTarget {
    return { ...this.target, database };
  }
}

function cannotCreateError(target: ConnectionTarget, others: readonly string[]): PulseError {
  const server = describeServer(target);
  const who = others.length > 0 ? `${others.join(', ')} can` : 'a role with CREATEDB (or a superuser) can';
  const example = others[0] ?? 'ROLE';
  const url = `postgresql://${example}@${server}/${target.database}`;
  return new PulseError('permission-denied', `${target.user} may not create databases on ${server}, and a proof restores the set into new ones it drops afterwards`, {
    hint: hint`${who}: ${commandLineOnly(
      hint`pass ${option('scratchDatabase', url)} (its password in PGPASSWORD or ~/.pgpass)`,
      hint`${setOption('scratchDatabase')} to ${url} (its password in ~/.pgpass)`,
    )}, or ALTER ROLE ${/^[a-z_][a-z0-9_]*$/.test(target.user) ? target.user : quoteIdentifier(target.user)} CREATEDB`,
  });
}

/** A standby, or a role whose transactions are read-only by default: CREATE DATABASE is refused whatever the role may do. */
function takesNoChangesError(target: ConnectionTarget, standby: boolean): PulseError {
  const server = describeServer(target);
  const why = standby
    ? `${server} is a standby server (in recovery), which takes no changes`
    : `transactions of ${target.user} on ${server} are read-only (default_transaction_read_only is on)`;
  return new PulseError('restore-refused', `${why}, and a proof restores the set into new databases it drops afterwards`, {
    hint: hint`prove on a server that takes changes: ${commandLineOnly(
      hint`pass ${option('scratchDatabase', 'URL')} naming one (a local throwaway server, or the primary)`,
      hint`${setOption('scratchDatabase')} to one (a local throwaway server, or the primary)`,
    )}`,
  });
}

/** What a set's files need of the server they load into: the extensions they create, the roles they name, the tablespaces they create objects in, the collations of pg_catalog they use. */
export interface SetNeeds {
  extensions: readonly string[];
  roles: readonly string[];
  tablespaces: readonly string[];
  collations: readonly string[];
  /** The roles its objects are owned by (ownersOf). */
  owners: SetOwners;
  /** Its entries that may need a superuser (superuserCandidates). */
  superuserOnly: readonly DumpEntry[];
}

/**
 * The owners a role that is no superuser could not give the set's objects
 * in a scratch database of its own: a role it is no member of; in schema
 * public from PostgreSQL 15 (where only the database's owner, the proving
 * role, may create), any role but itself; for a publication (CREATE on the
 * database is its owner's), any role without its privileges; in a schema
 * the set creates, any role without the privileges of the schema's owner
 * (the set grants on it only at its end).
 */
export function ownersAProofCannotGive(
  owners: SetOwners,
  user: string,
  mayBecome: readonly string[],
  inherits: Readonly<Record<string, readonly string[]>>,
  serverVersionNum: number,
): string[] {
  const member = new Set([...mayBecome, user]);
  const cannot = new Set(owners.all.filter((owner) => !member.has(owner)));
  const hasUsersPrivileges = (owner: string) => owner === user || (inherits[owner] ?? []).includes(user);
  for (const owner of serverVersionNum >= 150000 ? (owners.bySchema.public ?? []) : []) if (owner !== user) cannot.add(owner);
  // A publication's owner needs CREATE on the database, which is the proving role's.
  for (const owner of owners.ofPublications) if (!hasUsersPrivileges(owner)) cannot.add(owner);
  // In a schema the set creates, another role's objects need its owner's privileges until the set's grants at the end.
  for (const [schema, schemaOwner] of Object.entries(owners.schemaOwners)) {
    for (const owner of owners.bySchema[schema] ?? []) if (owner !== schemaOwner && !(inherits[owner] ?? []).includes(schemaOwner)) cannot.add(owner);
  }
  return [...cannot];
}

/** The proving role may not give the set's objects their owners in its scratch databases: the proof would fail on the role, not on the set. */
function cannotGiveOwnersError(target: ConnectionTarget, owners: readonly string[]): PulseError {
  return new PulseError(
    'restore-refused',
    `${target.user} is no superuser and may not make ${listRoles(owners)} the owner of the set's objects in scratch databases of its own on ${describeServer(target)}, so a proof there could not restore the set, sound or not`,
    {
      hint: hint`prove as a superuser: ${commandLineOnly(hint`pass ${option('scratchDatabase', 'URL')} naming one`, hint`${setOption('scratchDatabase')} to one`)}`,
    },
  );
}

/** The set creates what only a superuser may, and the proving role is none: the proof would fail on the role, not on the set. */
function needsSuperuserError(target: ConnectionTarget, found: string): PulseError {
  return new PulseError('restore-refused', `${found}, so a proof as ${target.user} on ${describeServer(target)} could not restore the set, sound or not`, {
    hint: hint`prove as a superuser: ${commandLineOnly(hint`pass ${option('scratchDatabase', 'URL')} naming one`, hint`${setOption('scratchDatabase')} to one`)}`,
  });
}

/** The server lacks what the set needs: the proof would fail on the server, not on the set. */
function lacksWhatTheSetNeedsError(target: ConnectionTarget, missing: Omit<SetNeeds, 'owners' | 'superuserOnly'>): PulseError {
  const lacks = [
    ...(missing.extensions.length > 0 ? [`no extension ${missing.extensions.join(', ')}`] : []),
    ...(missing.roles.length > 0 ? [`no role ${listRoles(missing.roles)}`] : []),
    ...(missing.tablespaces.length > 0 ? [`no tablespace ${missing.tablespaces.join(', ')}`] : []),
    ...(missing.collations.length > 0 ? [`no collation ${listRoles(missing.collations)}`] : []),
  ];
  const advice = [
    ...(missing.extensions.length > 0 ? [installExtensionsAdvice(missing.extensions)] : []),
    ...(missing.roles.length > 0 ? [createRolesAdvice(missing.roles)] : []),
    ...(missing.tablespaces.length > 0 ? [createTablespacesAdvice(missing.tablespaces)] : []),
    // A scratch database is made from template0, which holds the collations the server had when it was made: none to add.
  ];
  const one = missing.extensions.length + missing.roles.length + missing.tablespaces.length + missing.collations.length === 1;
  return new PulseError('restore-refused', `${describeServer(target)} has ${lacks.join(' and ')}, which the set needs, so a proof there could not restore the set, sound or not`, {
    hint: hint`prove on a server that has ${one ? 'it' : 'them'}: ${commandLineOnly(
      hint`pass ${option('scratchDatabase', 'URL')} naming one`,
      hint`${setOption('scratchDatabase')} to one`,
    )}${advice.length > 0 ? `, or ${advice.join(' and ')}` : ''}`,
  });
}

function scratchError(what: 'create', name: string, target: ConnectionTarget, error: unknown): PulseError {
  const said = error instanceof Error ? error.message : String(error);
  return new PulseError('restore-failed', `cannot ${what} the scratch database ${name} on ${describeServer(target)}: ${said}`, {
    hint: hint`check that the server has room and the role may create databases, or ${setOption('scratchDatabase')} to prove on another server`,
    cause: error,
  });
}
