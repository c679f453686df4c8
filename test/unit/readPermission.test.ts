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

  it("row-level security: takes the table from pg_dump's COPY query, and tells an owner the table forces its policies on of NO FORCE", () => {
    const forced = readPermissionError(
      'pg_dump: error: query failed: ERROR:  query would be affected by row-level security policy for table "Shop Ledger"\n' +
        "HINT:  To disable the policy for the table's owner, use ALTER TABLE NO FORCE ROW LEVEL SECURITY.\n" +
        'pg_dump: detail: Query was: COPY "Plant A"."Shop Ledger" (id, site) TO stdout;',
      'ledger_owner',
      WORDS,
    );
    assert.equal(forced?.code, 'permission-denied');
    assert.equal(
      forced?.message,
      'row-level security keeps user "ledger_owner" from reading every row of the table "Plant A"."Shop Ledger", and pg_dump reads everything it backs up',
    );
    assert.equal(
      cliHint(forced?.hint ?? []),
      'back up as a superuser or a role with BYPASSRLS, or, as "ledger_owner" owns the table, stop forcing its policies on its owner: ALTER TABLE "Plant A"."Shop Ledger" NO FORCE ROW LEVEL SECURITY; nothing was written',
    );
  });

  it('row-level security on a table the role does not own: the bare name psql reports qualified through the caller, and BYPASSRLS named', () => {
    const psql = 'psql:<stdin>:4: ERROR:  query would be affected by row-level security policy for table "ledger"';
    const error = readPermissionError(psql, 'reader', { because: 'every table is read to compare it with the set', runAs: 'connect as', qualify: () => '"public"."ledger"' });
    assert.equal(
      error?.message,
      'row-level security keeps user "reader" from reading every row of the table "public"."ledger", and every table is read to compare it with the set',
    );
    assert.equal(cliHint(error?.hint ?? []), 'connect as the table\'s owner, a superuser or a role with BYPASSRLS (a superuser may run ALTER ROLE "reader" BYPASSRLS)');
  });

  it('is no answer for anything else', () => {
    assert.equal(readPermissionError('pg_dump: error: connection to server failed', 'reader', WORDS), undefined);
  });
});
