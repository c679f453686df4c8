/**
 * Which rows differ, once a table's digest says some do: the rows of each
 * side as a multiset of row hashes, each with its key (the primary key's
 * fields as COPY writes them), so a person reads "2 rows changed, first
 * id = 42" rather than "the digest differs". Only for tables whose digests
 * differ, and only up to a limit of rows, since every row's hash is held in
 * memory; past it, counts alone.
 */

/** Tables with more rows than this get counts only: each row held costs some 100 bytes. */
export const ROW_DETAIL_LIMIT = 2_000_000;

/** The rows of one table on one side. */
export class RowSet {
  readonly rows = new Map<number, { count: number; key: string | undefined }>();
  count = 0;
  /** More rows than the limit: the map was given up. */
  overflow = false;

  constructor(private readonly limit = ROW_DETAIL_LIMIT) {}

  add(h1: number, h2: number, key: string | undefined): void {
    this.count += 1;
    if (this.overflow) return;
    if (this.count > this.limit) {
      this.overflow = true;
      this.rows.clear();
      return;
    }
    // 53 bits of the 64 fit a number exactly: enough to tell a table's rows apart.
    const id = h1 + (h2 & 0x1fffff) * 0x100000000;
    const seen = this.rows.get(id);
    if (seen) seen.count += 1;
    else this.rows.set(id, { count: 1, key });
  }
}

/** How two sides' rows differ, from `before` (the set) to `after` (the database). */
export interface RowChanges {
  /** False when a side had too many rows to hold: only the counts below are known. */
  exact: boolean;
  /** Rows only `after` has whose key `before` does not have. */
  added: number;
  /** Rows only `before` has whose key `after` does not have. */
  removed: number;
  /** Keys both have, with other contents. */
  changed: number;
  /** The first few keys of each, for people. */
  firstAdded: string[];
  firstRemoved: string[];
  firstChanged: string[];
}

const SHOWN = 3;

export function compareRowSets(before: RowSet, after: RowSet, keyed: boolean): RowChanges {
  if (before.overflow || after.overflow) {
    const difference = after.count - before.count;
    return { exact: false, added: Math.max(0, difference), removed: Math.max(0, -difference), changed: 0, firstAdded: [], firstRemoved: [], firstChanged: [] };
  }
  const only = (side: RowSet, other: RowSet) => {
    const rows: (string | undefined)[] = [];
    for (const [id, entry] of side.rows) {
      const extra = entry.count - (other.rows.get(id)?.count ?? 0);
      for (let index = 0; index < extra; index += 1) rows.push(entry.key);
    }
    return rows;
  };
  const removedRows = only(before, after);
  const addedRows = only(after, before);
  if (!keyed) {
    return { exact: true, added: addedRows.length, removed: removedRows.length, changed: 0, firstAdded: [], firstRemoved: [], firstChanged: [] };
  }
  const addedKeys = new Set(addedRows.filter((key): key is string => key !== undefined));
  const changed = removedRows.filter((key) => key !== undefined && addedKeys.has(key)) as string[];
  const changedKeys = new Set(changed);
  const removed = removedRows.filter((key) => key === undefined || !changedKeys.has(key));
  const added = addedRows.filter((key) => key === undefined || !changedKeys.has(key));
  const shown = (keys: readonly (string | undefined)[]) => keys.filter((key): key is string => key !== undefined).slice(0, SHOWN);
  return {
    exact: true,
    added: added.length,
    removed: removed.length,
    changed: changed.length,
    firstAdded: shown(added),
    firstRemoved: shown(removed),
    firstChanged: shown(changed),
  };
}

/** Where the key's fields stand among the COPY's columns; undefined when one is not among them. */
export function keyPositions(columns: readonly string[], key: readonly string[]): number[] | undefined {
  if (key.length === 0) return undefined;
  const positions = key.map((column) => columns.indexOf(column));
  return positions.every((position) => position >= 0) ? positions : undefined;
}

const TAB = 0x09;
const MAX_VALUE_LENGTH = 40;

/**
 * "id = 42" (several fields: "org_id = 3, id = 7") from a COPY text row:
 * fields are separated by tabs (a tab in a value is written `\t`), NULL
 * is `\N`. Long values are cut.
 */
export function rowKey(bytes: Uint8Array, start: number, end: number, positions: readonly number[], names: readonly string[]): string | undefined {
  const wanted = new Map(positions.map((position, index) => [position, index]));
  const values: string[] = new Array<string>(positions.length);
  let field = 0;
  let fieldStart = start;
  let found = 0;
  for (let i = start; i <= end && found < positions.length; i += 1) {
    if (i < end && bytes[i] !== TAB) continue;
    const slot = wanted.get(field);
    if (slot !== undefined) {
      const text = Buffer.from(bytes.buffer, bytes.byteOffset + fieldStart, i - fieldStart).toString('utf8');
      values[slot] = text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}…` : text;
      found += 1;
    }
    field += 1;
    fieldStart = i + 1;
  }
  if (found < positions.length) return undefined;
  return names.map((name, index) => `${name} = ${values[index] === '\\N' ? 'NULL' : values[index]}`).join(', ');
}
