/**
 * The digest of a database's large objects: how many, and a multiset digest
 * (digest.ts) of each one's OID, owner and the SHA-256 of its content. A
 * backup takes it from pg_dump's large-object entries as the stream passes
 * (`ALTER LARGE OBJECT OID OWNER TO role;`, then `SELECT
 * pg_catalog.lo_open('OID', …);`, its `lowrite` lines with the content in
 * hex, `lo_close`); a diff or a proof takes the same from the database
 * (OID, `pg_get_userbyid(lomowner)`, `sha256(lo_get(oid))`), so a changed,
 * added, removed or given-away large object makes the two differ. Grants
 * and comments are a digest of their own (readLargeObjectGrants), read from
 * the catalog on both sides: pg_dump writes them as GRANT, REVOKE and
 * COMMENT statements the database could not be compared with.
 */
import { createHash, type Hash } from 'node:crypto';
import type pg from 'pg';
import { MultisetDigest, RowHasher } from './digest';

const LO_OPEN = /^SELECT pg_catalog\.lo_open\('(\d+)', \d+\);/;
/** The owner as pg_dump writes a role: bare, or in double quotes ("" for a quote). */
const LO_OWNER = /^ALTER LARGE OBJECT (\d+) OWNER TO ("(?:[^"]|"")*"|[^\s;]+);/;
/** Hex content, as pg_dump writes a bytea literal: '\x…', or E'\\x…' where standard_conforming_strings is off. */
const LO_WRITE = /^SELECT pg_catalog\.lowrite\(0, E?'\\{1,2}x([0-9a-fA-F]*)'\);/;
const LO_CLOSE = /^SELECT pg_catalog\.lo_close\(0\);/;

export class LargeObjectDigest extends MultisetDigest {
  private open: { oid: string; content: Hash } | undefined;
  /** Owners from the large objects' own entries, which come before their data. */
  private readonly owners = new Map<string, string>();

  /** A line of a data entry that is no COPY (dumpReader.ts: DigestTap.dataLine). */
  dumpLine(line: Buffer): void {
    // Every line that matters starts "SELECT pg_catalog.lo…" or "ALTER LARGE OBJECT": the others are comments, blank lines, grants.
    if (line[0] === 0x41) {
      const owner = LO_OWNER.exec(line.toString('utf8'));
      if (owner) this.owners.set(owner[1], unquoteRole(owner[2]));
      return;
    }
    if (line[0] !== 0x53) return;
    const text = line.toString('latin1');
    const opened = LO_OPEN.exec(text);
    if (opened) {
      this.open = { oid: opened[1], content: createHash('sha256') };
      return;
    }
    const open = this.open;
    if (!open) return;
    const written = LO_WRITE.exec(text);
    if (written) {
      open.content.update(Buffer.from(written[1], 'hex'));
      return;
    }
    if (LO_CLOSE.test(text)) {
      this.addObject(open.oid, this.owners.get(open.oid) ?? '', open.content.digest('hex'));
      this.open = undefined;
    }
  }

  /** One large object: its OID, its owner's name and the SHA-256 of its content, in hex. */
  addObject(oid: string, owner: string, contentSha256: string): void {
    const key = Buffer.from(`${oid}\u0000${owner}\u0000${contentSha256.toLowerCase()}`);
    const hasher = new RowHasher();
    hasher.piece(key, 0, key.length);
    hasher.finish();
    this.add(hasher.h1, hasher.h2, key.length);
  }

  /** As the manifest records it, with the roles that own the large objects (what a data restore gives them, checked before it: verify/checks.ts largeObjectChecks). */
  record(): { count: number; digest: string; owners: string[] } {
    return { count: this.count, digest: this.digest, owners: [...new Set(this.owners.values())].sort() };
  }
}

function unquoteRole(written: string): string {
  return written.startsWith('"') ? written.slice(1, -1).replace(/""/g, '"') : written;
}

/** The grants and comments of large objects, as the manifest records them: how many large objects have any, and the multiset digest of each one's OID, privileges and comment; `roles`: the roles granted privileges (PUBLIC aside), absent in sets made before they were recorded. */
export interface LargeObjectGrants {
  count: number;
  digest: string;
  roles?: string[];
}

/** Large objects read per query: memory stays bounded however many the database has. */
export const LARGE_OBJECTS_PER_QUERY = 10_000;

/**
 * The grants and comments of the database's large objects, from the catalog,
 * in batches. Only large objects whose privileges are not their owner's
 * default, or that have a comment, count: an object given a grant and then
 * had it revoked holds the default in the catalog (where pg_dump writes
 * nothing, and a restore leaves none), and is the same as one never
 * granted. The privileges are each aclitem as text, sorted, so the order
 * they were granted in does not count either.
 */
export async function readLargeObjectGrants(client: pg.Client): Promise<LargeObjectGrants> {
  const digest = new MultisetDigest();
  const roles = new Set<string>();
  let after = '0';
  for (;;) {
    const batch = await client.query<{ oid: string; acl: string; owner_default: string; comment: string | null; grantees: string[] }>(
      `SELECT m.oid::text AS oid,
              ARRAY(SELECT DISTINCT pg_catalog.pg_get_userbyid(a.grantee)::pg_catalog.text FROM pg_catalog.aclexplode(m.lomacl) AS a WHERE a.grantee <> 0) AS grantees,
              pg_catalog.array_to_string(ARRAY(SELECT a::text COLLATE "C" FROM pg_catalog.unnest(COALESCE(m.lomacl, pg_catalog.acldefault('L', m.lomowner))) AS a ORDER BY 1), ' ') AS acl,
              pg_catalog.array_to_string(ARRAY(SELECT a::text COLLATE "C" FROM pg_catalog.unnest(pg_catalog.acldefault('L', m.lomowner)) AS a ORDER BY 1), ' ') AS owner_default,
              d.description AS comment
         FROM pg_catalog.pg_largeobject_metadata m
         LEFT JOIN pg_catalog.pg_description d ON d.objoid = m.oid AND d.classoid = 'pg_catalog.pg_largeobject'::pg_catalog.regclass AND d.objsubid = 0
        WHERE m.oid > $1::oid AND (m.lomacl IS NOT NULL OR d.description IS NOT NULL)
        ORDER BY m.oid LIMIT ${LARGE_OBJECTS_PER_QUERY}`,
      [after],
    );
    for (const row of batch.rows) {
      if (row.acl !== row.owner_default || row.comment !== null) addGrants(digest, row.oid, row.acl, row.comment);
      for (const grantee of row.grantees) roles.add(grantee);
    }
    if (batch.rows.length < LARGE_OBJECTS_PER_QUERY) return { count: digest.count, digest: digest.digest, roles: [...roles].sort() };
    after = batch.rows[batch.rows.length - 1].oid;
  }
}

/** One large object's privileges and comment (null: none; an empty comment is none to the server too). */
export function addGrants(digest: MultisetDigest, oid: string, acl: string, comment: string | null): void {
  const key = Buffer.from(`${oid}\u0000${acl}\u0000${comment === null ? '\u0000' : `c${comment}`}`);
  const hasher = new RowHasher();
  hasher.piece(key, 0, key.length);
  hasher.finish();
  digest.add(hasher.h1, hasher.h2, key.length);
}
