/**
 * The digest of a database's large objects: how many, and a multiset digest
 * (digest.ts) of each one's OID, owner and the SHA-256 of its content. A
 * backup takes it from pg_dump's large-object entries as the stream passes
 * (`ALTER LARGE OBJECT OID OWNER TO role;`, then `SELECT
 * pg_catalog.lo_open('OID', …);`, its `lowrite` lines with the content in
 * hex, `lo_close`); a diff or a proof takes the same from the database
 * (OID, `pg_get_userbyid(lomowner)`, `sha256(lo_get(oid))`), so a changed,
 * added, removed or given-away large object makes the two differ. Grants
 * are not part of it.
 */
import { createHash, type Hash } from 'node:crypto';
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

  /** As the manifest records it. */
  record(): { count: number; digest: string } {
    return { count: this.count, digest: this.digest };
  }
}

function unquoteRole(written: string): string {
  return written.startsWith('"') ? written.slice(1, -1).replace(/""/g, '"') : written;
}
