/**
 * The engine's CLI-worded hints, reworded for VS Code: every flag a hint can
 * name becomes the setting or command that does the same there.
 */
import * as assert from 'node:assert/strict';
import { formatError, PulseError } from '../../src/core/errors';
import { forExtension, sentenceOf } from '../../src/extension/hints';

function hintOf(hint: string): string | undefined {
  return forExtension(new PulseError('usage', 'something happened', { hint })).hint;
}

describe('extension hints', () => {
  it('names the setting instead of the flag', () => {
    assert.equal(hintOf('point --dir at a folder'), 'point the pulseBackup.backupsFolder setting at a folder');
    assert.equal(hintOf('free some space or choose another backups folder with --dir'), 'free some space or choose another backups folder with the pulseBackup.backupsFolder setting');
    assert.equal(hintOf('install client tools of the server version or newer, or set --pg-bin-dir'), 'install client tools of the server version or newer, or set pulseBackup.clientToolsFolder');
    assert.equal(hintOf('keep at least 1 set, e.g. --keep 10'), 'keep at least 1 set, e.g. pulseBackup.retention.keepLast: 10');
    assert.equal(
      hintOf('use letters, digits, underscores and hyphens, starting and ending with a letter or digit, e.g. --prefix factory_pulse'),
      'use letters, digits, underscores and hyphens, starting and ending with a letter or digit, e.g. pulseBackup.filePrefix: factory_pulse',
    );
  });

  it('names the command instead of the CLI', () => {
    assert.equal(hintOf('set PGHOST to one host, or pass --db postgresql://user@host:5432/database'), 'set PGHOST to one host, or run Pulse Backup: Configure Connection');
    assert.equal(
      hintOf('check the connection settings (--db URL) and run again with PULSE_BACKUP_DEBUG=1 for details'),
      'check the connection settings (Pulse Backup: Configure Connection) and see Pulse Backup: Show Log for details',
    );
    assert.equal(hintOf('the folder has no backup sets; run pulse-backup backup first'), 'the folder has no backup sets; run Pulse Backup: Back Up Database first');
    assert.equal(
      hintOf('run pulse-backup list --dir /tmp/b to see the sets (newest: a_20250101_000000)'),
      'see the sets in the Backups view (newest: a_20250101_000000)',
    );
    assert.match(hintOf('restores go to a local database (loopback or a local socket); pass --allow-remote if you really mean that server') ?? '', /only into a local database; for another server use the CLI/);
  });

  it('words a role that may not create scratch databases with the pulseBackup.scratchServerURL setting, never --scratch-db', () => {
    // The engine's hint (scratchDatabase.ts) when the role lacks CREATEDB.
    const hint = hintOf('supabase_admin can: pass --scratch-db postgresql://supabase_admin@127.0.0.1:54322/postgres (its password in PGPASSWORD or ~/.pgpass), or ALTER ROLE app CREATEDB');
    assert.equal(hint, 'supabase_admin can: set pulseBackup.scratchServerURL to postgresql://supabase_admin@127.0.0.1:54322/postgres (its password in ~/.pgpass), or ALTER ROLE app CREATEDB');
    assert.equal(
      hintOf('check that the server has room and the role may create databases, or pass --scratch-db URL to prove on another server'),
      'check that the server has room and the role may create databases, or set pulseBackup.scratchServerURL to prove on another server',
    );
    assert.doesNotMatch(hintOf('prove on a local server (loopback or a local socket; --scratch-db URL names one), or pass --allow-remote if you really mean that server') ?? '', /^prove on a local server|restores/);
  });

  it('words a rejected password, a missing one and a missing user for Configure Connection, never for the --db URL', () => {
    assert.equal(
      hintOf('check the password in the --db URL (percent-encode special characters such as @ : / as %40 %3A %2F) or in PGPASSWORD'),
      'run Pulse Backup: Configure Connection and enter the password again',
    );
    assert.equal(hintOf('give the password in the URL (postgresql://user:password@host:port/database) or in PGPASSWORD'), 'run Pulse Backup: Configure Connection and enter the password');
    assert.equal(hintOf('check the user name in the URL (or PGUSER), or create the role'), 'check the user name (Pulse Backup: Configure Connection), or create the role');
    assert.equal(hintOf('create it (CREATE DATABASE "shop") or pick another with --db'), 'create it (CREATE DATABASE "shop") or pick another with Pulse Backup: Configure Connection');
  });

  it('tells a plain folder to start its PostgreSQL server, and only a Supabase project to run supabase start', () => {
    const refused = new PulseError('connection-refused', 'cannot connect to PostgreSQL at 127.0.0.1:5432: connection refused', {
      hint: 'start the database (supabase start, or your PostgreSQL service) or pass --db URL',
    });
    assert.equal(forExtension(refused).hint, 'start the PostgreSQL server, or run Pulse Backup: Configure Connection if it runs elsewhere');
    assert.equal(forExtension(refused, { supabase: true }).hint, 'start the Supabase stack (supabase start), or run Pulse Backup: Configure Connection if the database runs elsewhere');
    assert.equal(sentenceOf(forExtension(refused)), 'Cannot connect to PostgreSQL at 127.0.0.1:5432: connection refused: start the PostgreSQL server, or run Pulse Backup: Configure Connection if it runs elsewhere');
  });

  it('leaves hints without a flag, the message, the code and the details alone', () => {
    const error = new PulseError('connection-refused', 'could not connect to 127.0.0.1:1', { hint: 'is the server running?', details: 'ECONNREFUSED' });
    assert.equal(forExtension(error), error);
    const reworded = forExtension(new PulseError('disk-full', 'the disk is full', { hint: 'choose another backups folder with --dir', details: 'ENOSPC' }));
    assert.equal(reworded.code, 'disk-full');
    assert.equal(reworded.details, 'ENOSPC');
    assert.equal(formatError(reworded), 'the disk is full: choose another backups folder with the pulseBackup.backupsFolder setting');
    assert.ok(!/--[a-z]/.test(formatError(reworded)));
  });

  it('turns anything thrown into a PulseError', () => {
    assert.ok(forExtension(new Error('boom')) instanceof PulseError);
  });
});
