/**
 * The digest of a database's large objects: how many, and a multiset digest
 * (digest.ts) of each one's OID with the SHA-256 of its content. A backup
 * takes it from pg_dump's large-object data as the stream passes
 * (`SELECT pg_catalog.lo_open('OID', …);`, its `lowrite` lines with the
 * content in hex, `lo_close`); a diff takes the same from the database
 * (OID and `sha256(lo_get(oid))`), so a changed, added or removed large
 * object makes the two differ. Owners and grants are not part of it.
 */
import { createHash, type Hash } from 'node:crypto';
import { MultisetDigest, RowHasher } from './digest';

const LO_OPEN = /^SELECT pg_catalog\.lo_open\('(\d+)', \d+\);/;
/** Hex content, as pg_dump writes a bytea literal: '\x…', or E'\\x…' where standard_conforming_strings is off. */
const LO_WRITE = /^SELECT pg_catalog\.lowrite\(0, E?'\\{1,2}x([0-9a-fA-F]*)'\);/;
const LO_CLOSE = /^SELECT pg_catalog\.lo_close\(0\);/;

export class LargeObjectDigest extends MultisetDigest {
  private open: { oid: string; content: Hash } | undefined;

  /** A line of a data entry that is no COPY (dumpReader.ts: DigestTap.dataLine). */
  dumpLine(line: Buffer): void {
    // Every line that matters starts "SELECT pg_catalog.lo…": the others are comments and blank lines.
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
      this.addObject(open.oid, open.content.digest('hex'));
      this.open = undefined;
    }
  }

  /** One large object: its OID and the SHA-256 of its content, in hex. */
  addObject(oid: string, contentSha256: string): void {
    const key = Buffer.from(`${oid}\u0000${contentSha256.toLowerCase()}`);
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
