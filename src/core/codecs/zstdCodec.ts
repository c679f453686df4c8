/**
 * The zstd codec: Node 20's zlib has no zstd, so each file goes through a
 * `zstd` child process of its own (the process layer's tool: registered,
 * so it dies with us; stderr kept for the one line), bytes streamed into
 * its stdin and out of its stdout, never more than the pipes' buffers
 * held. A file it writes is a plain zstd frame: `zstd -dc FILE | psql`
 * restores it by hand. Where zstd is not installed, a backup that asks for
 * it fails before anything is written, and a set it wrote cannot be read:
 * one line each, saying what to install.
 */
import { Duplex } from 'node:stream';
import { hint, option } from '../hint';
import { PulseError } from '../errors';
import { findOnPath } from '../pg/tools';
import { startTool, type ToolExit, type ToolProcess } from '../process/toolProcess';
import type { CodecImplementation } from './types';

/**
 * Chosen by measurement (docs/backups-folder.md, "Size and time"): level 1
 * on one thread; higher levels and more threads cost more than they save.
 */
export const DEFAULT_ZSTD_LEVEL = 1;

/** zstd on the PATH of this process (the CLI's environment, the editor's), or undefined. */
export function findZstd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findOnPath(process.platform === 'win32' ? ['zstd.exe'] : ['zstd'], env);
}

function notInstalled(): PulseError {
  return new PulseError('tools-not-found', 'zstd is not installed', { hint: hint`install the zstd package, or use ${option('compress', 'gzip')}` });
}

function zstdFor(fileName: string): string {
  const zstd = findZstd();
  if (zstd === undefined) {
    throw new PulseError('tools-not-found', `${fileName} is compressed with zstd, which is not installed`, {
      hint: 'install the zstd package (it has the zstd command) and run again',
    });
  }
  return zstd;
}

/** What zstd said last, without its program name and `/*stdin*\` prefix. */
function lastWords(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) =>
      line
        .replace(/^zstd:\s*/, '')
        .replace(/^\/\*stdin\*\\\s*:\s*/, '')
        .trim(),
    )
    .filter((line) => line !== '');
  return lines.at(-1) ?? '';
}

function exitWords(exit: ToolExit): string {
  if (exit.startError) return exit.startError.code === 'ENOENT' ? 'it is not there' : exit.startError.message;
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`;
}

function damaged(fileName: string, stderr: string, exit: ToolExit): PulseError {
  const said = lastWords(stderr);
  const why = /premature end|unexpected end/i.test(said) ? 'it ends in the middle of its zstd stream' : `its zstd stream is not valid (${said || exitWords(exit)})`;
  return new PulseError('stored-file-damaged', `${fileName} is damaged or cut short: ${why}`, {
    hint: 'it cannot be decompressed: use another backup set, or a copy of this file from elsewhere',
  });
}

function compressFailed(stderr: string, exit: ToolExit): PulseError {
  return new PulseError('internal', `zstd could not compress the file: ${lastWords(stderr) || exitWords(exit)}`, {
    hint: 'check that the zstd command works and run again',
  });
}

/**
 * A zstd child as one stream: what is written goes to its stdin (a write
 * completes once the pipe took it: backpressure reaches the writer), its
 * stdout comes out (paused while the reader is full). It ends once zstd
 * exited with 0; any other end is `failure`'s one line. Destroyed, it kills
 * the child.
 */
class ToolStream extends Duplex {
  private stderr = '';
  private readonly stdin;
  private readonly stdout;

  constructor(
    private readonly tool: ToolProcess,
    private readonly failure: (stderr: string, exit: ToolExit) => PulseError,
  ) {
    super();
    this.stdin = tool.stdin!;
    this.stdout = tool.stdout!;
    tool.stderr.setEncoding('utf8');
    tool.stderr.on('data', (text: string) => {
      if (this.stderr.length < 4096) this.stderr += text;
    });
    this.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.stdout.pause();
    });
    this.stdout.once('end', () => {
      void tool.exited.then((exit) => {
        if (exit.exitCode === 0) this.push(null);
        else this.destroy(this.failure(this.stderr, exit));
      });
    });
    this.stdout.once('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // A zstd that stopped reading has exited: its own words say why, not the pipe's EPIPE.
    this.stdin.write(chunk, (error) => (error ? void this.tool.exited.then((exit) => callback(this.failure(this.stderr, exit))) : callback()));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.stdin.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.tool.kill();
    callback(error);
  }
}

function zstdStream(zstd: string, args: readonly string[], failure: (stderr: string, exit: ToolExit) => PulseError): Duplex {
  // zstd needs nothing from the environment; it holds nothing worth a clean end, so a stop kills it at once.
  const tool = startTool(zstd, args, { env: {}, stdin: 'pipe', stdout: 'pipe', forceKillAfterMs: 0 });
  if (!tool.stdin || !tool.stdout) {
    const stream = new Duplex({ read: () => undefined, write: (_chunk, _encoding, callback) => callback() });
    void tool.exited.then((exit) => stream.destroy(failure('', exit)));
    return stream;
  }
  return new ToolStream(tool, failure);
}

export const ZSTD_CODEC: CodecImplementation = {
  decoder: (fileName) => zstdStream(zstdFor(fileName), ['-d', '-c', '-q'], (stderr, exit) => damaged(fileName, stderr, exit)),
  // Nothing to prove but that zstd is there to read it: before a restore changes anything.
  unlock: (_path, fileName) => Promise.resolve().then(() => void zstdFor(fileName)),
  encoder: (encoding) => {
    const zstd = findZstd();
    if (zstd === undefined) return Promise.reject(notInstalled());
    const level = encoding.compression?.level ?? DEFAULT_ZSTD_LEVEL;
    return Promise.resolve(zstdStream(zstd, [`-${level}`, '-c', '-q'], compressFailed));
  },
  ready: () => {
    if (findZstd() === undefined) throw notInstalled();
  },
};
