/**
 * execa is an ES module; loading it on first use keeps CommonJS callers (the
 * bundled CLI and extension, the tests) working and keeps start-up cheap.
 */
import type { execa as ExecaFunction } from 'execa';

let loading: Promise<typeof ExecaFunction> | undefined;

export function loadExeca(): Promise<typeof ExecaFunction> {
  loading ??= import('execa').then((module) => module.execa);
  return loading;
}
