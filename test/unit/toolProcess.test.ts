import { commandLineWords } from '../../src/core/commandLineWords';
import { wordHint } from '../../src/core/hint';
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { PulseError } from '../../src/core/errors';
import { adoptedChildren } from '../../src/core/process/childProcesses';
import { runSupabaseReset } from '../../src/core/supabase/reset';
import { findClientTools, VERSION_TIMEOUT_MS } from '../../src/core/pg/tools';
import { runTool, startTool, toolStartError } from '../../src/core/process/toolProcess';
import { processes } from '../support/proc';

/** The tools here are /bin/sh scripts: real processes, started the way pg_dump and psql are. */
describe('starting a client tool', function () {
  let folder: string;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

  beforeEach(function () {
    folder = mkdtempSync(join(tmpdir(), 'pulse-tool-'));
  });

  afterEach(function () {
    rmSync(folder, { recursive: true, force: true });
  });

  it('passes only the given environment, and reports the exit code once stderr is read to the end', async function () {
    const tool = startTool('/bin/sh', ['-c', 'echo "home=${HOME:-none} x=$X" >&2; exit 3'], { env: { ...env, X: 'given' }, stdin: 'ignore', stdout: 'ignore' });
    let stderr = '';
    tool.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = await tool.exited;
    assert.deepEqual(exit, { exitCode: 3, signal: undefined, startError: undefined, timedOut: false });
    assert.equal(stderr, 'home=none x=given\n');
  });

  it('sends stdout into an existing file, replacing what it held', async function () {
    const file = join(folder, 'out.sql');
    writeFileSync(file, 'old contents that are longer than the new ones\n', { mode: 0o600 });
    const tool = startTool('/bin/sh', ['-c', 'echo dumped'], { env, stdin: 'ignore', stdout: { file } });
    assert.equal((await tool.exited).exitCode, 0);
    assert.equal(readFileSync(file, 'utf8'), 'dumped\n');
  });

  it('with stdout to a file, says how much room its disk had left as the tool exited, as this process sees it; without one, nothing', async function () {
    const file = join(folder, 'out.sql');
    writeFileSync(file, '', { mode: 0o600 });
    const toFile = await startTool('/bin/sh', ['-c', 'echo dumped'], { env, stdin: 'ignore', stdout: { file } }).exited;
    const disk = statfsSync(folder);
    const room = Number(process.getuid?.() === 0 ? disk.bfree : disk.bavail) * Number(disk.bsize);
    assert.equal(typeof toFile.outputRoom, 'number');
    // Another program may write meanwhile: the same disk, within a few MiB.
    assert.ok(Math.abs(toFile.outputRoom! - room) < 64 * 1024 * 1024, `${toFile.outputRoom} vs ${room}`);
    const toPipe = await startTool('/bin/sh', ['-c', 'echo dumped'], { env, stdin: 'ignore', stdout: 'ignore' }).exited;
    assert.equal('outputRoom' in toPipe, false);
  });

  it('sends stdout into an empty file its creator made private, which stays so; a missing file settles as a start error and is not created', async function () {
    const file = join(folder, 'piece.sql');
    writeFileSync(file, '', { mode: 0o600 });
    const tool = startTool('/bin/sh', ['-c', 'echo rows'], { env, stdin: 'ignore', stdout: { file } });
    assert.equal((await tool.exited).exitCode, 0);
    assert.equal(readFileSync(file, 'utf8'), 'rows\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);

    const missing = join(folder, 'missing.sql');
    const exit = await startTool('/bin/sh', ['-c', 'echo rows'], { env, stdin: 'ignore', stdout: { file: missing } }).exited;
    const error = toolStartError(exit.startError!, 'pg_dump');
    // Not "pg_dump is not there", and not the client tools' hint: the tool was fine, its file was gone.
    assert.equal(error.message, `could not start pg_dump: its output file ${missing} was removed as soon as it was created`);
    assert.equal(error.code, 'folder-not-writable');
    assert.equal(wordHint(error.hint ?? [], commandLineWords), `check what else deletes files in ${folder} and run again`);
    assert.equal(existsSync(missing), false);
  });

  it('feeds stdin, and a tool that stops reading early does not crash the writer', async function () {
    const tool = startTool('/bin/sh', ['-c', 'head -c 1 >/dev/null; exit 0'], { env, stdin: 'pipe', stdout: 'pipe' });
    const stdin = tool.stdin!;
    const big = Buffer.alloc(4 * 1024 * 1024, 0x41);
    const written = new Promise<Error | null | undefined>((resolve) => stdin.write(big, resolve));
    assert.equal((await tool.exited).exitCode, 0);
    // The write fails (EPIPE) or completes into the pipe; either way it settles and nothing throws.
    await written;
  });

  it('stops the tool on abort: SIGTERM first', async function () {
    const controller = new AbortController();
    const tool = startTool('/bin/sh', ['-c', 'exec sleep 30'], { env, stdin: 'ignore', stdout: 'ignore', signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const exit = await tool.exited;
    assert.equal(exit.signal, 'SIGTERM');
    assert.equal(exit.exitCode, undefined);
  });

  it('kills a tool that ignores SIGTERM once the grace period is over', async function () {
    const controller = new AbortController();
    const script = join(folder, 'stubborn.sh');
    writeFileSync(script, "trap '' TERM\necho ready\nwhile :; do sleep 0.05; done\n", { mode: 0o700 });
    const tool = startTool('/bin/sh', [script], { env, stdin: 'ignore', stdout: 'pipe', signal: controller.signal, forceKillAfterMs: 200 });
    await new Promise((resolve) => tool.stdout!.once('data', resolve));
    const started = Date.now();
    controller.abort();
    const exit = await tool.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(Date.now() - started >= 150, 'SIGKILL came only after the grace period');
  });

  it('a process the tool left behind, holding its stderr open, does not hold up the result', async function () {
    const tool = startTool('/bin/sh', ['-c', 'sleep 30 & exit 4'], { env, stdin: 'ignore', stdout: 'ignore' });
    const started = Date.now();
    const exit = await tool.exited;
    assert.equal(exit.exitCode, 4);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('an aborted signal stops the tool at once', async function () {
    const controller = new AbortController();
    controller.abort();
    const tool = startTool('/bin/sh', ['-c', 'exec sleep 30'], { env, stdin: 'ignore', stdout: 'ignore', signal: controller.signal });
    assert.equal((await tool.exited).signal, 'SIGTERM');
  });

  it('a tool that cannot be started settles with the reason, and says so in one line', async function () {
    const missing = join(folder, 'pg_dump');
    const tool = startTool(missing, [], { env, stdin: 'ignore', stdout: 'ignore' });
    const exit = await tool.exited;
    assert.equal(exit.exitCode, undefined);
    const startError = exit.startError;
    assert.ok(startError instanceof Error);
    assert.equal(startError.code, 'ENOENT');
    const error = toolStartError(startError, missing);
    assert.equal(error.code, 'tools-not-found');
    assert.equal(error.message, `could not start ${missing}: it is not there`);
    assert.ok(!error.message.includes('\n'));
  });

  /** Processes whose command line holds `marker`: what a killed tool must not leave behind. */
  function processesWith(marker: string): number[] {
    return processes()
      .filter((view) => view.argv.join(' ').includes(marker))
      .map((view) => view.pid);
  }

  it('a short tool that never answers is killed at its time limit, with everything it started', async function () {
    if (process.platform !== 'linux') this.skip();
    const marker = `${process.pid}${Date.now() % 10_000}`;
    const started = Date.now();
    const result = await runTool('/bin/sh', ['-c', `trap '' TERM INT; sleep ${marker} & wait`], { env, timeoutMs: 300, forceKillAfterMs: 0 });
    assert.equal(result.timedOut, true);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    assert.deepEqual(processesWith(`sleep ${marker}`), [], 'nothing it started is left');
  });

  it('a pg_dump that never answers --version: a clear error after the time limit, and no process left', async function () {
    if (process.platform !== 'linux') this.skip();
    this.timeout(VERSION_TIMEOUT_MS + 10_000);
    const marker = `${process.pid}${(Date.now() + 1) % 10_000}`;
    // Ignores SIGTERM, and what it starts keeps its output open: the two ways a hung tool held the CLI.
    writeFileSync(join(folder, 'pg_dump'), `#!/bin/sh\ntrap '' TERM INT\nsleep ${marker} &\nwait\n`, { mode: 0o755 });
    const started = Date.now();
    await assert.rejects(findClientTools({ pgBinDir: folder, env, withCompanions: false }), (error: Error) => {
      assert.equal(error.message, `${join(folder, 'pg_dump')} did not answer --version within ${VERSION_TIMEOUT_MS / 1000} seconds (it was stopped)`);
      return true;
    });
    assert.ok(Date.now() - started < VERSION_TIMEOUT_MS + 3000, `took ${Date.now() - started} ms`);
    assert.deepEqual(processesWith(`sleep ${marker}`), []);
  });

  it('a cancel stops a --version that hangs at once', async function () {
    if (process.platform !== 'linux') this.skip();
    writeFileSync(join(folder, 'pg_dump'), "#!/bin/sh\ntrap '' TERM INT\nsleep 600\n", { mode: 0o755 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    await assert.rejects(findClientTools({ pgBinDir: folder, env, withCompanions: false, signal: controller.signal }), /cancelled/);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });
  it('a tool that overruns its time limit is stopped the same way: SIGTERM, and says it timed out', async function () {
    const started = Date.now();
    const tool = startTool('/bin/sh', ['-c', 'exec sleep 30'], { env, stdin: 'ignore', stdout: 'ignore', timeoutMs: 200 });
    const exit = await tool.exited;
    assert.equal(exit.timedOut, true);
    assert.equal(exit.signal, 'SIGTERM');
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('a tool that ends in time is not marked as timed out, and its timer does not outlive it', async function () {
    const exit = await startTool('/bin/sh', ['-c', 'exit 0'], { env, stdin: 'ignore', stdout: 'ignore', timeoutMs: 60_000 }).exited;
    assert.deepEqual(exit, { exitCode: 0, signal: undefined, startError: undefined, timedOut: false });
  });

  it('every child is registered while it runs, so that the watchdog can kill it, and unregistered when it ends', async function () {
    const before = adoptedChildren();
    const tool = startTool('/bin/sh', ['-c', 'read line'], { env, stdin: 'pipe', stdout: 'ignore' });
    assert.equal(adoptedChildren(), before + 1);
    tool.stdin!.end('go\n');
    await tool.exited;
    assert.equal(adoptedChildren(), before);
  });

  it('runs a tool to its end: input, working folder, both outputs, and each line as it comes', async function () {
    const lines: string[] = [];
    const result = await runTool('/bin/sh', ['-c', 'read name; echo "hello $name in $(pwd)"; echo warned >&2; exit 2'], {
      env,
      cwd: realpathSync(folder),
      input: 'world\n',
      timeoutMs: 10_000,
      onLine: (line) => lines.push(line),
    });
    assert.equal(result.exitCode, 2);
    assert.equal(result.stdout, `hello world in ${realpathSync(folder)}\n`);
    assert.equal(result.stderr, 'warned\n');
    assert.deepEqual(lines.sort(), [`hello world in ${realpathSync(folder)}`, 'warned'].sort());
  });

  it('a cancel stops a run tool and everything it started', async function () {
    if (process.platform !== 'linux') this.skip();
    const marker = `${process.pid}${(Date.now() + 2) % 10_000}`;
    const controller = new AbortController();
    const running = runTool('/bin/sh', ['-c', `sleep ${marker} & echo started; wait`], { env, signal: controller.signal, onLine: () => controller.abort() });
    const result = await running;
    assert.equal(result.signal, 'SIGTERM');
    assert.equal(result.timedOut, false);
    assert.deepEqual(processesWith(`sleep ${marker}`), [], 'nothing it started is left');
  });

  it('a missing binary: a run settles with the reason, and the client tools say so in one line', async function () {
    const missing = join(folder, 'psql');
    const result = await runTool(missing, ['--version'], { env, timeoutMs: 1000 });
    assert.equal(result.startError?.code, 'ENOENT');
    assert.equal(result.exitCode, undefined);
    const error = toolStartError(result.startError, missing);
    assert.equal(error.message, `could not start ${missing}: it is not there`);
    assert.equal(wordHint(error.hint ?? [], commandLineWords), 'check the client tools (--pg-bin-dir, or PATH) and run again');
  });

  it('arguments Node refuses outright (a NUL byte) settle as a start error too, never a throw', async function () {
    const tool = startTool('/bin/sh', ['-c', 'echo \0'], { env, stdin: 'ignore', stdout: 'ignore' });
    const exit = await tool.exited;
    assert.equal(exit.exitCode, undefined);
    assert.ok(exit.startError instanceof Error);
    assert.match(toolStartError(exit.startError, '/bin/sh').message, /^could not start \/bin\/sh: /);
  });

  it('a missing supabase CLI: a reset fails with one line and changes nothing', async function () {
    const project = join(folder, 'project');
    mkdirSync(project);
    await assert.rejects(runSupabaseReset({ project: { folder: project } as never, env: { PATH: folder } }), (error: unknown) => {
      assert.ok(error instanceof PulseError);
      assert.equal(error.code, 'tools-not-found');
      assert.equal(error.message, 'the supabase CLI is not installed (supabase db reset --local needs it)');
      return true;
    });
  });

  it('nothing outside src/core/process starts a child: one module, one policy', function () {
    const src = resolve(__dirname, '..', '..', 'src');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.ts') ? [join(dir, name)] : []));
    const starters = files(src)
      .filter((file) => !relative(src, file).startsWith(join('core', 'process')))
      .filter((file) => /from '(node:)?child_process'|require\('(node:)?child_process'\)|from 'execa'|import\('execa'\)/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(src, file));
    assert.deepEqual(starters, []);
  });
});
