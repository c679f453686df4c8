/**
 * Changing a set's files the way a careful attacker or a buggy tool would:
 * the file edited and its manifest updated to match, so checksums and sizes
 * still agree and only the content tells.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DumpReader, type EntryHeader } from '../../src/core/pg/dumpReader';
import { manifestNameFor } from '../../src/core/sets/naming';
import type { BackupFileType, Manifest } from '../../src/core/sets/manifest';

/** Rewrites one file of a set and records its new size and sha256 in the manifest. */
export function rewriteSetFile(folder: string, manifest: Manifest, type: BackupFileType, transform: (text: string) => string): void {
  const file = manifest.files.find((candidate) => candidate.type === type);
  if (!file) throw new Error(`${manifest.id} has no ${type} file`);
  const path = join(folder, file.name);
  const changed = Buffer.from(transform(readFileSync(path, 'utf8')));
  writeFileSync(path, changed);
  file.bytes = changed.length;
  file.sha256 = createHash('sha256').update(changed).digest('hex');
  writeFileSync(join(folder, manifestNameFor(manifest.prefix, manifest.timestamp)), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A dump without the archive entries `drop` names (their headers, SQL and rows). */
export function withoutEntries(text: string, drop: (header: EntryHeader) => boolean): string {
  const reader = new DumpReader({ keepEntry: (header) => !drop(header) });
  const pieces = [...reader.push(Buffer.from(text)).whole, ...reader.end().whole];
  return Buffer.concat(pieces).toString('utf8');
}

/** The COPY block of `table` with its first row given to `edit`. */
export function editFirstRow(text: string, table: string, edit: (fields: string[]) => string[]): string {
  const lines = text.split('\n');
  const copy = lines.findIndex((line) => line.startsWith(`COPY ${table} `) && line.endsWith(' FROM stdin;'));
  if (copy < 0 || lines[copy + 1] === '\\.') throw new Error(`no rows of ${table} in the file`);
  lines[copy + 1] = edit(lines[copy + 1].split('\t')).join('\t');
  return lines.join('\n');
}

/** A dump with `sql` added after its last entry, where pg_dump's footer begins. */
export function beforeFooter(text: string, sql: string): string {
  const footer = text.lastIndexOf('--\n-- PostgreSQL database dump complete');
  if (footer < 0) throw new Error('no footer in the file');
  return `${text.slice(0, footer)}${sql}\n\n${text.slice(footer)}`;
}
