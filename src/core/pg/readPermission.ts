/**
 * A role that may not read a table (or use its schema) stops pg_dump at the
 * table's LOCK TABLE, before anything is dumped: the failure named as the
 * table and the GRANT that lets the role read it, not as the bare query.
 */
import { PulseError } from '../errors';
import { quoteIdentifier } from '../sql';
import { tableOfLockQuery } from './lockWaits';

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
