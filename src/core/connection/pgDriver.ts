/**
 * The pg driver, loaded on first use, a cost only the commands that connect
 * pay.
 *
 * On loading, pg asks whether it runs on Cloudflare Workers: with no
 * `navigator` global (Node 20 has none) it constructs a `Response`, and that
 * makes Node load its whole fetch implementation (undici) — some 10–20 ms of
 * every backup's start-up, for nothing. For the moment of loading, a
 * `navigator` that answers the question is put in place, and removed again.
 */
import type pg from 'pg';

let loading: Promise<typeof pg> | undefined;

export function loadPg(): Promise<typeof pg> {
  loading ??= importWithoutFetch();
  return loading;
}

async function importWithoutFetch(): Promise<typeof pg> {
  const lent = !('navigator' in globalThis);
  if (lent) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.version}` }, configurable: true, writable: true });
  try {
    return (await import('pg')).default;
  } finally {
    if (lent) Reflect.deleteProperty(globalThis, 'navigator');
  }
}
