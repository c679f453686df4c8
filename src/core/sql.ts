/** Small pieces of SQL text the engine writes itself. */

/** Always quotes: never wrong, whatever the name (reserved words, case, spaces, quotes). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedIdentifier(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}
