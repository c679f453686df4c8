/**
 * Reads one plain pg_dump file once, start to end: its sha256 and size, and
 * what it holds (entry headers, rows per COPY block, whether pg_dump's footer
 * arrived) from the same bytes, so a multi-gigabyte set is read from disk
 * only once however many checks look at it.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { DumpReader } from '../pg/dumpReader';
import type { SetKeys } from '../codecs/codecs';
import { isEncodedFile, isEncryptedFile, readSetFile } from '../codecs/setFileReader';
import { isPulseError } from '../errors';

/** Big reads: hashing and splitting cost far less per byte than a system call per 64 KiB. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Enough for pg_dump's preamble (comment block, \restrict, "Dumped from/by" lines, SETs). */
const HEAD_BYTES = 16 * 1024;
/** Enough for the footer block and the \unrestrict line after it. */
const TAIL_BYTES = 4 * 1024;
/** pg_dump's preamble ends long before this line; later lines are never treated as preamble. */
const PREAMBLE_LINES = 60;

export const DUMP_HEADER_LINE = '-- PostgreSQL database dump';

/** The identity of one archive entry, as its header comment names it. */
export interface DumpEntry {
  /** pg_dump's entry type: 'TABLE', 'TABLE DATA', 'SEQUENCE SET', 'MATERIALIZED VIEW', ... */
  type: string;
  /** '-' for entries outside any schema (large objects, for instance). */
  schema: string;
  /** As pg_dump prints it, unquoted. */
  name: string;
  /** The owner pg_dump names ('-' where none); for a DEFAULT ACL entry, whose defaults they are. */
  owner?: string;
  /**
   * Who it is where the name alone is ambiguous, read from the entry's SQL:
   * an operator's "=(public.money2, public.money2)", an operator class's or
   * family's "name USING btree".
   */
  identity?: string;
  /** The roles its SQL names besides its owner: grantees and grantors (ACL, DEFAULT ACL), a policy's roles. */
  roles?: string[];
  /** The tablespace it is created in, when not the database's default. */
  tablespace?: string;
  /** The collations of pg_catalog its SQL uses (`COLLATE pg_catalog."de-x-icu"`): the server's own, from its operating system's locales or its ICU library. */
  collations?: string[];
  /** What its SQL creates that only a superuser may, where its type alone does not say (superuserOnlyFromText). */
  superuserOnly?: string;
  /** A function's or procedure's language, as pg_dump names it (`LANGUAGE c`). */
  language?: string;
  /** The settings a function or procedure sets for its calls (`SET log_statement TO 'all'`), by name. */
  settings?: string[];
  /** An extension's schema, unquoted (`CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA ext`). */
  extensionSchema?: string;
}

export interface TableRows {
  schema: string;
  name: string;
  rows: number;
}

/** What a dump holds, as far as the content checks need it. */
export interface DumpContents {
  entries: readonly DumpEntry[];
  /** One per COPY block, in dump order. */
  tableRows: readonly TableRows[];
}

export interface DumpScan extends DumpContents {
  bytes: number;
  sha256: string;
  /** pg_dump's "-- PostgreSQL database dump" line opens the file. */
  hasHeader: boolean;
  /** pg_dump's "dump complete" footer went past, outside any COPY block. */
  hasFooter: boolean;
  /** The key of the `\restrict` line in the preamble (pg_dump 13.22/14.19/15.14/16.10/17.6 and later). */
  restrictKey?: string;
  /** The matching `\unrestrict` line closes the file (a dump without `\restrict` needs none). */
  endsUnrestricted: boolean;
  /** From the preamble: "-- Dumped from database version 15.18". */
  dumpedFromVersion?: string;
  /** From the preamble: "-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)". */
  dumpedByVersion?: string;
  /** From the preamble: "SET client_encoding = 'UTF8';". */
  clientEncoding?: string;
  /**
   * An encoded (encrypted) file whose SQL was not read through: `no-key`
   * when no key was given (its size and sha256 are still checked), else
   * why it cannot be decoded (damaged, cut short), in one line.
   */
  notDecoded?: string;
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** Called after each chunk with the bytes read so far. */
  onBytes?: (bytesRead: number) => void;
  /** Size of each read; replaceable so tests can make reads end anywhere. */
  chunkBytes?: number;
  /** What decrypts an encrypted file; without it one is only hashed (`notDecoded: 'no-key'`). */
  keys?: SetKeys;
}

/** Entry types whose header names them ambiguously. */
const AMBIGUOUS_TYPES: ReadonlySet<string> = new Set(['OPERATOR', 'OPERATOR CLASS', 'OPERATOR FAMILY']);
/** Entry types whose SQL names roles besides the owner in the header. */
const ROLE_NAMING_TYPES: ReadonlySet<string> = new Set(['ACL', 'DEFAULT ACL', 'POLICY', 'USER MAPPING']);
/** Entry types whose SQL may use a collation: a column's, an index's, a domain's, a view's, a check's. */
const COLLATING_TYPES: ReadonlySet<string> = new Set(['TABLE', 'FOREIGN TABLE', 'INDEX', 'DOMAIN', 'TYPE', 'VIEW', 'MATERIALIZED VIEW', 'CONSTRAINT', 'CHECK CONSTRAINT']);
/** Entry types whose SQL may create what only a superuser may, or name a language that may be one only a superuser may use. */
const SUPERUSER_TEXT_TYPES: ReadonlySet<string> = new Set(['PUBLICATION', 'TYPE', 'CAST', 'FUNCTION', 'PROCEDURE', 'EXTENSION']);
const TEXT_TYPES: ReadonlySet<string> = new Set([...AMBIGUOUS_TYPES, ...ROLE_NAMING_TYPES, ...COLLATING_TYPES, ...SUPERUSER_TEXT_TYPES]);
/** The schema pg_dump creates an extension in. */
const EXTENSION_SCHEMA = /^CREATE EXTENSION IF NOT EXISTS (?:"(?:[^"]|"")+"|[a-z_][a-z0-9_]*) WITH SCHEMA ("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*);$/m;
/** pg_dump writes a function's language on a line of its own, before its body. */
const FUNCTION_LANGUAGE = /^ {4}LANGUAGE ("(?:[^"]|"")+"|[a-z_][a-z0-9_]*)(?: |$)/m;

/**
 * What an entry's SQL creates that only a superuser may, though its type
 * does not say so: a publication of all tables, a base type (or the shell
 * type before it), a cast without a function.
 */
export function superuserOnlyFromText(type: string, text: string): string | undefined {
  if (type === 'PUBLICATION' && /^CREATE PUBLICATION .* FOR ALL TABLES\b/m.test(text)) return 'FOR ALL TABLES publication';
  if (type === 'TYPE' && /^CREATE TYPE .* \(\n {4}INTERNALLENGTH = /m.test(text)) return 'base type';
  if (type === 'CAST' && /^CREATE CAST .* WITHOUT FUNCTION/m.test(text)) return 'cast WITHOUT FUNCTION';
  return undefined;
}

/** The settings a function or procedure sets for its calls: pg_dump's `    SET name TO …` lines before its body. */
export function settingsFromText(type: string, text: string): string[] {
  if (type !== 'FUNCTION' && type !== 'PROCEDURE') return [];
  const head = text.split(/^ {4}AS /m, 1)[0];
  return [...head.matchAll(/^ {4}SET ([a-z_][a-z0-9_.]*) (?:TO |FROM CURRENT)/gm)].map((match) => match[1]);
}

/** A function's or procedure's language, unquoted. */
export function languageFromText(type: string, text: string): string | undefined {
  if (type !== 'FUNCTION' && type !== 'PROCEDURE') return undefined;
  const name = FUNCTION_LANGUAGE.exec(text)?.[1];
  return name?.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}
/** A collation of pg_catalog as pg_dump names one (quoted where it must be); the others are the set's own, which it creates. */
const CATALOG_COLLATION = /\bCOLLATE pg_catalog\.("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)/g;

/** The collations of pg_catalog an entry's SQL uses, unquoted. */
export function collationsFromText(text: string): string[] {
  const names = new Set<string>();
  for (const [, name] of text.matchAll(CATALOG_COLLATION)) names.add(name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name);
  return [...names];
}

/** A role's name as pg_dump writes it: quoted where it must be. */
const ROLE = '(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)';
const ROLE_LIST = `${ROLE}(?:, ${ROLE})*`;
/** GRANT … TO list / REVOKE … FROM list at the end of a statement (a default privilege's too). */
const GRANTEES = new RegExp(`^(?:GRANT|REVOKE|ALTER DEFAULT PRIVILEGES) .* (?:TO|FROM) (${ROLE_LIST})(?: WITH GRANT OPTION)?(?: GRANTED BY (${ROLE}))?;$`);
const DEFAULTS_FOR = new RegExp(`^ALTER DEFAULT PRIVILEGES FOR ROLE (${ROLE}) `);
/** pg_dump switches to the grantor where it is not the owner. */
const SESSION_ROLE = new RegExp(`^SET SESSION AUTHORIZATION (${ROLE});$`);
const SESSION_ROLE_LINE = new RegExp(`^SET SESSION AUTHORIZATION (${ROLE});$`, 'm');
const POLICY_ROLES = new RegExp(`^CREATE POLICY .* TO (${ROLE_LIST})(?= USING \\(| WITH CHECK \\(|;$)`);
/** A user mapping's role; `public` unquoted is the mapping for every role. */
const MAPPED_ROLE = new RegExp(`^CREATE USER MAPPING FOR (${ROLE}) SERVER `);

/**
 * The roles an ACL, DEFAULT ACL, POLICY or USER MAPPING entry's SQL names,
 * unquoted; PUBLIC (everyone, not a role) left out.
 */
export function rolesFromText(text: string): string[] {
  const roles = new Set<string>();
  const add = (list: string | undefined) => {
    if (list === undefined) return;
    for (const name of list.match(new RegExp(ROLE, 'g')) ?? []) {
      if (name !== 'PUBLIC') roles.add(name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name);
    }
  };
  for (const line of text.split('\n')) {
    const grant = GRANTEES.exec(line);
    if (grant) {
      add(grant[1]);
      add(grant[2]);
    }
    add(DEFAULTS_FOR.exec(line)?.[1]);
    add(SESSION_ROLE.exec(line)?.[1]);
    add(POLICY_ROLES.exec(line)?.[1]);
    const mapped = MAPPED_ROLE.exec(line)?.[1];
    if (mapped !== 'public') add(mapped);
  }
  return [...roles];
}

/** An operator's argument types, an operator class's or family's access method, from what pg_dump wrote for it. */
export function identityFromText(type: string, name: string, text: string): string | undefined {
  if (type === 'OPERATOR') {
    const argument = (side: 'LEFTARG' | 'RIGHTARG') => new RegExp(`^\\s*${side} = (.+?),?$`, 'm').exec(text)?.[1] ?? 'NONE';
    return `${name}(${argument('LEFTARG')}, ${argument('RIGHTARG')})`;
  }
  const method = / USING ([A-Za-z0-9_"]+)/.exec(text)?.[1];
  return method === undefined ? undefined : `${name} USING ${method}`;
}

/**
 * Streams the file through a hash and a DumpReader. Rejects with the file
 * system's error (ENOENT, EACCES, ...) or an AbortError; a file that is not a
 * dump at all still scans, it just has no header, entries or footer.
 */
export async function scanDumpFile(path: string, options: ScanOptions = {}): Promise<DumpScan> {
  const hash = createHash('sha256');
  const entries: DumpEntry[] = [];
  const reader = new DumpReader({
    onEntry: (header) =>
      entries.push({ type: header.type, schema: header.schema, name: header.name, owner: header.owner, ...(header.tablespace ? { tablespace: header.tablespace } : {}) }),
    entryTextTypes: TEXT_TYPES,
    onEntryText: (header, text) => {
      const entry = entries.at(-1);
      if (!entry) return;
      if (SUPERUSER_TEXT_TYPES.has(header.type)) {
        const superuserOnly = superuserOnlyFromText(header.type, text);
        if (superuserOnly !== undefined) entry.superuserOnly = superuserOnly;
        const language = languageFromText(header.type, text);
        if (language !== undefined) entry.language = language;
        const settings = settingsFromText(header.type, text);
        if (settings.length > 0) entry.settings = settings;
        const schema = header.type === 'EXTENSION' ? EXTENSION_SCHEMA.exec(text)?.[1] : undefined;
        if (schema !== undefined) entry.extensionSchema = schema.startsWith('"') ? schema.slice(1, -1).replace(/""/g, '"') : schema;
      }
      if (ROLE_NAMING_TYPES.has(header.type)) {
        const roles = rolesFromText(text);
        if (roles.length > 0) entry.roles = roles;
        // A grant made with another role's grant option: pg_dump becomes that role, which only a superuser may.
        const grantor = SESSION_ROLE_LINE.exec(text)?.[1];
        if (grantor !== undefined)
          entry.superuserOnly = `grants made as ${grantor.startsWith('"') ? grantor.slice(1, -1).replace(/""/g, '"') : grantor} (SET SESSION AUTHORIZATION) on`;
        return;
      }
      if (COLLATING_TYPES.has(header.type)) {
        const collations = collationsFromText(text);
        if (collations.length > 0) entry.collations = collations;
        return;
      }
      const identity = identityFromText(header.type, header.name, text);
      if (identity !== undefined) entry.identity = identity;
    },
  });
  const head = new ByteWindow(HEAD_BYTES, 'first');
  const tail = new ByteWindow(TAIL_BYTES, 'last');
  let bytes = 0;
  const stored = (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
    options.onBytes?.(bytes);
  };
  const plain = (chunk: Buffer) => {
    // The split output is dropped, so the read buffer can be reused: what
    // the reader keeps across chunks for counting (an unfinished line) it copies.
    reader.push(chunk);
    head.add(chunk);
    tail.add(chunk);
  };
  const encoded = isEncodedFile(path);
  let notDecoded: string | undefined;
  if (encoded && options.keys === undefined && isEncryptedFile(path)) {
    notDecoded = 'no-key';
    for await (const chunk of readChunks(path, options.chunkBytes ?? READ_CHUNK_BYTES, options.signal)) stored(chunk);
  } else if (encoded) {
    try {
      for await (const chunk of readSetFile(path, { keys: options.keys, signal: options.signal, onStored: stored })) plain(chunk);
    } catch (error) {
      // A damaged file is a finding, not a failure to read: the rest of it is hashed, as the checksums check needs.
      if (!isPulseError(error) || error.code !== 'stored-file-damaged') throw error;
      notDecoded = error.message;
      const whole = await hashWholeFile(path, options.signal);
      return { ...emptyScan(), bytes: whole.bytes, sha256: whole.sha256, notDecoded };
    }
  } else {
    for await (const chunk of readChunks(path, options.chunkBytes ?? READ_CHUNK_BYTES, options.signal)) {
      stored(chunk);
      plain(chunk);
    }
  }
  reader.end();
  if (notDecoded !== undefined) return { ...emptyScan(), bytes, sha256: hash.digest('hex'), notDecoded };
  const preamble = readPreamble(head.text());
  return {
    bytes,
    sha256: hash.digest('hex'),
    entries,
    tableRows: reader.tableData.map((table) => ({ schema: table.schema, name: table.name, rows: table.rows })),
    hasHeader: preamble.hasHeader,
    hasFooter: reader.complete,
    ...(preamble.restrictKey !== undefined ? { restrictKey: preamble.restrictKey } : {}),
    endsUnrestricted: preamble.restrictKey === undefined || endsWithUnrestrict(tail.text(), preamble.restrictKey),
    ...(preamble.dumpedFromVersion !== undefined ? { dumpedFromVersion: preamble.dumpedFromVersion } : {}),
    ...(preamble.dumpedByVersion !== undefined ? { dumpedByVersion: preamble.dumpedByVersion } : {}),
    ...(preamble.clientEncoding !== undefined ? { clientEncoding: preamble.clientEncoding } : {}),
  };
}

/** What a scan found in a file whose SQL it could not read. */
function emptyScan(): Omit<DumpScan, 'bytes' | 'sha256'> {
  return { entries: [], tableRows: [], hasHeader: false, hasFooter: false, endsUnrestricted: false };
}

async function hashWholeFile(path: string, signal: AbortSignal | undefined): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of readChunks(path, READ_CHUNK_BYTES, signal)) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * The file's bytes in order, through two buffers used in turn: the next read
 * runs while the caller works on the current chunk, and no memory is
 * allocated per chunk. (A fresh 1 MiB buffer per read, as a read stream
 * makes, costs a fresh process more in page faults than the hashing.) A
 * chunk is only valid until the loop asks for the next one.
 */
async function* readChunks(path: string, chunkBytes: number, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  signal?.throwIfAborted();
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  let current = 0;
  let position = 0;
  let reading = handle.read(buffers[current], 0, chunkBytes, position);
  try {
    for (;;) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) return;
      const chunk = buffers[current].subarray(0, bytesRead);
      position += bytesRead;
      current = 1 - current;
      reading = handle.read(buffers[current], 0, chunkBytes, position);
      signal?.throwIfAborted();
      yield chunk;
    }
  } finally {
    // A read still under way must finish before its file is closed.
    await reading.catch(() => undefined);
    await handle.close();
  }
}

/**
 * What pg_dump says about itself at the top of a file, read from its first
 * bytes only: for checks that need the `\\restrict` key or the version
 * without reading the whole file.
 */
export async function readDumpPreamble(path: string, keys?: SetKeys): Promise<Preamble | undefined> {
  if (isEncodedFile(path)) {
    // Its top, decoded; an encrypted one without a key says nothing.
    if (keys === undefined && isEncryptedFile(path)) return undefined;
    const head = new ByteWindow(HEAD_BYTES, 'first');
    let read = 0;
    for await (const chunk of readSetFile(path, { keys })) {
      head.add(chunk);
      read += chunk.length;
      if (read >= HEAD_BYTES) break;
    }
    return readPreamble(head.text());
  }
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return readPreamble(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}

export interface Preamble {
  hasHeader: boolean;
  restrictKey?: string;
  dumpedFromVersion?: string;
  dumpedByVersion?: string;
  /** The encoding of the file's text: its `SET client_encoding = '…';`. */
  clientEncoding?: string;
}

/** Reads what pg_dump says about itself before the first entry. */
export function readPreamble(head: string): Preamble {
  const lines = head.split('\n', PREAMBLE_LINES).map((line) => line.replace(/\r$/, ''));
  const preamble: Preamble = {
    // pg_dump opens with "--", then this line; allow a stray blank line or BOM before it.
    hasHeader: lines.slice(0, 4).some((line) => line.replace(/^\uFEFF/, '') === DUMP_HEADER_LINE),
  };
  for (const line of lines) {
    if (/^-- (Data for )?Name: /.test(line)) break;
    const restrict = /^\\restrict (\S+)\s*$/.exec(line);
    if (restrict) preamble.restrictKey ??= restrict[1];
    const from = /^-- Dumped from database version (.+)$/.exec(line);
    if (from) preamble.dumpedFromVersion ??= from[1].trim();
    const by = /^-- Dumped by pg_dump version (.+)$/.exec(line);
    if (by) preamble.dumpedByVersion ??= by[1].trim();
    const encoding = /^SET client_encoding = '([^']+)';$/.exec(line);
    if (encoding) preamble.clientEncoding ??= encoding[1];
  }
  return preamble;
}

function endsWithUnrestrict(tail: string, key: string): boolean {
  return tail.split('\n').some((line) => line.replace(/\r$/, '').trimEnd() === `\\unrestrict ${key}`);
}

/** Keeps the first or the last `size` bytes of a stream without holding the rest. */
class ByteWindow {
  private kept: Buffer = Buffer.alloc(0);

  constructor(
    private readonly size: number,
    private readonly end: 'first' | 'last',
  ) {}

  add(chunk: Buffer): void {
    if (this.end === 'first') {
      if (this.kept.length >= this.size) return;
      this.kept = Buffer.concat([this.kept, chunk.subarray(0, this.size - this.kept.length)]);
      return;
    }
    // Copies, so that the window never pins a whole 1 MiB read buffer.
    this.kept = chunk.length >= this.size ? Buffer.from(chunk.subarray(chunk.length - this.size)) : Buffer.concat([this.kept, chunk]).subarray(-this.size);
  }

  text(): string {
    return this.kept.toString('utf8');
  }
}
