/**
 * What changed in a table's definition, in words: its columns and the
 * constraints pg_dump writes inside CREATE TABLE, read from the TABLE entry
 * of each side ("column rating added; column price: numeric(5,2) in the set,
 * numeric(7,2) now"). Pure: the entries' texts come from the dumps.
 */
import type { DumpDigestOptions } from '../backup/dumpDigests';

/** At most this many changes are named; the rest are counted. */
const MOST_NAMED = 3;

interface TableDefinition {
  /** Column or constraint name → its definition, in pg_dump's order. */
  items: Map<string, { kind: 'column' | 'constraint'; definition: string }>;
  /** Everything but the items (CREATE TABLE's head and tail, the owner, the options), to tell other changes. */
  rest: string;
  owner: string | undefined;
}

/** The changes between two texts of one TABLE entry, or undefined when they are not told apart by columns, constraints or the owner. */
export function tableChangeDetail(inSet: string, now: string): string | undefined {
  const before = parseTable(inSet);
  const after = parseTable(now);
  if (!before || !after) return undefined;
  const changes: string[] = [];
  for (const [name, item] of before.items) {
    const current = after.items.get(name);
    if (!current) changes.push(`${item.kind} ${name} dropped`);
    else if (current.definition !== item.definition) changes.push(`${item.kind} ${name}: ${item.definition} in the set, ${current.definition} now`);
  }
  for (const [name, item] of after.items) if (!before.items.has(name)) changes.push(`${item.kind} ${name} added`);
  if (before.owner !== after.owner && before.owner !== undefined && after.owner !== undefined) changes.push(`owner ${before.owner} in the set, ${after.owner} now`);
  // The rest is compared without the OWNER line: a difference there is a change of its own, beside any new owner.
  if (before.rest !== after.rest) changes.push('its options');
  if (changes.length === 0) return undefined;
  const named = changes.slice(0, MOST_NAMED);
  const more = changes.length - named.length;
  return `${named.join('; ')}${more > 0 ? `; and ${more} more change${more === 1 ? '' : 's'}` : ''}`;
}

/** The columns and inline constraints of pg_dump's CREATE TABLE text; undefined when the text is not one. */
function parseTable(text: string): TableDefinition | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /^CREATE (?:UNLOGGED |FOREIGN )?TABLE .*\($/.test(line));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, index) => index > start && /^\)/.test(line));
  if (end < 0) return undefined;
  const items = new Map<string, { kind: 'column' | 'constraint'; definition: string }>();
  // One item per line indented by four spaces; a deeper or unindented line continues the one before.
  const itemLines: string[] = [];
  for (const line of lines.slice(start + 1, end)) {
    if (/^ {4}\S/.test(line) || itemLines.length === 0) itemLines.push(line.trim());
    else itemLines[itemLines.length - 1] += `\n${line}`;
  }
  for (const line of itemLines) {
    const item = line.replace(/,$/, '');
    const constraint = /^CONSTRAINT ((?:"(?:[^"]|"")*"|\S)+) (.*)$/s.exec(item);
    if (constraint) {
      items.set(constraint[1], { kind: 'constraint', definition: constraint[2] });
      continue;
    }
    const column = /^((?:"(?:[^"]|"")*"|[^\s"])+) (.*)$/s.exec(item);
    if (column) items.set(column[1], { kind: 'column', definition: column[2] });
  }
  const rest = [...lines.slice(0, start + 1), ...lines.slice(end)].filter((line) => !line.startsWith('--')).join('\n');
  const owner = / OWNER TO ((?:"(?:[^"]|"")*"|[^\s;"])+);/.exec(rest)?.[1];
  return { items, rest: rest.replace(/ OWNER TO [^\n]*/, ''), owner };
}

/** Options for DumpDigests that collect the TABLE entries' texts into `into`, by schema and name (tableKey). */
export function collectTableTexts(into: Map<string, string> | undefined): Pick<DumpDigestOptions, 'onTableText'> {
  return into ? { onTableText: (header, text) => into.set(tableKey(header.schema, header.name), text) } : {};
}

export function tableKey(schema: string, name: string): string {
  return `${schema}\u0000${name}`;
}
