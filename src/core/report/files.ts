/**
 * The report's facts from the file system: which files the set has, their
 * sizes and what each is for; the version comments at the top of a dump
 * (all a set without a manifest has); and who may read the folder and files.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListedSet } from '../sets/listing';
import type { BackupFileType } from '../sets/manifest';
import { fileNameFor, setFileNames } from '../sets/naming';
import type { ReportFile, ReportFileKind, ReportFilePermission } from './types';
import type { SetKeys } from '../codecs/codecs';
import { isEncodedFile, isEncryptedFile } from '../codecs/setFileReader';
import { readDumpPreamble } from '../verify/dumpScan';

const FILE_LABELS: Readonly<Record<ReportFileKind, string>> = {
  complete: 'Complete dump',
  schema: 'Schema-only dump',
  data: 'Data-only dump',
  manifest: 'Manifest',
  history: 'History',
  pin: 'Pin marker',
};

/** Enough of a plain dump's beginning to hold its header comments and the \restrict line. */
const DUMP_HEADER_BYTES = 8192;

export async function describeFiles(folder: string, set: ListedSet): Promise<ReportFile[]> {
  const manifest = set.manifest;
  const legacy = manifest === undefined;
  const dumps = (['complete', 'schema', 'data'] as const).map((type): ReportFile => {
    const listed = set.files.find((file) => file.type === type);
    const recorded = manifest?.files.find((file) => file.type === type);
    const name = listed?.name ?? recorded?.name ?? fileNameFor(set.prefix, type, set.timestamp);
    return {
      kind: type,
      label: FILE_LABELS[type],
      name,
      path: join(folder, name),
      present: listed !== undefined,
      bytes: listed?.bytes ?? null,
      sha256: recorded?.sha256 ?? null,
      description: dumpDescription(type, legacy),
    };
  });
  const names = setFileNames(set.prefix, set.timestamp);
  const sides = await Promise.all(
    (['manifest', 'history', 'pin'] as const).map(async (kind): Promise<ReportFile | undefined> => {
      const path = join(folder, names[kind]);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      return {
        kind,
        label: FILE_LABELS[kind],
        name: names[kind],
        path,
        present: true,
        bytes: info.size,
        sha256: null,
        description: SIDE_FILE_DESCRIPTIONS[kind],
      };
    }),
  );
  return [...dumps, ...sides.filter((file): file is ReportFile => file !== undefined)];
}

function dumpDescription(type: BackupFileType, legacy: boolean): string {
  switch (type) {
    case 'complete':
      return 'Everything in one file: definitions, rows, then indexes, constraints and foreign keys. Restores into an empty database.';
    case 'schema':
      return 'Definitions only (tables, types, functions, indexes, constraints, policies, grants), no rows. Recreates the structure in an empty database.';
    case 'data':
      return legacy
        ? 'Rows, sequence values and large objects (pg_dump --data-only). Loads into a database that has the schema; triggers stay on unless you turn them off.'
        : 'Rows, sequence values and large objects. Loads into a database that has the schema, with triggers off (session_replication_role = replica).';
  }
}

const SIDE_FILE_DESCRIPTIONS: Readonly<Record<'manifest' | 'history' | 'pin', string>> = {
  manifest: 'What the set holds: checksums, sizes, every table with its exact row count, server and pg_dump versions. Written last, so its presence means the dumps were complete.',
  history: 'Every verification of this set, and what retention removed when it was made.',
  pin: 'Marker: retention never removes this set while it exists.',
};

export interface DumpHeader {
  serverVersion?: string;
  pgDumpVersion?: string;
  usesRestrict: boolean;
}

/**
 * The version comments pg_dump writes at the top of every plain dump: the
 * only facts a set without a manifest has. An encrypted file's top is read
 * decrypted with `keys`; without them, what its manifest's pg_dump writes.
 */
export async function readDumpHeader(folder: string, set: ListedSet, keys?: SetKeys): Promise<DumpHeader> {
  const file = set.files.find((candidate) => candidate.type === 'complete') ?? set.files[0];
  if (!file) return { usesRestrict: false };
  let text: string;
  if (isEncodedFile(file.name)) {
    if (keys === undefined && isEncryptedFile(file.name)) return { usesRestrict: writesRestrict(set.manifest?.tools.pgDump.version) };
    const preamble = await readDumpPreamble(join(folder, file.name), keys).catch(() => undefined);
    return {
      ...(preamble?.dumpedFromVersion ? { serverVersion: preamble.dumpedFromVersion } : {}),
      ...(preamble?.dumpedByVersion ? { pgDumpVersion: preamble.dumpedByVersion } : {}),
      usesRestrict: preamble ? preamble.restrictKey !== undefined : writesRestrict(set.manifest?.tools.pgDump.version),
    };
  }
  try {
    const handle = await open(join(folder, file.name), 'r');
    try {
      const buffer = Buffer.alloc(DUMP_HEADER_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, DUMP_HEADER_BYTES, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return { usesRestrict: false };
  }
  return {
    serverVersion: /^-- Dumped from database version (.+)$/m.exec(text)?.[1]?.trim(),
    pgDumpVersion: /^-- Dumped by pg_dump version (.+)$/m.exec(text)?.[1]?.trim(),
    usesRestrict: /^\\restrict /m.test(text),
  };
}

/** Whether this pg_dump writes `\restrict` (13.22, 14.19, 15.14, 16.10, 17.6 and later releases of each major, and 18). */
export function writesRestrict(pgDumpVersion: string | undefined): boolean {
  const match = /^(\d+)\.(\d+)/.exec(pgDumpVersion ?? '');
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const firstMinor: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };
  return major >= 18 || (firstMinor[major] !== undefined && minor >= firstMinor[major]);
}

export interface SetPermissions {
  folder: ReportFilePermission | null;
  files: ReportFilePermission[];
}

export async function readPermissions(folder: string, files: ReportFile[]): Promise<SetPermissions> {
  if (process.platform === 'win32') return { folder: null, files: [] };
  const permission = async (path: string, name: string, kind: 'folder' | 'file'): Promise<ReportFilePermission | null> => {
    const info = await stat(path).catch(() => undefined);
    if (!info) return null;
    const bits = info.mode & 0o777;
    return {
      name,
      kind,
      mode: `0${bits.toString(8).padStart(3, '0')}`,
      readableByGroup: (bits & 0o040) !== 0,
      readableByOthers: (bits & 0o004) !== 0,
    };
  };
  const [folderPermission, ...filePermissions] = await Promise.all([
    permission(folder, folder, 'folder'),
    ...files.filter((file) => file.present).map((file) => permission(file.path, file.name, 'file')),
  ]);
  return { folder: folderPermission, files: filePermissions.filter((entry): entry is ReportFilePermission => entry !== null) };
}
