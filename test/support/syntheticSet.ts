/**
 * Small hand-made backup sets for unit tests: a plain dump in pg_dump's
 * shape, split by the real DumpReader, hashed, with a manifest, exactly as
 * the backup writes them (no database needed); and manifests and
 * verifications alone, for tests of what is read from them.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DumpReader } from '../../src/core/pg/dumpReader';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type BackupFileType, type Manifest } from '../../src/core/sets/manifest';
import { fileNameFor, manifestNameFor, setIdFor } from '../../src/core/sets/naming';
import { outcomeOf, type VerificationReport } from '../../src/core/verify/results';

/** A plain dump with one table per entry of `rowsByTable` (public schema), rows "N\tuser N". */
export function syntheticDump(rowsByTable: Record<string, number>): string {
  const names = Object.keys(rowsByTable);
  const parts = [
    '--\n-- PostgreSQL database dump\n--\n\n\\restrict k3y\n\n',
    '-- Dumped from database version 15.18\n-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)\n\n',
    "SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\n\n",
  ];
  for (const name of names) {
    parts.push(`--\n-- Name: ${name}; Type: TABLE; Schema: public; Owner: postgres\n--\n\nCREATE TABLE public.${name} (id integer, name text);\n\n\n`);
  }
  for (const name of names) {
    parts.push(`--\n-- Data for Name: ${name}; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\nCOPY public.${name} (id, name) FROM stdin;\n`);
    const rows: string[] = [];
    for (let row = 1; row <= rowsByTable[name]; row++) rows.push(`${row}\tuser ${row}\n`);
    parts.push(rows.join(''), '\\.\n\n\n');
  }
  parts.push('--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict k3y\n\n');
  return parts.join('');
}

export interface WrittenSet {
  id: string;
  prefix: string;
  timestamp: string;
  paths: Record<BackupFileType, string>;
  manifestPath: string;
  manifest: Manifest;
}

/** Writes the three files (mode 0600) and, unless `withManifest` is false, the manifest. */
export function writeSyntheticSet(folder: string, options: { prefix?: string; timestamp?: string; rows?: Record<string, number>; withManifest?: boolean } = {}): WrittenSet {
  const prefix = options.prefix ?? 'shop';
  const timestamp = options.timestamp ?? '20250901_120000';
  const rows = options.rows ?? { users: 3, orders: 0 };
  const complete = Buffer.from(syntheticDump(rows));
  const reader = new DumpReader();
  const first = reader.push(complete);
  const rest = reader.end();
  const contents: Record<BackupFileType, Buffer> = {
    schema: Buffer.concat([...first.schema, ...rest.schema]),
    data: Buffer.concat([...first.data, ...rest.data]),
    complete,
  };
  const paths = {} as Record<BackupFileType, string>;
  const files: Manifest['files'] = [];
  for (const type of ['schema', 'data', 'complete'] as const) {
    const name = fileNameFor(prefix, type, timestamp);
    paths[type] = join(folder, name);
    writeFileSync(paths[type], contents[type], { mode: 0o600 });
    files.push({ type, name, bytes: contents[type].length, sha256: createHash('sha256').update(contents[type]).digest('hex') });
  }
  const tables = Object.entries(rows).map(([name, count]): Manifest['tables'][number] => ({ schema: 'public', name, kind: 'table', rows: count, bytes: 8192 }));
  const manifest = syntheticManifest({ prefix, timestamp, files, tables });
  const manifestPath = join(folder, manifestNameFor(prefix, timestamp));
  if (options.withManifest ?? true) writeFileSync(manifestPath, JSON.stringify(manifest, null, 2), { mode: 0o600 });
  return { id: manifest.id, prefix, timestamp, paths, manifestPath, manifest };
}

/**
 * A manifest as a backup of the database `shop` on a local PostgreSQL 15
 * writes it: `fields` replace the defaults, and the id follows the prefix
 * and timestamp unless given.
 */
export function syntheticManifest(fields: Partial<Manifest> = {}): Manifest {
  const prefix = fields.prefix ?? 'shop';
  const timestamp = fields.timestamp ?? '20250901_120000';
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    id: setIdFor(prefix, timestamp),
    prefix,
    timestamp,
    startedAt: '2025-09-01T10:00:00.000Z',
    durationMs: 10,
    purpose: 'backup',
    database: { host: 'localhost', port: 5432, name: 'shop', user: 'postgres', sizeBytes: 1_000_000 },
    server: { version: '15.18', versionNum: 150018 },
    tools: { pulseBackup: '0.1.0', pgDump: { path: '/usr/bin/pg_dump', version: '15.18' } },
    options: { method: 'single-snapshot-split', pgDumpArgs: ['--format=plain'] },
    files: [],
    tables: [],
    materializedViews: [],
    largeObjects: 0,
    sequences: 0,
    foreignKeyCycles: [],
    pgDumpWarnings: [],
    ...fields,
  };
}

/** A verification as verifySet records it: the given groups, their outcome, and `fields` in place of the defaults. */
export function syntheticVerification(setId: string, groups: VerificationReport['groups'], fields: Partial<VerificationReport> = {}): VerificationReport {
  return { setId, checkedAt: '2025-09-01T10:01:00.000Z', durationMs: 1, groups, outcome: outcomeOf(groups.flatMap((group) => group.checks)), ...fields };
}
