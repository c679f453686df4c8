/**
 * What a failed restore tells the person to do, from psql's first error:
 * errors about the Supabase platform's roles and schemas are explained as
 * such; others keep their general advice.
 */
import { cliHint } from '../../src/core/commandLineWords';
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryAtLine, platformEntryHint, PRIVILEGE_WARNING, privilegesNotGivenError, restoreHint } from '../../src/core/restore/failures';
import { proofRestoreHint } from '../../src/core/prove/words';

describe('restore failure hints', () => {
  it('explains a platform role the target lacks: the set holds platform objects', () => {
    const hint = cliHint(restoreHint('role "supabase_auth_admin" does not exist', undefined));
    assert.match(hint, /^this set holds Supabase platform objects \(owned by supabase_auth_admin\)/);
    assert.match(hint, /--profile supabase/);
  });

  it('explains a platform schema the user may not touch', () => {
    assert.match(cliHint(restoreHint('permission denied for schema auth', undefined)), /^auth belongs to the Supabase platform/);
    assert.match(cliHint(restoreHint('must be owner of schema storage', undefined)), /^storage belongs to the Supabase platform/);
  });

  it('explains an event trigger whose owner is not a superuser: no role can restore it as it is', () => {
    // A --profile plain set of a Supabase stack: its issue_pg_net_access is the demoted postgres's.
    const hint = cliHint(restoreHint('permission denied to change owner of event trigger "issue_pg_net_access"', 'DETAIL:  The owner of an event trigger must be a superuser.'));
    assert.match(hint, /^the set gives event trigger issue_pg_net_access an owner that is not a superuser, and PostgreSQL lets only a superuser own one/);
    assert.match(hint, /--profile supabase/);
    assert.doesNotMatch(hint, /connect as the owner of these objects or a superuser/);
  });

  it("gives a proof's constraint failure advice for a proof: its scratch database was empty, so --clean means nothing", () => {
    const foreignKey = proofRestoreHint(
      'insert or update on table "later" violates foreign key constraint "later_user_id_fkey"',
      'DETAIL:  Key (user_id)=(1) is not present in table "users".',
    );
    assert.match(foreignKey, /^a row of the set refers to one the set does not hold, even in an empty database/);
    const duplicate = proofRestoreHint('duplicate key value violates unique constraint "posts_pkey"', undefined);
    assert.match(duplicate, /^the set's rows break one of the constraints, even in an empty database: pulse-backup verify tells whether the set was changed/);
    // A platform newer than the set's may require a column its rows lack: not proof that the set was damaged.
    const notNull = proofRestoreHint('null value in column "phone_change_token" of relation "users" violates not-null constraint', undefined);
    assert.match(notNull, /if it verifies, the tables the server brings of its own differ from the set's/);
    assert.doesNotMatch(notNull, /no --clean or other target would help/);
    for (const advice of [foreignKey, duplicate]) assert.doesNotMatch(advice, /--clean to replace it|restore into an empty database/);
  });

  it('explains a table whose row-level security applies to the restoring role', () => {
    assert.match(
      cliHint(restoreHint('query would be affected by row-level security policy for table "audit"', undefined)),
      /^row-level security applies to the restoring role on table audit \(the set's rows load with row_security off, as pg_dump writes them\): restore as a superuser or a role with BYPASSRLS/,
    );
  });

  it('names the encoding a target database cannot hold the set in, and what to make instead', () => {
    assert.equal(
      cliHint(restoreHint('character with byte sequence 0xe2 0x82 0xac in encoding "UTF8" has no equivalent in encoding "LATIN1"', undefined)),
      "the target database's encoding, LATIN1, cannot hold every character of the set (UTF8): restore into a database made in UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)",
    );
  });

  it('names a collation or a locale the target lacks, and how to get it', () => {
    assert.equal(
      cliHint(restoreHint('collation "pg_catalog.de-x-icu" for encoding "UTF8" does not exist', undefined)),
      "the target database has no collation de-x-icu: install its locale on the target server's machine (or restore on a server whose operating system and ICU library have it, as the backup's did), then have a superuser import it: SELECT pg_catalog.pg_import_system_collations('pg_catalog'); in the target database",
    );
    assert.equal(
      cliHint(restoreHint('could not create locale "de_DE.utf8": No such file or directory', undefined)),
      "the target server's machine has no locale de_DE.utf8, which a collation of the set is made from: install it there (and restart the server), or restore on a server that has it",
    );
  });

  it("says a data restore's rows no longer fit a table whose columns changed, not to pass --clean", () => {
    assert.equal(
      cliHint(restoreHint('column "legacy_code" of relation "machines" does not exist', undefined)),
      "the target's table machines has no column legacy_code, which the backup's rows hold: the target's schema changed since the backup (a migration?): restore --mode complete into an empty database, or bring the target's schema back to the backup's first",
    );
    assert.equal(
      cliHint(restoreHint('null value in column "site" of relation "machines" violates not-null constraint', undefined)),
      "the target's table machines requires site, which a row of the backup leaves empty: the target's schema changed since the backup (a migration?): restore --mode complete into an empty database, or bring the target's schema back to the backup's first",
    );
  });

  it("says a data restore's values no longer fit a column, a check or a unique index that changed since the backup, and never to pass --clean it gave", () => {
    const data = { mode: 'data', clean: true } as const;
    const changed =
      "the target's schema changed since the backup (a migration?): restore --mode complete into an empty database, or bring the target's schema back to the backup's first";
    assert.equal(
      cliHint(restoreHint('invalid input syntax for type integer: "A-1"', undefined, { ...data, context: 'CONTEXT:  COPY machines, line 1, column code: "A-1"' })),
      `the target's column machines.code does not take the backup's values: ${changed}`,
    );
    for (const message of [
      'value too long for type character varying(5)',
      'invalid input value for enum status: "gone"',
      'value "99999999999" is out of range for type integer',
      'numeric field overflow',
    ]) {
      assert.match(
        cliHint(restoreHint(message, undefined, { ...data, context: 'CONTEXT:  COPY "Machines", line 7, column name: "Lathe"' })),
        /^the target's column "Machines"\.name does not take/,
        message,
      );
    }
    assert.equal(
      cliHint(restoreHint('new row for relation "machines" violates check constraint "short_name"', undefined, { ...data, context: 'CONTEXT:  COPY machines, line 1: "1\tA-1"' })),
      `the target's table machines has a check, short_name, that a row of the backup breaks: ${changed}`,
    );
    assert.match(
      cliHint(restoreHint('duplicate key value violates unique constraint "machines_code_key"', undefined, data)),
      /^the tables it loads were empty first, so a constraint or unique index added since the backup/,
    );
    assert.match(
      cliHint(restoreHint('insert or update on table "orders" violates foreign key constraint "orders_machine_fkey"', undefined, data)),
      /^a row of the backup refers to one the target does not have/,
    );
    // A complete restore with --clean: no --clean to pass; without it, the advice stays.
    assert.equal(
      cliHint(restoreHint('duplicate key value violates unique constraint "users_pkey"', undefined, { mode: 'complete', clean: true })),
      'the data does not fit what is in the target: restore into an empty database',
    );
    assert.match(cliHint(restoreHint('duplicate key value violates unique constraint "users_pkey"', undefined, { mode: 'complete', clean: false })), /pass --clean to replace it/);
  });

  it('says to drop a foreign key into a table a data --clean empties, not to empty its table (which never helps)', () => {
    assert.equal(
      cliHint(restoreHint('cannot truncate a table referenced in a foreign key constraint', 'DETAIL:  Table "fans" references "artists".', { mode: 'data', clean: true })),
      'table fans, which the backup does not have, references artists: drop that foreign key (ALTER TABLE … DROP CONSTRAINT …;) or its table first, or restore into a copy without it',
    );
  });

  it("keeps the general advice for the application's own objects", () => {
    assert.match(cliHint(restoreHint('role "app_writer" does not exist', undefined)), /^create the role first \(CREATE ROLE "app_writer";\)/);
    assert.match(cliHint(restoreHint('permission denied for schema app', undefined)), /^connect as the owner of these objects or a superuser/);
    assert.match(cliHint(restoreHint('operator === already exists', undefined)), /--clean does not replace its kind/);
  });

  it('names another session changing the same definitions at once, not the data, when the server says so', () => {
    for (const message of ['tuple concurrently updated', 'duplicate key value violates unique constraint "pg_type_typname_nsp_index"']) {
      assert.match(cliHint(restoreHint(message, undefined)), /^another session changed the same definitions at the same moment/, message);
    }
    assert.match(cliHint(restoreHint('duplicate key value violates unique constraint "users_pkey"', undefined)), /^the data does not fit what is in the target/);
  });

  it('names the platform for any role the Supabase CLI reserves, but not for postgres, which every server has', () => {
    for (const role of ['supabase_etl_admin', 'cli_login_postgres', 'pgtle_admin']) {
      assert.match(cliHint(restoreHint(`role "${role}" does not exist`, undefined)), /Supabase platform objects/, role);
    }
    assert.match(cliHint(restoreHint('role "postgres" does not exist', undefined)), /^create the role first/);
  });

  it('says which settings the stack lets postgres set when a restore sets another', () => {
    assert.match(
      cliHint(restoreHint('permission denied to set parameter "log_statement"', undefined)),
      /^only a superuser may set log_statement \(on a Supabase stack, postgres may set only pgaudit\.\*, pgrst\.\*, session_replication_role, statement_timeout, track_io_timing\)/,
    );
  });
});

describe('the entry a failing line belongs to', () => {
  it("finds the entry header above a line of a dump, so a permission error there can be called the platform's", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pulse-entry-at-line-'));
    try {
      const file = join(folder, 'dump.sql');
      writeFileSync(
        file,
        [
          '--',
          '-- Name: users; Type: TABLE; Schema: auth; Owner: supabase_auth_admin',
          '--',
          '',
          'CREATE TABLE auth.users (id uuid);',
          'ALTER TABLE auth.users OWNER TO supabase_auth_admin;',
          '--',
          '-- Name: todos; Type: TABLE; Schema: public; Owner: postgres',
          '--',
          'CREATE TABLE public.todos (id int);',
        ].join('\n'),
      );
      const entry = await entryAtLine(file, 6);
      assert.deepEqual(entry && { type: entry.type, schema: entry.schema, name: entry.name }, { type: 'TABLE', schema: 'auth', name: 'users' });
      assert.match(cliHint(platformEntryHint(entry!)), /^auth\.users \(table\) belongs to the Supabase platform/);
      assert.equal((await entryAtLine(file, 10))?.schema, 'public');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('a grant or revoke psql only warned about', () => {
  it('is no failure without the warning; with one, names it, where it is, the object as its entry does, and who may give it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pulse-privilege-warning-'));
    try {
      const file = join(folder, 'dump.sql');
      writeFileSync(
        file,
        [
          '--',
          '-- Name: FUNCTION digest(text, text); Type: ACL; Schema: public; Owner: postgres',
          '--',
          '',
          'REVOKE ALL ON FUNCTION public.digest(text, text) FROM PUBLIC;',
          'GRANT ALL ON FUNCTION public.digest(text, text) TO reader;',
        ].join('\n'),
      );
      const context = { file, user: 'deployer', lineOf: (source: string, line: number) => (source === file ? line : undefined) };
      assert.equal(await privilegesNotGivenError(['psql:/x.sql:3: NOTICE:  extension "pgcrypto" already exists, skipping'], context), undefined);
      const warnings = [`psql:${file}:5: WARNING:  no privileges could be revoked for "digest"`, `psql:${file}:6: WARNING:  no privileges were granted for "digest"`].filter(
        (line) => PRIVILEGE_WARNING.test(line),
      );
      assert.equal(warnings.length, 2);
      const error = await privilegesNotGivenError(warnings, context);
      assert.equal(
        error?.message,
        `restore failed and was rolled back: deployer may not grant and revoke all the set does: no privileges could be revoked for "digest" (line 5 of ${file}), and 1 more such warning`,
      );
      assert.equal(
        cliHint(error.hint!),
        'connect as the owner of function public.digest(text, text) (or a role that holds its privileges WITH GRANT OPTION) or a superuser: psql only warns about a privilege it could not give, and the target would lack it; the target is unchanged',
      );
      // Where no line is known (a parallel restore's session), psql's name for it.
      const unplaced = await privilegesNotGivenError(['WARNING:  not all privileges were granted for "Odd ""Name"""'], { ...context, lineOf: () => undefined });
      assert.match(unplaced!.message, /: not all privileges were granted for "Odd ""Name"""$/);
      assert.match(cliHint(unplaced!.hint!), /^connect as the owner of Odd "Name" \(/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
