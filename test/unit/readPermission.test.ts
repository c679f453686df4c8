import { strict as assert } from 'node:assert';
import { readPermissionError } from '../../src/core/pg/readPermission';
import { cliHint } from '../../src/core/commandLineWords';

const WORDS = { because: 'pg_dump reads everything it backs up', runAs: 'back up as', unchanged: 'nothing was written' };

/** pg_dump's stderr when the server refuses its LOCK TABLE of `table`. */
function pgDumpRefused(refused: string, table: string) {
  return readPermissionError(
    `pg_dump: error: query failed: ERROR:  permission denied for ${refused}\npg_dump: detail: Query was: LOCK TABLE ${table} IN ACCESS SHARE MODE`,
    'reader',
    WORDS,
  );
}

describe('a read the role may not make', () => {
  it("takes the table from pg_dump's LOCK TABLE query, with its schema, and names the GRANT", () => {
    const error = pgDumpRefused('table ledger', '"Private Area".ledger');
    assert.equal(error?.code, 'permission-denied');
    assert.equal(error?.message, 'user "reader" may not read the table "Private Area".ledger, and pg_dump reads everything it backs up');
    assert.equal(
      cliHint(error?.hint ?? []),
      'back up as the database owner or a superuser, or let the owner run GRANT SELECT ON "Private Area".ledger TO "reader"; nothing was written',
    );
  });

  it('names the schema and GRANT USAGE when the schema is what is refused', () => {
    const error = pgDumpRefused('schema shop floor', '"shop floor".machine_events');
    assert.equal(error?.message, 'user "reader" may not read the schema shop floor (of "shop floor".machine_events), and pg_dump reads everything it backs up');
    assert.match(cliHint(error?.hint ?? []), /GRANT USAGE ON SCHEMA "shop floor" TO "reader"/);
  });

  it('qualifies a bare table name psql reports through the caller, and gives no GRANT it cannot name', () => {
    const psql = 'psql:<stdin>:3: ERROR:  permission denied for table ledger';
    const qualified = readPermissionError(psql, 'reader', { ...WORDS, qualify: (name) => (name === 'ledger' ? '"Private Area"."ledger"' : undefined) });
    assert.match(qualified?.message ?? '', /may not read the table "Private Area"\."ledger"/);
    assert.match(cliHint(qualified?.hint ?? []), /GRANT SELECT ON "Private Area"\."ledger" TO "reader"/);
    const bare = readPermissionError(psql, 'reader', { ...WORDS, qualify: () => undefined });
    assert.equal(bare?.message, 'user "reader" may not read the table ledger, and pg_dump reads everything it backs up');
    assert.match(cliHint(bare?.hint ?? []), /or grant the missing privilege/);
  });

  it('is no answer for anything else', () => {
    assert.equal(readPermissionError('pg_dump: error: connection to server failed', 'reader', WORDS), undefined);
  });
});
