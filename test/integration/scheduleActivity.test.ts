/**
 * The cheap check a scheduled backup makes before it runs: the database's
 * write counters, on a real server. Reads and a backup itself leave them
 * as they were; a row written or a table created moves them.
 */
import { strict as assert } from 'node:assert';
import { parseConnectionUrl } from '../../src/core/connection/target';
import { readActivity } from '../../src/core/schedule/activity';
import type { ActivitySignature } from '../../src/core/schedule/decide';
import { backupSet, useServer, useTempFolders } from '../support/integration';

describe("the scheduled backup's check for changes", function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-activity-');
  const database = 'watched';

  before(async function () {
    await server.createDatabase(database);
    await server.query(database, `CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) SELECT 'note ' || n FROM generate_series(1, 50) n;`);
  });

  const read = () => readActivity(parseConnectionUrl(server.url(database), { env: {} }));

  /** The counters once they have settled: a session's statistics reach the server when it ends or within a second. */
  async function settled(): Promise<ActivitySignature> {
    let last = await read();
    for (let attempt = 0; attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = await read();
      if (now.rowsWritten === last.rowsWritten) return now;
      last = now;
    }
    return last;
  }

  it('reads and a whole backup leave the counters as they were', async function () {
    const before = await settled();
    await server.query(database, 'SELECT count(*) FROM notes');
    await backupSet(server, database, newFolder(), 'watched');
    const after = await settled();
    assert.deepEqual(after, before);
  });

  it('a row written, a row deleted and a table created each move them', async function () {
    for (const change of ["INSERT INTO notes (body) VALUES ('one more')", 'DELETE FROM notes WHERE id = 1', 'CREATE TABLE later (id int)']) {
      const before = await settled();
      await server.query(database, change);
      const after = await settled();
      assert.notEqual(after.rowsWritten, before.rowsWritten, change);
      assert.equal(after.database, before.database);
    }
  });
});
