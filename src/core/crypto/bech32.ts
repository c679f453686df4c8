/**
 * Bech32 (BIP 173, the original checksum constant, not bech32m), the text
 * form of age's keys: `age1…` recipients and `AGE-SECRET-KEY-1…` identities.
 * age lifts BIP 173's 90-character limit; its keys stay well under it anyway.
 */

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit++) if ((top >>> bit) & 1) checksum ^= GENERATOR[bit];
  }
  return checksum >>> 0;
}

function expandPrefix(prefix: string): number[] {
  const high = [...prefix].map((character) => character.charCodeAt(0) >>> 5);
  const low = [...prefix].map((character) => character.charCodeAt(0) & 31);
  return [...high, 0, ...low];
}

/** Regroups bits: 8 → 5 pads the last group with zeros; 5 → 8 refuses leftover bits that are not zero padding. */
function regroup(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let accumulator = 0;
  let bits = 0;
  const out: number[] = [];
  const mask = (1 << to) - 1;
  for (const value of data) {
    accumulator = (accumulator << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((accumulator >>> bits) & mask);
    }
    accumulator &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((accumulator << (to - bits)) & mask);
  } else if (bits >= from || accumulator !== 0) {
    return undefined;
  }
  return out;
}

/** The bech32 string of `data` under `prefix`, lower case (age writes secret keys upper case: the caller does that). */
export function bech32Encode(prefix: string, data: Uint8Array): string {
  const lower = prefix.toLowerCase();
  const words = regroup(data, 8, 5, true) ?? [];
  const checked = polymod([...expandPrefix(lower), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = [0, 1, 2, 3, 4, 5].map((index) => (checked >>> (5 * (5 - index))) & 31);
  return `${lower}1${[...words, ...checksum].map((word) => CHARSET[word]).join('')}`;
}

/** The prefix and bytes of a bech32 string, or undefined when it is not one (mixed case, a bad character or checksum). */
export function bech32Decode(text: string): { prefix: string; data: Buffer } | undefined {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return undefined;
  const lower = text.toLowerCase();
  const separator = lower.lastIndexOf('1');
  if (separator < 1 || separator + 7 > lower.length) return undefined;
  const prefix = lower.slice(0, separator);
  if ([...prefix].some((character) => character < '!' || character > '~')) return undefined;
  const words: number[] = [];
  for (const character of lower.slice(separator + 1)) {
    const word = CHARSET.indexOf(character);
    if (word < 0) return undefined;
    words.push(word);
  }
  if (polymod([...expandPrefix(prefix), ...words]) !== 1) return undefined;
  const bytes = regroup(words.slice(0, -6), 5, 8, false);
  return bytes === undefined ? undefined : { prefix, data: Buffer.from(bytes) };
}
