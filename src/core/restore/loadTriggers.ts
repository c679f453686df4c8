/**
 * The target's triggers that would fire while a restore loads rows into
 * tables it has already (a data restore's; a Supabase set's platform
 * tables). The load runs with session_replication_role = replica, which
 * keeps ordinary triggers quiet, and pg_dump's files disable none: a
 * BEFORE INSERT row trigger set to fire always (ENABLE ALWAYS TRIGGER),
 * or only in replica mode (ENABLE REPLICA TRIGGER), runs on every row
 * loaded and may change or drop it, and the row counts may still match.
 * Found before anything, and refused. (An AFTER or a statement trigger so
 * set runs too, as it does under pg_dump | psql, but cannot change the
 * rows loaded.)
 */
import type pg from 'pg';
import { jsonRows } from '../pg/jsonRows';
import { PulseError } from '../errors';
import { countOf, qualifiedName } from '../format';
import { qualifiedIdentifier, quoteIdentifier } from '../sql';

/** A trigger of the target that fires while rows load under session_replication_role = replica. */
export interface LoadTrigger {
  schema: string;
  table: string;
  name: string;
  /** pg_trigger.tgenabled: 'A' fires always, 'R' only in replica mode (which the load runs in). */
  fires: 'always' | 'replica';
}

/** The BEFORE INSERT row triggers (not the server's internal ones) on `tables` that fire while rows load, by table and name. */
export async function findLoadTriggers(client: pg.Client, tables: readonly { schema: string; name: string }[]): Promise<LoadTrigger[]> {
  if (tables.length === 0) return [];
  const rows = await jsonRows<[schema: string, table: string, name: string, enabled: string]>(
    client,
    `SELECT json_agg(json_build_array(n.nspname, c.relname, t.tgname, t.tgenabled) ORDER BY n.nspname, c.relname, t.tgname)
       FROM unnest($1::text[], $2::text[]) AS wanted(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = wanted.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = wanted.name
       JOIN pg_catalog.pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgenabled IN ('A', 'R')
        -- BEFORE INSERT FOR EACH ROW (tgtype bits ROW 1, BEFORE 2, INSERT 4): what can change or drop each row as it loads. An
        -- UPDATE or DELETE trigger never fires on a load; an AFTER or statement trigger cannot change the row (pg_dump | psql runs them too).
        AND (t.tgtype::int & 7) = 7`,
    [tables.map((table) => table.schema), tables.map((table) => table.name)],
  );
  return rows.map(([schema, table, name, enabled]) => ({ schema, table, name, fires: enabled === 'A' ? 'always' : 'replica' }));
}

/** How many triggers a line names before it says "and N more". */
const LISTED_TRIGGERS = 3;

/** "trigger t on public.a (ENABLE ALWAYS), …": what was found, for a refusal and for verify's check alike. */
export function describeLoadTriggers(triggers: readonly LoadTrigger[]): string {
  const shown = triggers
    .slice(0, LISTED_TRIGGERS)
    .map((trigger) => `trigger ${trigger.name} on ${qualifiedName(trigger.schema, trigger.table)} (${trigger.fires === 'always' ? 'ENABLE ALWAYS' : 'ENABLE REPLICA'})`);
  const more = triggers.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
}

/** What was found, in one sentence: the load keeps only ordinary triggers quiet. */
export function loadTriggersFound(triggers: readonly LoadTrigger[]): string {
  const one = triggers.length === 1;
  return `the target has ${countOf(triggers.length, 'trigger')} that ${one ? 'fires' : 'fire'} on the rows the set loads and may change them: ${describeLoadTriggers(triggers)}; the load keeps only ordinary triggers quiet (session_replication_role = replica)`;
}

/** What to do, with the statements for the first one: disable it for the restore, or make it an ordinary trigger. */
export function loadTriggersAdvice(triggers: readonly LoadTrigger[]): string {
  const first = triggers[0];
  const on = `ALTER TABLE ${qualifiedIdentifier(first.schema, first.table)}`;
  const name = quoteIdentifier(first.name);
  const again = first.fires === 'always' ? 'ENABLE ALWAYS' : 'ENABLE REPLICA';
  const each = triggers.length === 1 ? 'it' : 'each';
  return `disable ${each} for the restore (${on} DISABLE TRIGGER ${name};) and set ${each} back after (${on} ${again} TRIGGER ${name};), or make ${each} an ordinary trigger, which the load keeps quiet (${on} ENABLE TRIGGER ${name};)`;
}

/** The restore's refusal: the load would run these triggers on its rows. */
export function loadTriggersError(setId: string, target: string, triggers: readonly LoadTrigger[]): PulseError {
  return new PulseError('restore-refused', `cannot restore ${setId} into ${target}: ${loadTriggersFound(triggers)}`, {
    hint: `${loadTriggersAdvice(triggers)}; nothing was changed`,
  });
}
