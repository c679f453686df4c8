/**
 * One PostgreSQL major, round-tripped: the project's sample database backed
 * up with the client tools given, then restored in every mode into fresh
 * databases of the same server, each equal to the source in full content.
 * Shared by the majors the host's tools serve (test/integration) and those
 * that need tools from a container (test/stack).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import { plainFor, sampleCases } from '../samples';
import { runCli } from './cli';
import { assertSameContent } from './fingerprint';
import { startServer, type ServerMajor, type TestServer } from './pgServer';

export interface MajorRoundTrip {
  server: TestServer;
  manifest: Manifest;
  /** Restores the set into a new database in this mode (schema+data: the schema file, then the data file). */
  restore(mode: (typeof RESTORE_MODES)[number]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a server of that major, loads the factory sample, backs it up with the tools in pgBinDir (or the host's). */
export async function backUpOnMajor(major: ServerMajor, pgBinDir?: string): Promise<MajorRoundTrip> {
  const server = await startServer({ major });
  const folder = mkdtempSync(join(tmpdir(), `pulse-major-${major}-`));
  const tools = pgBinDir ? ['--pg-bin-dir', pgBinDir] : [];
  try {
    // The factory sample's SQL-standard function bodies need PostgreSQL 14: 13 gets the Supabase-shaped one, whole.
    const sample = sampleCases().find((candidate) => candidate.name === (major >= 14 ? 'factory' : 'supabase'))!;
    await server.createDatabase('source');
    await server.loadSql('source', sample.file, sample.variables);
    const backup = await runCli(['backup', '--db', server.url('source'), '--dir', folder, '--prefix', `pg${major}`, '--json', ...plainFor(sample), ...tools]);
    assert.equal(backup.code, 0, backup.stderr);
    const manifest = JSON.parse(backup.stdout) as Manifest;
    let databases = 0;
    const restoreInto = async (database: string, mode: string, extra: string[] = []) => {
      const result = await runCli(['restore', manifest.id, '--mode', mode, '--db', server.url(database), '--dir', folder, '--yes', '--no-safety-backup', ...extra, ...tools]);
      assert.equal(result.code, 0, result.stderr);
    };
    return {
      server,
      manifest,
      restore: async (mode) => {
        databases += 1;
        const target = `target_${databases}`;
        if (mode === 'complete --clean') {
          // A copy of the source changed since: --clean drops the backup's objects (the check of what else depends on them reads this major's catalog) and makes them again.
          await server.createDatabase(target, { template: 'source' });
          await server.query(
            target,
            `SET session_replication_role = replica; DELETE FROM ${sample.name === 'factory' ? 'public.messages' : 'public.work_orders'} WHERE id % 2 = 0`,
          );
          await restoreInto(target, 'complete', ['--clean']);
        } else if (mode === 'data --clean') {
          // A database that has the schema and other rows: --clean empties it, the data file fills it.
          await server.createDatabase(target, { template: 'source' });
          await server.query(
            target,
            sample.name === 'factory'
              ? `SET session_replication_role = replica; DELETE FROM public.messages WHERE id % 3 = 0; UPDATE public.users SET full_name = full_name || ' (changed)'`
              : `SET session_replication_role = replica; DELETE FROM public.work_orders WHERE id % 3 = 0; UPDATE auth.users SET email = 'changed-' || email`,
          );
          await restoreInto(target, 'data', ['--clean']);
        } else {
          await server.createDatabase(target);
          if (mode === 'complete') await restoreInto(target, 'complete');
          else {
            await restoreInto(target, 'schema');
            await restoreInto(target, 'data');
          }
        }
        await assertSameContent(server.url('source'), server.url(target));
      },
      stop: async () => {
        await server.stop();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.stop();
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** The modes every major is restored in. */
export const RESTORE_MODES = ['complete', 'complete --clean', 'schema+data', 'data --clean'] as const;
