/**
 * A real PgBouncer in front of a test server, in transaction or session
 * mode, on a free loopback port: what teams point DATABASE_URL at (a hosted
 * Supabase project's pooler is Supavisor, which behaves the same). It runs
 * as the servers' system user when the tests run as root (PgBouncer refuses
 * root), and ends with stop().
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedPort } from './ports';
import { serverProcessOwner } from './serverBinaries';
import type { TestServer } from './pgServer';

export interface Pooler {
  port: number;
  /** postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE, through the pooler. */
  url(database: string): string;
  stop(): Promise<void>;
}

/** The pgbouncer program, or undefined where it is not installed. */
export function findPgbouncer(): string | undefined {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `poolSize`: server connections per database and user (4 unless given). */
export async function startPgbouncer(program: string, server: TestServer, mode: 'transaction' | 'session', poolSize = 4): Promise<Pooler> {
  const owner = serverProcessOwner();
  const folder = mkdtempSync(join(realpathSync(tmpdir()), 'pulse-pgbouncer-'));
  const port = await closedPort();
  writeFileSync(join(folder, 'users.txt'), `"${server.user}" "${server.password}"\n`, { mode: 0o600 });
  writeFileSync(
    join(folder, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.host} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = plain',
      `auth_file = ${join(folder, 'users.txt')}`,
      `pool_mode = ${mode}`,
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 100',
      // node-postgres and pg_dump send these at startup; PgBouncer must let them through.
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  if (owner) {
    chmodSync(folder, 0o700);
    for (const name of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(folder, name), owner.uid, owner.gid);
  }
  const child: ChildProcess = spawn(program, [join(folder, 'pgbouncer.ini')], {
    stdio: 'ignore',
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGINT');
    await Promise.race([exited, sleep(5000)]);
    rmSync(folder, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`pgbouncer did not start on port ${port}`);
    }
    await sleep(50);
  }
  return {
    port,
    url: (database) => `postgresql://${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}@127.0.0.1:${port}/${database}`,
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
