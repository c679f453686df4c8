/**
 * A restore is one transaction, and a transaction keeps a lock on every
 * table, index, sequence and view it creates, empties or drops until it
 * commits. The server's lock table is sized for max_locks_per_transaction ×
 * its backend slots (max_connections + autovacuum_max_workers + 1 +
 * max_worker_processes + max_wal_senders + max_prepared_transactions), shared
 * by every session. Measured on PostgreSQL 15, one transaction gets 1.65 to
 * 1.95 times that before "out of shared memory" (the table grows into shared
 * memory's slack): 12,850 relations on a default server (64 × 122), so a
 * schema of 5,000 tables with their keys does not fit. Large objects count
 * too: the data file gives each its owner (ALTER LARGE OBJECT … OWNER TO),
 * which locks it, so 20,000 attachments stored as large objects do not fit
 * either. Such a restore is refused before anything changes, naming the
 * setting and a value that lets it through (one where the sized table alone
 * holds it).
 */
import type { DumpEntry } from '../verify/dumpScan';
import { PulseError } from '../errors';
import type { RestoreMode } from './types';

/** Relations one entry of the file creates or changes (a table: itself, its TOAST table and that table's index). */
const RELATIONS_PER_ENTRY: Readonly<Record<string, number>> = {
  TABLE: 3,
  'MATERIALIZED VIEW': 3,
  'FOREIGN TABLE': 1,
  VIEW: 1,
  SEQUENCE: 1,
  INDEX: 1,
  // Primary keys, unique and exclusion constraints build an index.
  CONSTRAINT: 1,
};

/**
 * Locks the files take: from the schema's entries (a data restore touches the
 * same tables, indexes and sequences as the schema made them), and one per
 * large object the data file creates, for a complete or data restore.
 */
export function estimateLocks(entries: readonly DumpEntry[], mode: RestoreMode, largeObjects = 0): number {
  let relations = 0;
  for (const entry of entries) {
    if (mode === 'data' && (entry.type === 'VIEW' || entry.type === 'MATERIALIZED VIEW')) continue;
    relations += RELATIONS_PER_ENTRY[entry.type] ?? 0;
  }
  return relations + (mode === 'schema' ? 0 : largeObjects);
}

export interface LockBudget {
  /** Locks the restore is estimated to hold at once. */
  needed: number;
  /** Of them, the large objects the restore creates (named in the words when there are any). */
  largeObjects?: number;
  /** Of them, the target's objects --clean drops, with what goes with them (row types, constraints, defaults, …). */
  dropped?: number;
  /** max_locks_per_transaction. */
  slotsPerSession: number;
  /** The backend slots the lock table is sized for (see above). */
  sessions: number;
}

/** What one transaction can hold before the lock table runs out: the lower end of what was measured. */
const USABLE_SHARE = 1.6;

/** The value of max_locks_per_transaction that gives this restore room (the sized table alone holds it, with a margin; a multiple of 64). */
export function recommendedLockSlots(budget: LockBudget): number {
  return Math.max(budget.slotsPerSession * 2, Math.ceil((budget.needed * 1.25) / Math.max(1, budget.sessions) / 64) * 64);
}

/** Refuses a restore that cannot fit in the server's lock table; returns the budget for the error words if it fails anyway. */
export function checkLockBudget(budget: LockBudget): LockBudget {
  if (budget.needed > budget.slotsPerSession * budget.sessions * USABLE_SHARE) throw lockBudgetError(budget, 'before');
  return budget;
}

/** The one line for a restore that needs, or ran out of, more locks than the server has room for. */
export function lockBudgetError(budget: LockBudget, when: 'before' | 'during', details?: string): PulseError {
  const recommended = recommendedLockSlots(budget);
  const what =
    when === 'before'
      ? `this restore would lock about ${budget.needed.toLocaleString('en-US')} ${lockedWhat(budget)} in one transaction, more than the server has room for (max_locks_per_transaction = ${budget.slotsPerSession})`
      : `restore failed and was rolled back: the server ran out of lock slots (max_locks_per_transaction = ${budget.slotsPerSession}) for its one transaction`;
  return new PulseError(when === 'before' ? 'restore-refused' : 'restore-failed', what, {
    hint: `set max_locks_per_transaction to at least ${recommended} (ALTER SYSTEM SET max_locks_per_transaction = ${recommended}; as a superuser, then restart the server) and restore again; ${when === 'before' ? 'nothing was changed' : 'the target is unchanged'}`,
    ...(details ? { details } : {}),
  });
}

/** What the locks are on, in the words of the refusal. */
function lockedWhat(budget: LockBudget): string {
  const parts = [
    ...(budget.dropped ? [`${budget.dropped.toLocaleString('en-US')} the target's, which --clean drops with their indexes, row types and constraints`] : []),
    ...(budget.largeObjects ? [`${budget.largeObjects.toLocaleString('en-US')} large objects`] : []),
  ];
  if (parts.length === 0) return 'tables, indexes and sequences';
  return `objects (${parts.join(', ')}, the rest tables, indexes and sequences${budget.dropped ? ' it creates' : ''})`;
}
