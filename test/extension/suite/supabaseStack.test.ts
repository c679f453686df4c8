/**
 * A Supabase project as its users open it in VS Code: a folder with
 * Supabase's own supabase/config.toml (`major_version = 17`), whose database
 * is the stack's PostgreSQL 17 in a real container named as the Supabase CLI
 * names it, published on loopback, the real platform loaded (all made by
 * test/extension/run.ts and named in PULSE_TEST_STACK). This machine's
 * client tools are older (15), so Backup must run pg_dump inside the
 * container, and Restore… the container's psql; with no connection
 * configured at all: the project's own database is the default.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import * as vscode from 'vscode';
import type { Manifest } from '../../../src/core/sets/manifest';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { SetNode } from '../../../src/extension/tree';
import { diffFingerprints, fingerprintDatabase, type Fingerprint } from '../../support/fingerprint';
import { tasksEnded, useActivatedExtension, waitFor } from './helpers';
import { ScriptedPrompts, type MessageCall } from './prompts';

interface TestStack {
  container: string;
  port: number;
  major: number;
  /** The database as the platform's superuser (supabase_admin), to change and compare everything. */
  adminUrl: string;
}

function testStack(): TestStack {
  const raw = process.env.PULSE_TEST_STACK;
  if (!raw) throw new Error('PULSE_TEST_STACK is not set: run this suite with `npm run test:extension` where Docker runs');
  return JSON.parse(raw) as TestStack;
}

describe("Pulse Backup on a Supabase project whose database runs in the stack's container", function () {
  const stack = testStack();
  const prompts = new ScriptedPrompts();
  let folder: vscode.WorkspaceFolder;
  let backupsFolder: string;
  let api: PulseBackupApi;
  let keptSetId: string | undefined;
  let backedUp: Fingerprint;

  async function asAdmin(sql: string): Promise<void> {
    const client = new Client({ connectionString: stack.adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  function manifestOf(id: string): Manifest {
    return JSON.parse(readFileSync(path.join(backupsFolder, `${id}.manifest.json`), 'utf8')) as Manifest;
  }

  function assertNoErrors(): void {
    assert.deepEqual(
      prompts.messages.filter((call: MessageCall) => call.kind === 'error').map((call) => call.message),
      [],
      'no error notification expected',
    );
  }

  async function setNode(id: string): Promise<SetNode> {
    return waitFor(`set ${id} in the Backups view`, async () =>
      ((await api.backupsTree.getChildren(undefined)) ?? []).find((node): node is SetNode => node.kind === 'set' && node.entry.set.id === id),
    );
  }

  /** Back Up Database; the set's id and the database's content at it are kept for the tests that restore. */
  async function backUpProject(): Promise<string> {
    await vscode.commands.executeCommand('pulseBackup.backup');
    assertNoErrors();
    const done = await prompts.waitForMessage((call) => call.kind === 'information' && /^Backup \S+ written/.test(call.message));
    const setId = /^Backup (\S+) written/.exec(done.message)?.[1] ?? '';
    backedUp = await fingerprintDatabase(stack.adminUrl);
    keptSetId = setId;
    return setId;
  }

  /** A set of the project's database: the one kept while it is still there, else a new one. */
  async function ensureSet(): Promise<string> {
    if (keptSetId && existsSync(path.join(backupsFolder, `${keptSetId}.manifest.json`))) return keptSetId;
    const setId = await backUpProject();
    await tasksEnded();
    prompts.reset();
    return setId;
  }

  before(function () {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, 'the runner opens the project folder alone');
    folder = folders[0];
    assert.ok(existsSync(path.join(folder.uri.fsPath, 'supabase', 'config.toml')), 'the folder is a Supabase project');
    backupsFolder = path.join(folder.uri.fsPath, 'backups');
  });
  useActivatedExtension(prompts, (activated) => (api = activated));

  beforeEach(function () {
    prompts.reset();
  });

  it('activates for the project (supabase/config.toml) with no connection configured', function () {
    const extension = vscode.extensions.getExtension('pulse-backup.pulse-backup');
    assert.equal(extension?.isActive, true);
    assert.equal(vscode.workspace.getConfiguration('pulseBackup', folder.uri).get('connectionURL'), '', 'the project itself says where its database is');
  });

  it("Back Up Database runs pg_dump 17 inside the stack's container (the host's 15 cannot dump 17) and writes a Supabase set", async function () {
    const setId = await backUpProject();
    assert.match(setId, /^factory_pulse_vscode_\d{8}_\d{6}$/, 'the prefix is the project_id');

    const manifest = manifestOf(setId);
    assert.equal(manifest.tools.pgDump.path, `docker exec ${stack.container} pg_dump`, "the container's pg_dump made the set");
    assert.match(manifest.tools.pgDump.version, /^17\./);
    assert.match(manifest.server.version, /^17\./);
    assert.deepEqual([manifest.database.host, manifest.database.port, manifest.database.name], ['127.0.0.1', stack.port, 'postgres']);
    assert.equal(manifest.profile?.name, 'supabase');
    for (const table of ['auth.users', 'storage.objects', 'cron.job', 'pgmq.q_work_order_events']) {
      assert.ok(manifest.profile?.platformData.includes(table), `${table} rows are in the set`);
    }
    assert.equal((await setNode(setId)).entry.set.status, 'complete');
  });

  it("Restore… data only, after the modal, brings every row back into the container's database with the container's psql", async function () {
    const setId = await ensureSet();
    await asAdmin(`
      SET session_replication_role = replica;
      UPDATE auth.users SET email = 'changed-' || email;
      DELETE FROM public.work_orders WHERE id < 20;
      DELETE FROM cron.job WHERE jobname = 'purge-drafts';
      DELETE FROM pgmq.q_work_order_events;`);
    assert.ok(diffFingerprints(backedUp, await fingerprintDatabase(stack.adminUrl)).length > 0, 'the data was changed before the restore');

    prompts.answerQuickPick = (call) => (call.title === `Restore ${setId}` ? 'Data only' : undefined);
    prompts.answerMessage = (call) => (call.modal && call.buttons.includes('Restore') ? 'Restore' : undefined);
    await vscode.commands.executeCommand('pulseBackup.restore', { folderUri: folder.uri.toString(), setId });
    assertNoErrors();
    const confirmation = prompts.messages.find((call) => call.modal);
    assert.ok(confirmation, 'a modal confirmation comes before anything changes');
    assert.equal(confirmation.message, `Restore ${setId} (data only) into database "postgres" on 127.0.0.1:${stack.port}?`);
    assert.match(confirmation.detail ?? '', new RegExp(`PostgreSQL ${stack.major}\\.\\d+\\.`));
    // The host's psql 15 would make the pre-flight warn that it is older than the server: the container's does not.
    assert.match(confirmation.detail ?? '', /Pre-flight: the set verifies \(\d+ checks passed\)\./);
    // It leads with what changes: the deleted work orders, cron job and queued messages come back.
    assert.match((confirmation.detail ?? '').split('\n')[0], /^3 tables will get back \d+ rows removed since the backup\.$/);
    const restored = await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${setId} (data only)`));
    const safetyId = /Safety backup: (\S+)\./.exec(restored.message)?.[1];
    assert.ok(safetyId, restored.message);

    assert.deepEqual(diffFingerprints(backedUp, await fingerprintDatabase(stack.adminUrl)), [], 'the database holds the backed-up content again');
    // The safety backup was taken the same way, before anything changed.
    assert.equal(manifestOf(safetyId).tools.pgDump.path, `docker exec ${stack.container} pg_dump`);
    assert.equal((await setNode(safetyId)).entry.set.purpose, 'safety');
  });
});
