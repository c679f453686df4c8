/**
 * age's payload: a 16-byte nonce, then the plaintext in 64 KiB chunks, each
 * sealed with ChaCha20-Poly1305 under a key derived from the file key and
 * that nonce, the chunk's nonce being its number (11 bytes, big-endian) and
 * a last-chunk flag. The flag is what makes a file cut at a chunk boundary
 * fail, instead of reading as a shorter whole.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';

export const CHUNK_BYTES = 64 * 1024;
export const TAG_BYTES = 16;
export const SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES;
export const PAYLOAD_NONCE_BYTES = 16;

export function payloadKey(fileKey: Buffer, nonce: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

/** Seals or opens chunk after chunk, counting them. */
export class ChunkCounter {
  private counter = 0;

  constructor(private readonly key: Buffer) {}

  get chunks(): number {
    return this.counter;
  }

  private nextNonce(last: boolean): Buffer {
    const nonce = Buffer.alloc(12);
    // 11 bytes of counter: 2^53 chunks (an exabyte and more) are far past any dump.
    nonce.writeUIntBE(Math.floor(this.counter / 2 ** 32), 3, 4);
    nonce.writeUInt32BE(this.counter % 2 ** 32, 7);
    nonce[11] = last ? 1 : 0;
    this.counter++;
    return nonce;
  }

  seal(plaintext: Buffer, last: boolean): Buffer[] {
    const cipher = createCipheriv('chacha20-poly1305', this.key, this.nextNonce(last), { authTagLength: TAG_BYTES });
    const sealed = cipher.update(plaintext);
    cipher.final();
    return [sealed, cipher.getAuthTag()];
  }

  /** The chunk's plaintext, or undefined when it does not authenticate (tampered, or not the chunk the flag says). */
  open(sealed: Buffer, last: boolean): Buffer | undefined {
    const decipher = createDecipheriv('chacha20-poly1305', this.key, this.nextNonce(last), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    return plaintext;
  }
}
