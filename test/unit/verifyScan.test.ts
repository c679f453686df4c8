/**
 * Reading a dump once: the hash and the structure come from the same bytes,
 * whatever the size of the file and wherever the read chunks end.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPreamble, rolesFromText, scanDumpFile } from '../../src/core/verify/dumpScan';
import { syntheticDump } from '../support/syntheticSet';

describe('scanning a dump file', () => {
  let folder: string;

  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-backup-scan-'));
  });

  after(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  function write(name: string, text: string): string {
    const path = join(folder, name);
    writeFileSync(path, text);
    return path;
  }

  it('hashes the file and counts its rows in one pass, across many read chunks', async () => {
    // About 3 MB of rows: several 1 MiB reads, with rows split across their ends.
    const dump = syntheticDump({ users: 200_000, orders: 7 });
    const path = write('big.sql', dump);
    let lastBytes = 0;
    const scan = await scanDumpFile(path, { onBytes: (bytes) => (lastBytes = bytes) });
    assert.ok(Buffer.byteLength(dump) > 3 * 1024 * 1024, 'the sample spans several reads');
    assert.equal(scan.bytes, Buffer.byteLength(dump));
    assert.equal(lastBytes, scan.bytes);
    assert.equal(scan.sha256, createHash('sha256').update(dump).digest('hex'));
    assert.deepEqual(scan.tableRows, [
      { schema: 'public', name: 'users', rows: 200_000 },
      { schema: 'public', name: 'orders', rows: 7 },
    ]);
    assert.deepEqual(
      scan.entries.map((entry) => `${entry.type}:${entry.schema}.${entry.name}`),
      ['TABLE:public.users', 'TABLE:public.orders', 'TABLE DATA:public.users', 'TABLE DATA:public.orders'],
    );
    assert.equal(scan.hasHeader, true);
    assert.equal(scan.hasFooter, true);
    assert.equal(scan.restrictKey, 'k3y');
    assert.equal(scan.endsUnrestricted, true);
    assert.equal(scan.dumpedFromVersion, '15.18');
    assert.equal(scan.dumpedByVersion, '15.18 (Debian 15.18-0+deb12u1)');
  });

  it("reads what only a superuser may create from the entries' SQL: a grant made as another role, a function's language, a publication of all tables", async () => {
    const entry = (name: string, type: string, schema: string, owner: string, sql: string) =>
      `--\n-- Name: ${name}; Type: ${type}; Schema: ${schema}; Owner: ${owner}\n--\n\n${sql}\n\n`;
    const dump = [
      '--\n-- PostgreSQL database dump\n--\n\n',
      entry(
        'fast_len(text)',
        'FUNCTION',
        'public',
        'deployer',
        "CREATE FUNCTION public.fast_len(text) RETURNS integer\n    LANGUAGE internal IMMUTABLE STRICT\n    SET log_statement TO 'all'\n    SET search_path TO 'public'\n    AS $$textlen$$;",
      ),
      entry('everything', 'PUBLICATION', '-', 'postgres', "CREATE PUBLICATION everything FOR ALL TABLES WITH (publish = 'insert');"),
      entry(
        'TABLE g',
        'ACL',
        'public',
        'deployer',
        'GRANT SELECT ON TABLE public.g TO app WITH GRANT OPTION;\nSET SESSION AUTHORIZATION app;\nGRANT SELECT ON TABLE public.g TO reader;\nRESET SESSION AUTHORIZATION;',
      ),
      '--\n-- PostgreSQL database dump complete\n--\n\n',
    ].join('');
    const scan = await scanDumpFile(write('superuser.sql', dump));
    assert.deepEqual(
      scan.entries.map((found) => [found.type, found.language, found.superuserOnly, found.settings]),
      [
        ['FUNCTION', 'internal', undefined, ['log_statement', 'search_path']],
        ['PUBLICATION', undefined, 'FOR ALL TABLES publication', undefined],
        ['ACL', undefined, 'grants made as app (SET SESSION AUTHORIZATION) on', undefined],
      ],
    );
  });

  it('gives the same result wherever the reads end, although it reuses its read buffers', async () => {
    // Header lines, COPY rows and the footer all straddle read boundaries at these sizes.
    const path = write('chunks.sql', syntheticDump({ users: 300, orders: 2, empty: 0 }));
    const whole = await scanDumpFile(path);
    for (const chunkBytes of [1, 2, 3, 7, 64, 4099]) {
      assert.deepEqual(await scanDumpFile(path, { chunkBytes }), whole, `reads of ${chunkBytes} bytes`);
    }
    assert.deepEqual(
      whole.tableRows.map((table) => table.rows),
      [300, 2, 0],
    );
  });

  it('sees that a file cut inside its rows, or between the footer and \\unrestrict, is not whole', async () => {
    const dump = syntheticDump({ users: 100 });
    const cutInRows = await scanDumpFile(write('cut-rows.sql', dump.slice(0, dump.indexOf('50\tuser 50'))));
    assert.equal(cutInRows.hasFooter, false);
    const cutAfterFooter = await scanDumpFile(write('cut-footer.sql', dump.slice(0, dump.indexOf('\\unrestrict'))));
    assert.equal(cutAfterFooter.hasFooter, true);
    assert.equal(cutAfterFooter.endsUnrestricted, false);
  });

  it('reads a file that is not a dump without failing, and says it has no header', async () => {
    const scan = await scanDumpFile(write('notes.sql', 'select 1;\n'));
    assert.equal(scan.hasHeader, false);
    assert.equal(scan.hasFooter, false);
    assert.equal(scan.restrictKey, undefined);
    assert.equal(scan.endsUnrestricted, true);
  });

  it('rejects with the file system error for a missing file', async () => {
    await assert.rejects(scanDumpFile(join(folder, 'nothing-here.sql')), { code: 'ENOENT' });
  });

  it('takes \\restrict and the versions only from the preamble, before the first entry', () => {
    const head = [
      '--',
      '-- PostgreSQL database dump',
      '--',
      '',
      '-- Dumped from database version 16.4 (Ubuntu 16.4-1)',
      '',
      '--',
      '-- Name: f(); Type: FUNCTION; Schema: public; Owner: postgres',
      '--',
      '\\restrict not-the-preamble',
    ].join('\n');
    assert.deepEqual(readPreamble(head), { hasHeader: true, dumpedFromVersion: '16.4 (Ubuntu 16.4-1)' });
    assert.equal(readPreamble('--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n').restrictKey, 'abc');
    assert.equal(readPreamble("--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSET client_encoding = 'LATIN1';\n").clientEncoding, 'LATIN1');
  });
});

describe('the roles an entry names besides its owner', () => {
  it('grantees, quoted or not, and a grantor pg_dump switches to; PUBLIC is no role', () => {
    assert.deepEqual(
      rolesFromText(
        [
          'REVOKE ALL ON TABLE public.shifts FROM PUBLIC;',
          'SET SESSION AUTHORIZATION shift_lead;',
          'GRANT SELECT(line),UPDATE(line) ON TABLE public.shifts TO "Floor Reader", auditor WITH GRANT OPTION;',
          'RESET SESSION AUTHORIZATION;',
          'GRANT ALL ON FUNCTION public.add(a integer, "to" text) TO "say ""hi""";',
        ].join('\n'),
      ),
      ['shift_lead', 'Floor Reader', 'auditor', 'say "hi"'],
    );
  });

  it("a default privilege's role and grantees", () => {
    assert.deepEqual(rolesFromText('ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA public GRANT SELECT ON TABLES  TO app_reader;'), ['app_reader', 'app_owner']);
  });

  it("a policy's roles, not words of its expression", () => {
    assert.deepEqual(rolesFromText(`CREATE POLICY audit ON public."A TO B" FOR SELECT TO auditor, "Floor Reader" USING ((line <> 'x TO y'::text));`), ['auditor', 'Floor Reader']);
    assert.deepEqual(rolesFromText('CREATE POLICY everyone ON public.shifts USING (true);'), []);
  });

  it("a user mapping's role; the mapping for public names none", () => {
    assert.deepEqual(rolesFromText(`CREATE USER MAPPING FOR "Remote User" SERVER other OPTIONS (\n    "user" 'bob'\n);`), ['Remote User']);
    assert.deepEqual(rolesFromText('CREATE USER MAPPING FOR postgres SERVER other;'), ['postgres']);
    assert.deepEqual(rolesFromText('CREATE USER MAPPING FOR public SERVER other;'), []);
  });
});
