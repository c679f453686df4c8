/**
 * What the team's old backup script left for one run: three real pg_dump
 * outputs (--schema-only, --data-only, and a plain full dump) named
 * PREFIX_{schema,data,complete}_backup_TIMESTAMP.sql, and no manifest.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { TestServer } from './pgServer';

const run = promisify(execFile);

/** Writes one run's three files into `folder` and returns their paths. The password goes to pg_dump in its environment, never in argv. */
export async function writeOldScriptSet(server: TestServer, database: string, folder: string, prefix: string, timestamp: string): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const url = new URL(server.url(database));
  url.password = '';
  const env = { ...process.env, PGPASSWORD: server.password };
  const files: string[] = [];
  for (const [kind, flags] of [
    ['schema', ['--schema-only']],
    ['data', ['--data-only']],
    ['complete', []],
  ] as const) {
    const file = path.join(folder, `${prefix}_${kind}_backup_${timestamp}.sql`);
    await run('pg_dump', [...flags, '-f', file, '-d', url.href], { env });
    files.push(file);
  }
  return files;
}
