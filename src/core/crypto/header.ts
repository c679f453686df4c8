/**
 * The age v1 header as text: the version line, one stanza per way to the
 * file key (`-> TYPE ARGS…` then its body in unpadded base64, 64 columns a
 * line, the last line shorter), and `--- MAC`. Parsing is strict, as age's
 * own is (canonical base64 only), because the MAC covers these exact bytes.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const VERSION_LINE = 'age-encryption.org/v1';
const COLUMNS = 64;
/** The longest header read before giving up: real ones are a few hundred bytes; this bounds what a damaged file can make us hold. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export interface Stanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Buffer;
}

export interface AgeHeader {
  readonly stanzas: readonly Stanza[];
  /** The header's bytes up to and including `---`: what the MAC covers. */
  readonly macedBytes: Buffer;
  readonly mac: Buffer;
  /** The header's whole length, its final newline included: the payload starts here. */
  readonly length: number;
}

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data).toString('base64').replace(/=+$/, '');
}

/** Unpadded canonical base64, or undefined (Node's decoder forgives what age's refuses). */
export function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return undefined;
  const data = Buffer.from(text, 'base64');
  return encodeBase64(data) === text ? data : undefined;
}

function stanzaText(stanza: Stanza): string {
  const encoded = encodeBase64(stanza.body);
  const lines: string[] = [];
  for (let start = 0; start <= encoded.length; start += COLUMNS) lines.push(encoded.slice(start, start + COLUMNS));
  return `-> ${[stanza.type, ...stanza.args].join(' ')}\n${lines.join('\n')}\n`;
}

/** The header up to and including `---`, for its MAC. */
export function headerWithoutMac(stanzas: readonly Stanza[]): Buffer {
  return Buffer.from(`${VERSION_LINE}\n${stanzas.map(stanzaText).join('')}---`, 'latin1');
}

export function headerMac(fileKey: Buffer, macedBytes: Buffer): Buffer {
  const key = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32));
  return createHmac('sha256', key).update(macedBytes).digest();
}

export function macMatches(fileKey: Buffer, header: AgeHeader): boolean {
  return timingSafeEqual(headerMac(fileKey, header.macedBytes), header.mac);
}

export function serializeHeader(stanzas: readonly Stanza[], fileKey: Buffer): Buffer {
  const maced = headerWithoutMac(stanzas);
  return Buffer.concat([maced, Buffer.from(` ${encodeBase64(headerMac(fileKey, maced))}\n`, 'latin1')]);
}

/** Why a header cannot be read, in words for an error's line. */
export type HeaderProblem = 'not-age' | 'malformed' | 'incomplete';

export type HeaderParse = { header: AgeHeader } | { problem: HeaderProblem };

const ARGUMENT = /^[\x21-\x7e]+$/;

/**
 * Reads a header from the start of `data`; `incomplete` while more bytes
 * could still finish it (the caller reads on, up to MAX_HEADER_BYTES).
 */
export function parseHeader(data: Buffer): HeaderParse {
  let offset = 0;
  const nextLine = (): string | undefined => {
    const end = data.indexOf(0x0a, offset);
    if (end < 0) return undefined;
    const line = data.toString('latin1', offset, end);
    offset = end + 1;
    return line;
  };
  const version = nextLine();
  if (version === undefined) {
    const start = data.toString('latin1', 0, Math.min(data.length, VERSION_LINE.length));
    return { problem: VERSION_LINE.startsWith(start) ? 'incomplete' : 'not-age' };
  }
  if (version !== VERSION_LINE) return { problem: 'not-age' };
  const stanzas: Stanza[] = [];
  for (;;) {
    const lineStart = offset;
    const line = nextLine();
    if (line === undefined) return { problem: 'incomplete' };
    if (line.startsWith('--- ')) {
      const mac = decodeBase64(line.slice(4));
      if (mac === undefined || mac.length !== 32) return { problem: 'malformed' };
      return { header: { stanzas, macedBytes: data.subarray(0, lineStart + 3), mac, length: offset } };
    }
    if (!line.startsWith('-> ')) return { problem: 'malformed' };
    const [type, ...args] = line.slice(3).split(' ');
    if (type === undefined || ![type, ...args].every((part) => ARGUMENT.test(part))) return { problem: 'malformed' };
    const bodyLines: string[] = [];
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === undefined) return { problem: 'incomplete' };
      if (bodyLine.length > COLUMNS) return { problem: 'malformed' };
      bodyLines.push(bodyLine);
      if (bodyLine.length < COLUMNS) break;
    }
    const body = decodeBase64(bodyLines.join(''));
    if (body === undefined) return { problem: 'malformed' };
    stanzas.push({ type, args, body });
  }
}
