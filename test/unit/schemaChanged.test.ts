/**
 * Which tool outputs say the schema changed while it was read: the words
 * pg_dump and psql print when another session dropped or replaced a table
 * meanwhile (each taken from a real run), and the ones that mean something
 * else (a connection that failed, a server without a catalog relation).
 */
import * as assert from 'node:assert/strict';
import { schemaChangedMeanwhile } from '../../src/core/pg/schemaChanged';

describe('schema changed while it was read', () => {
  it('a table replaced while pg_dump waited for it: its old index is looked up and not found', () => {
    assert.ok(schemaChangedMeanwhile('pg_dump: error: query failed: ERROR:  cache lookup failed for index 63143'));
  });

  it('a table dropped for good while pg_dump waited to lock it: its name is not found any more', () => {
    assert.ok(
      schemaChangedMeanwhile(
        'pg_dump: error: query failed: ERROR:  relation "public.table_2500" does not exist\npg_dump: detail: Query was: LOCK TABLE public.table_2500 IN ACCESS SHARE MODE',
      ),
    );
    assert.ok(schemaChangedMeanwhile('psql:<stdin>:1: ERROR:  relation "public.orders" does not exist'));
  });

  it('an object looked up by its OID', () => {
    assert.ok(schemaChangedMeanwhile('ERROR:  could not open relation with OID 16384'));
    assert.ok(schemaChangedMeanwhile('ERROR:  type with OID 16390 does not exist'));
  });

  it('a database, a role or a catalog relation that does not exist is something else', () => {
    assert.ok(!schemaChangedMeanwhile('pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "shop" does not exist'));
    assert.ok(!schemaChangedMeanwhile('pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "app" does not exist'));
    assert.ok(!schemaChangedMeanwhile('pg_dump: error: query failed: ERROR:  relation "pg_catalog.pg_extension" does not exist'));
    assert.ok(!schemaChangedMeanwhile('pg_dump: error: query failed: ERROR:  permission denied for table orders'));
  });
});
