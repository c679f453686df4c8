/**
 * execa, for tests and the bench that run the CLI and the client tools the
 * way a person's shell would (the engine starts its own children through
 * src/core/process/toolProcess.ts). It is an ES module; loading it on first
 * use keeps the CommonJS test files working.
 */
import type { execa as ExecaFunction } from 'execa';

let loading: Promise<typeof ExecaFunction> | undefined;

export function loadExeca(): Promise<typeof ExecaFunction> {
  loading ??= import('execa').then((module) => module.execa);
  return loading;
}
