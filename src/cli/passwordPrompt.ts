/**
 * Asking for a password on a terminal, the way psql does: the prompt on
 * stderr, nothing echoed, Enter to finish, Ctrl-C to cancel. The answer
 * lives in this process only (and the environment of the pg_dump or psql it
 * starts), never on a command line or in a file.
 */
import { PulseError } from '../core/errors';

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = new Set(['\u007f', '\b']);

export function askHidden(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  prompt: string,
  signal?: AbortSignal,
  asked: 'password' | 'passphrase' = 'password',
): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    const wasRaw = input.isRaw;
    const finish = (outcome: () => void) => {
      input.off('data', onData);
      signal?.removeEventListener('abort', onAbort);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      outcome();
    };
    const cancelled = () => new PulseError('cancelled', `no ${asked} was given`, { hint: 'nothing was changed' });
    const onAbort = () => finish(() => reject(cancelled()));
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (ENTER.has(character) || (character === CTRL_D && typed === '')) {
          finish(() => resolve(typed));
          return;
        }
        if (character === CTRL_C) {
          finish(() => reject(cancelled()));
          return;
        }
        if (BACKSPACE.has(character)) typed = typed.slice(0, -1);
        else if (character >= ' ') typed += character;
      }
    };
    // Echo off before the prompt shows: whatever is typed after it is never on the screen.
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
    output.write(prompt);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
