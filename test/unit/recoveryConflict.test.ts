/**
 * Which words say that a standby's replay cancelled a read: pg_dump's when
 * its own query was cancelled, the server's when it ended an idle session
 * (as a node-postgres client receives them on this machine's standby), and
 * pg_dump's when the snapshot it was to import had gone with its session.
 */
import * as assert from 'node:assert/strict';
import { commandLineWords } from '../../src/core/commandLineWords';
import { formatError } from '../../src/core/errors';
import { isRecoveryConflict, isSnapshotGone, recoveryConflictError } from '../../src/core/pg/recoveryConflict';

describe('a standby that cancelled a read for its replay', () => {
  it("pg_dump's query cancelled, and an idle session ended, for the replay", () => {
    assert.ok(
      isRecoveryConflict(
        'pg_dump: error: Dumping the contents of table "orders" failed: PQgetResult() failed.\npg_dump: detail: Error message from server: ERROR:  canceling statement due to conflict with recovery\nDETAIL:  User query might have needed to see row versions that must be removed.',
      ),
    );
    assert.ok(isRecoveryConflict('terminating connection due to conflict with recovery'));
  });

  it('other ends are not a replay conflict', () => {
    assert.ok(!isRecoveryConflict(undefined));
    assert.ok(!isRecoveryConflict('terminating connection due to administrator command'));
    assert.ok(!isRecoveryConflict('ERROR:  canceling statement due to statement timeout'));
    assert.ok(!isRecoveryConflict('pg_dump: error: query failed: ERROR:  invalid snapshot identifier: "00000002-00000037-1"'));
  });

  it('a snapshot that is gone, as pg_dump says it', () => {
    assert.ok(isSnapshotGone('pg_dump: error: query failed: ERROR:  invalid snapshot identifier: "00000002-00000037-1"'));
    assert.ok(!isSnapshotGone('pg_dump: error: query failed: ERROR:  cache lookup failed for index 63143'));
  });

  it('the message says what happened, what helps and what stays as it was', () => {
    const error = recoveryConflictError('dump-failed', 'the backup', 'nothing was written', 'details');
    assert.equal(error.code, 'dump-failed');
    assert.match(
      formatError(error, commandLineWords),
      /^the standby server cancelled the backup: replaying the primary's changes removed row versions its snapshot still needed: run it again; .*hot_standby_feedback = on, or a longer max_standby_streaming_delay.*; nothing was written$/,
    );
  });
});
