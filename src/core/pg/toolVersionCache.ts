/**
 * What `pg_dump --version` (and psql's, pg_restore's) printed, remembered on
 * disk per binary: running them costs tens of milliseconds on every backup,
 * while the answer only changes when the file does. An entry counts only
 * for the same real path, size and modification time; a cache that cannot
 * be read or written is simply not used.
 */
import { readFile, realpath, stat, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../files/atomicFile';

interface Entry {
  size: number;
  mtimeMs: number;
  output: string;
}

const CACHE_FILE = 'tool-versions.json';
/** Only real client binaries: a wrapper script (Debian's pg_wrapper) answers differently per environment. */
const CACHEABLE = /^(pg_dump|psql|pg_restore)(\.exe)?$/i;

let loaded: Promise<Map<string, Entry>> | undefined;

export function toolCacheFolder(env: NodeJS.ProcessEnv): string {
  if (env.PULSE_BACKUP_CACHE_DIR) return env.PULSE_BACKUP_CACHE_DIR;
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'pulse-backup');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pulse-backup');
}

export async function cachedVersionOutput(toolPath: string, env: NodeJS.ProcessEnv, read: () => Promise<string>): Promise<string> {
  let key: string;
  let size: number;
  let mtimeMs: number;
  try {
    key = await realpath(toolPath);
    const info = await stat(key);
    size = info.size;
    mtimeMs = info.mtimeMs;
  } catch {
    return read();
  }
  if (!CACHEABLE.test(basename(key))) return read();
  const folder = toolCacheFolder(env);
  const entries = await load(folder);
  const known = entries.get(key);
  if (known && known.size === size && known.mtimeMs === mtimeMs) return known.output;
  const output = await read();
  entries.set(key, { size, mtimeMs, output });
  // Writes of one file from one process take turns in writeFileAtomic; a cache that cannot be written is not used.
  await save(folder, entries).catch(() => undefined);
  return output;
}

function load(folder: string): Promise<Map<string, Entry>> {
  loaded ??= readFile(join(folder, CACHE_FILE), 'utf8')
    .then(
      (text) => {
        const value = JSON.parse(text) as Record<string, Entry>;
        return new Map(Object.entries(value).filter(([, entry]) => typeof entry?.output === 'string'));
      },
      () => new Map<string, Entry>(),
    )
    .catch(() => new Map<string, Entry>());
  return loaded;
}

async function save(folder: string, entries: Map<string, Entry>): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(folder, CACHE_FILE), `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`);
}
