/** What a diff (diff.ts) finds: the shape the CLI, its --json and the extension read, and diffWords.ts words. */
import type { ProfileName } from '../backup/profile';
import type { EntryChange } from './compare';
import type { RowChanges } from './rowDetail';

export interface TableDiff {
  schema: string;
  name: string;
  /** `same`; `changed`: other rows; `dropped`: not there now; `columns-changed`: a column the set's rows have is gone. */
  state: 'same' | 'changed' | 'dropped' | 'columns-changed';
  rowsInSet: number;
  /** Rows now; null when the table is not there or cannot be read as the set wrote it. */
  rowsNow: number | null;
  /** Row by row, for a changed table (undefined: not counted). */
  rows?: RowChanges;
  /** One line. */
  detail: string;
}

export interface DiffResult {
  setId: string;
  /** ISO 8601. */
  comparedAt: string;
  durationMs: number;
  /** The database compared (never a password). */
  target: { host: string; port: number; database: string; user: string };
  profile: ProfileName;
  digestsFrom: 'manifest' | 'complete file';
  /** Every table whose rows the set holds. */
  tables: TableDiff[];
  /** Schema objects added, dropped or changed since the set (tables among them). */
  objects: EntryChange[];
  /** Sequences whose value moved. */
  sequences: { name: string; expected: string; found: string }[];
  /**
   * Large objects: how many the set holds and the database has, whether
   * their OIDs, owners and contents are the same (`contentsSame`), and, where
   * the set recorded them, how many have grants or comments in the set and
   * now and whether those are the same. `same`: all of it.
   */
  largeObjects: { inSet: number; now: number; contentsSame: boolean; grants?: { inSet: number; now: number; same: boolean }; same: boolean };
  /** Nothing differs. */
  same: boolean;
  summary: string;
}
