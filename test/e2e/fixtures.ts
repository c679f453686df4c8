/**
 * What the end-to-end run sets up around VS Code: the packaged extension, the
 * workspace folder a person would open, the old script's timestamps and the
 * rows it counts (the old script's sets come from test/support/oldScript.ts).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { TestServer } from '../support/pgServer';

const run = promisify(execFile);

/** Top-level entries of the repository that never go into the package and need not be copied to build it. */
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', 'out', '.vscode-test', 'test', 'bench', 'backups', '.ci']);

/**
 * Packages the extension with `npm run package`'s script (scripts/package.ts:
 * the details page's README made to stand alone, then vsce, whose
 * vscode:prepublish builds dist/ for production), but in a copy of the
 * repository: the production build minifies dist/, and the repository's
 * dist/ stays the development build the other tests use. Returns the .vsix.
 */
export async function packageExtension(repositoryRoot: string, workDir: string): Promise<string> {
  const copy = path.join(workDir, 'package-source');
  mkdirSync(copy, { recursive: true });
  for (const entry of readdirSync(repositoryRoot)) {
    if (NOT_COPIED.has(entry) || entry.endsWith('.vsix')) continue;
    cpSync(path.join(repositoryRoot, entry), path.join(copy, entry), { recursive: true });
  }
  symlinkSync(path.join(repositoryRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  const vsix = path.join(workDir, 'pulse-backup.vsix');
  try {
    await run(process.execPath, ['--import', 'tsx', path.join('scripts', 'package.ts'), '-o', vsix], { cwd: copy, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run package failed: ${error instanceof Error ? error.message : String(error)}\n${stdout ?? ''}${stderr ?? ''}`.trim(), { cause: error });
  }
  return vsix;
}

/** postgresql://USER@HOST:PORT/DATABASE: the URL as the settings keep it, without the password. */
export function urlWithoutPassword(server: TestServer, database: string): string {
  return `postgresql://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${encodeURIComponent(database)}`;
}

/**
 * The project folder a person opens: factory-pulse, whose folder settings
 * name the database without its password (the password is typed into
 * Configure connection during the run).
 */
export function makeWorkspace(parent: string, connectionUrl: string): string {
  const workspace = path.join(parent, 'factory-pulse');
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  writeFileSync(path.join(workspace, '.vscode', 'settings.json'), `${JSON.stringify({ 'pulseBackup.connectionUrl': connectionUrl }, null, 2)}\n`);
  writeFileSync(path.join(workspace, 'README.md'), '# Factory Pulse\n');
  return workspace;
}

/** `date +%Y%m%d_%H%M%S`, as the old script named its files. */
export function scriptTimestamp(date: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}_${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`;
}

/** "2025-09-01 17:39:48" for 20250901_173948: how the tree labels a set. */
export function treeLabelOf(timestamp: string): string {
  const match = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(timestamp);
  if (!match) throw new Error(`not a YYYYMMDD_HHMMSS timestamp: ${timestamp}`);
  const [, year, month, day, hour, minute, second] = match;
  return `${year}-${month}-${day} ${hour}:${minute}:${second}`;
}

/** Exact row counts, read with SQL. */
export async function countRows(server: TestServer, database: string, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of tables) {
    const [row] = await server.query<{ rows: number }>(database, `SELECT count(*)::int AS rows FROM ${table}`);
    counts.set(table, row?.rows ?? Number.NaN);
  }
  return counts;
}

/** How the engine prints a count: 3,166. */
export function formatCount(value: number): string {
  return new Intl.NumberFormat('en-US').format(value);
}

/**
 * Copies of a real set under other timestamps, their manifests rewritten to
 * name the copies: sets of their own, as if earlier backups had made them.
 */
export function copySets(folder: string, setId: string, count: number, hoursApart: number): string[] {
  const manifest = JSON.parse(readFileSync(path.join(folder, `${setId}.manifest.json`), 'utf8')) as {
    id: string;
    prefix: string;
    timestamp: string;
    startedAt: string;
    files: { type: 'schema' | 'data' | 'complete'; name: string }[];
  };
  const ids: string[] = [];
  for (let index = 1; index <= count; index++) {
    const when = new Date(Date.now() - index * hoursApart * 3_600_000);
    const timestamp = scriptTimestamp(when);
    const files = manifest.files.map((file) => {
      const name = `${manifest.prefix}_${file.type}_backup_${timestamp}.sql`;
      copyFileSync(path.join(folder, file.name), path.join(folder, name));
      return { ...file, name };
    });
    const id = `${manifest.prefix}_${timestamp}`;
    writeFileSync(path.join(folder, `${id}.manifest.json`), `${JSON.stringify({ ...manifest, id, timestamp, startedAt: when.toISOString(), files }, null, 2)}\n`, { mode: 0o600 });
    ids.push(id);
  }
  return ids;
}
