/**
 * One of a set's files loaded into a scratch database with psql, the
 * command line a person runs (plan.ts): nothing when it loaded, else psql's
 * first error in one line, with what to do.
 */
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import type { ConnectionTarget } from '../connection/target';
import { redactText } from '../connection/redact';
import { PulseError, toPulseError } from '../errors';
import type { SetKeys } from '../codecs/codecs';
import { setFileStream } from '../codecs/setFileReader';
import { startPgTool, toolName, type ClientTools } from '../pg/run';
import { onLines } from '../process/lines';
import { toolStartError } from '../process/toolProcess';
import type { ProofLoad } from './plan';
import { proofRestoreHint } from './words';

export async function loadSetFile(
  tools: ClientTools,
  target: ConnectionTarget,
  options: { env: NodeJS.ProcessEnv; signal?: AbortSignal; keys?: SetKeys },
  load: ProofLoad,
): Promise<string | undefined> {
  const psql = startPgTool(tools, 'psql', target, load.args, { env: options.env, stdin: load.viaStdin ? 'pipe' : 'ignore', stdout: 'ignore', signal: options.signal });
  const stderr: string[] = [];
  onLines(psql.stderr, (line) => {
    if (line.trim() !== '' && stderr.length < 200) stderr.push(redactText(line));
  });
  let unreadable: string | undefined;
  if (load.viaStdin && psql.stdin) {
    // Decrypted on the way, for an encrypted file: psql reads SQL only.
    const input = setFileStream(load.file, { keys: options.keys });
    input.on('error', (error: Error) => {
      unreadable = toPulseError(error).message;
      psql.kill('SIGKILL');
    });
    psql.stdin.on('error', () => undefined);
    if (load.existingPublic) input.pipe(existingPublicSchema()).pipe(psql.stdin);
    else input.pipe(psql.stdin);
  }
  const exit = await psql.exited;
  throwIfCancelled(options.signal);
  if (unreadable !== undefined) return `cannot be read: ${unreadable}`;
  if (exit.startError) throw toolStartError(exit.startError, toolName(tools, 'psql'));
  if (exit.exitCode === 0) return undefined;
  const errorIndex = stderr.findIndex((line) => /ERROR:|FATAL:/.test(line));
  if (errorIndex < 0) return `psql ended with ${String(exit.signal ?? exit.exitCode)}${stderr.length > 0 ? `: ${stderr[stderr.length - 1]}` : ''}`;
  const line = stderr[errorIndex];
  const location = /^psql:(.*?):(\d+):/.exec(line);
  const message = line.replace(/^psql:.*?:\d+:\s*/, '').replace(/^(ERROR|FATAL):\s*/, '');
  const detail = stderr.slice(errorIndex + 1).find((candidate) => candidate.startsWith('DETAIL:'));
  const where = location ? ` (line ${location[2]} of ${basename(load.file)})` : '';
  return `does not restore: ${message}${where}; ${proofRestoreHint(message, detail)}`;
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PulseError('cancelled', 'proof cancelled', { hint: 'its scratch databases were dropped; the set and the database are as they were' });
}

/**
 * The file on its way to psql, its schema public's `CREATE SCHEMA public;`
 * (the line after that entry's header) written `CREATE SCHEMA IF NOT EXISTS
 * public;`: a database has public already, with the privileges PostgreSQL
 * gives it, which a restore keeps (restore/feed.ts does the same). Bytes
 * pass as they are (read as latin1, one character per byte, whatever the
 * file's encoding); once that line is past, chunks pass untouched.
 */
export function existingPublicSchema(): Transform {
  let partial = '';
  let inPublicEntry = false;
  let rewritten = false;
  const rewrite = (line: string): string => {
    if (rewritten) return line;
    if (line.startsWith('-- Name: ')) inPublicEntry = line.startsWith('-- Name: public; Type: SCHEMA; Schema: -;');
    else if (inPublicEntry && line === 'CREATE SCHEMA public;') {
      rewritten = true;
      return 'CREATE SCHEMA IF NOT EXISTS public;';
    }
    return line;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (rewritten) return done(null, chunk);
      const lines = (partial + chunk.toString('latin1')).split('\n');
      partial = lines.pop() ?? '';
      let text = lines.length > 0 ? `${lines.map(rewrite).join('\n')}\n` : '';
      // The line is past: what is left of the chunk goes as it is, and so will every chunk after it.
      if (rewritten) {
        text += partial;
        partial = '';
      }
      done(null, text === '' ? undefined : Buffer.from(text, 'latin1'));
    },
    flush(done) {
      done(null, partial === '' ? undefined : Buffer.from(rewrite(partial), 'latin1'));
    },
  });
}
