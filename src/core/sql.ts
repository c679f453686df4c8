/** Small pieces of SQL text the engine writes itself. */

/** Always quotes: never wrong, whatever the name (reserved words, case, spaces, quotes). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedIdentifier(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

/** A string literal for a file that runs with standard_conforming_strings on (pg_dump's files set it): quotes doubled, nothing else special. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A dollar-quote tag ($name$) that occurs in none of the texts it will quote. */
export function dollarTag(base: string, texts: readonly string[]): string {
  for (let suffix = 0; ; suffix += 1) {
    const tag = `$${base}${suffix === 0 ? '' : `_${suffix}`}$`;
    if (!texts.some((text) => text.includes(tag))) return tag;
  }
}
