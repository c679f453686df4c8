/**
 * A dump file's text as two runs over the same content write it: pg_dump
 * (15.14 and later) opens and closes every plain dump with a random
 * \restrict key, which differs between any two runs.
 */
import { readFileSync } from 'node:fs';

export function dumpTextWithoutRestrictKey(path: string): string {
  return readFileSync(path, 'utf8').replace(/^\\(un)?restrict \S+$/gm, '\\$1restrict KEY');
}

/** The first line where two texts part, with its number; undefined when they are the same. */
export function firstDifferentLine(actual: string, expected: string): string | undefined {
  if (actual === expected) return undefined;
  const a = actual.split('\n');
  const b = expected.split('\n');
  let line = 0;
  while (line < a.length && line < b.length && a[line] === b[line]) line += 1;
  return `line ${line + 1}: ${JSON.stringify((a[line] ?? '(end)').slice(0, 200))}, expected ${JSON.stringify((b[line] ?? '(end)').slice(0, 200))}`;
}
