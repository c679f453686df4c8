/**
 * A role that may not read a table (or use its schema) stops pg_dump at the
 * table's LOCK TABLE, before anything is dumped: the failure named as the
 * table and the GRANT that lets the role read it, not as the bare query.
 */
import { PulseError } from '../errors';
import { quoteIdentifier } from '../sql';
import { tableOfCopyQuery, tableOfLockQuery } from './lockWaits';

export interface ReadPermissionWords {
  /** Why the role must read it: "pg_dump reads everything it backs up". */
  because: string;
  /** How the advice starts: "back up as" (the database owner or a superuser). */
  runAs: string;
  /** What the failure left as it was, after the advice: "nothing was written; older backups are untouched". */
  unchanged?: string;
  /** The SQL name of a table the server named without its schema, where the caller knows which it read. */
  qualify?: (name: string) => string | undefined;
}

/** The tool's stderr as one refused read, or undefined when it says nothing of a privilege. */
export function readPermissionError(stderr: string, user: string, words: ReadPermissionWords): PulseError | undefined {
  const hidden = rowSecurityError(stderr, user, words);
  if (hidden) return hidden;
  const denied = /permission denied for (table|schema|sequence|large object|function) ([^\n]+)/i.exec(stderr);
  if (!denied) return undefined;
  const [, kind, name] = denied;
  // pg_dump reports the LOCK TABLE query, with the schema; psql only the server's words.
  const table = tableOfLockQuery(stderr) ?? (kind === 'table' ? words.qualify?.(name) : undefined);
  const role = quoteIdentifier(user);
  const [what, grant] =
    kind === 'schema'
      ? [`the schema ${name}${table ? ` (of ${table})` : ''}`, `GRANT USAGE ON SCHEMA ${quoteIdentifier(name)} TO ${role}`]
      : kind === 'table' && table
        ? [`the table ${table}`, `GRANT SELECT ON ${table} TO ${role}`]
        : [`the ${kind} ${name}`, undefined];
  const advice = `${words.runAs} the database owner or a superuser${grant ? `, or let the owner run ${grant}` : ', or grant the missing privilege'}`;
  return new PulseError('permission-denied', `user "${user}" may not read ${what}, and ${words.because}`, {
    hint: words.unchanged === undefined ? advice : `${advice}; ${words.unchanged}`,
    details: stderr,
  });
}

/**
 * Row-level security applies to the role on a table with policies (it does
 * not own the table, or the table forces its policies on its owner too, and
 * the role is no superuser and lacks BYPASSRLS). pg_dump and the tool's reads
 * switch row_security off, so the server refuses the read rather than hand
 * over only the rows the policies let through; the server's own hint, where
 * the role owns the table, names ALTER TABLE … NO FORCE ROW LEVEL SECURITY.
 */
function rowSecurityError(stderr: string, user: string, words: ReadPermissionWords): PulseError | undefined {
  const hidden = /query would be affected by row-level security policy for table "([^\n]*)"/.exec(stderr);
  if (!hidden) return undefined;
  const name = hidden[1];
  const table = tableOfCopyQuery(stderr) ?? words.qualify?.(name) ?? name;
  const forcedOnOwner = /NO FORCE ROW LEVEL SECURITY/.test(stderr);
  const role = quoteIdentifier(user);
  const advice = forcedOnOwner
    ? `${words.runAs} a superuser or a role with BYPASSRLS, or, as ${role} owns the table, stop forcing its policies on its owner: ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`
    : `${words.runAs} the table's owner, a superuser or a role with BYPASSRLS (a superuser may run ALTER ROLE ${role} BYPASSRLS)`;
  return new PulseError('permission-denied', `row-level security keeps user "${user}" from reading every row of the table ${table}, and ${words.because}`, {
    hint: words.unchanged === undefined ? advice : `${advice}; ${words.unchanged}`,
    details: stderr,
  });
}
