/**
 * The pg driver, loaded on first use. Requiring it costs about 60 ms at
 * start-up (it looks for fetch's globals, which makes Node load undici), a
 * cost every CLI command would pay although only some of them connect.
 */
import type pg from 'pg';

let loading: Promise<typeof pg> | undefined;

export function loadPg(): Promise<typeof pg> {
  loading ??= import('pg').then((module) => module.default);
  return loading;
}
