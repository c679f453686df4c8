#!/usr/bin/env node
/**
 * The `pulse-backup` command itself: loads the CLI (dist/cli-main.js)
 * through V8's code cache. Compiling the bundle is the largest fixed cost of
 * a short run after Node's own start; with the cache, V8 reuses the code it
 * compiled on an earlier run of the same build. The cache lives beside the
 * tool-version cache (PULSE_BACKUP_CACHE_DIR, else ~/.cache/pulse-backup),
 * one file per build and Node version; anything wrong with it (missing,
 * rejected, unwritable) only means compiling as without it.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { toolCacheFolder } from '../core/pg/toolVersionCache';
import { hidePasswordsFromProcessList } from './argvPasswords';

// First of all: a password in the arguments leaves the process list now, not when the CLI has loaded.
hidePasswordsFromProcessList(process.argv);

type ModuleFunction = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

const main = path.join(__dirname, 'cli-main.js');
// The bundle starts with the shebang of a script; inside a function it would be a syntax error.
const source = readFileSync(main, 'utf8').replace(/^#!.*/, '');
const cacheFolder = toolCacheFolder(process.env);
const cacheFile = cacheFileFor(main);
let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // first run of this build
}
const script = new vm.Script(wrap(source), { filename: main, ...(cachedData ? { cachedData } : {}) });
if (cachedData === undefined || script.cachedDataRejected === true) {
  // After the run, so the cache holds the functions the run compiled too.
  process.once('exit', () => saveCache(script));
}
const module = { exports: {} };
(script.runInThisContext() as ModuleFunction).call(module.exports, module.exports, createRequire(main), module, main, path.dirname(main));

function cacheFileFor(file: string): string {
  const info = statSync(file);
  return path.join(cacheFolder, `cli-${process.version}-${process.arch}-${info.size}-${Math.trunc(info.mtimeMs)}.v8cache`);
}

function saveCache(compiled: vm.Script): void {
  try {
    mkdirSync(cacheFolder, { recursive: true, mode: 0o700 });
    // Other builds' caches are of no use any more.
    for (const name of readdirSync(cacheFolder)) {
      if (/^cli-.*\.v8cache$/.test(name) && path.join(cacheFolder, name) !== cacheFile) unlinkSync(path.join(cacheFolder, name));
    }
    const partial = `${cacheFile}.${process.pid}.partial`;
    writeFileSync(partial, compiled.createCachedData(), { mode: 0o600 });
    renameSync(partial, cacheFile);
  } catch {
    // A cache that cannot be written is only a slower next start.
  }
}
