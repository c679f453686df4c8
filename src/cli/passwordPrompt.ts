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
const ESCAPE = '\u001b';
/** Ctrl-U: start over, as a terminal's line editing does at psql's or sudo's prompt. */
const KILL_LINE = '\u0015';
const TAB = '\t';

/**
 * Where in a key's escape sequence the prompt is: an arrow, Home or a
 * function key sends ESC [ … final (CSI) or ESC O x (SS3), and none of it is
 * part of what was typed (kept, its `[A` would have been).
 */
type EscapeState = 'none' | 'escape' | 'csi' | 'ss3';

export function askHidden(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  prompt: string,
  signal?: AbortSignal,
  asked: 'password' | 'passphrase' = 'password',
): Promise<string> {
  return new Promise((resolve, reject) => {
    let typed = '';
    let escape: EscapeState = 'none';
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
        // A control key (Enter, Ctrl-C, Ctrl-D …) ends a sequence cut short and is taken as itself: it is never swallowed.
        if (escape !== 'none' && character >= ' ') {
          escape = afterEscape(escape, character);
          continue;
        }
        escape = 'none';
        if (character === ESCAPE) {
          escape = 'escape';
          continue;
        }
        if (ENTER.has(character) || (character === CTRL_D && typed === '')) {
          finish(() => resolve(typed));
          return;
        }
        if (character === CTRL_C) {
          finish(() => reject(cancelled()));
          return;
        }
        // Backspace takes a character, not a UTF-16 half of one: after an emoji it leaves no lone surrogate behind.
        if (character === KILL_LINE) typed = '';
        else if (BACKSPACE.has(character)) typed = Array.from(typed).slice(0, -1).join('');
        // A tab is kept, as the passphrase's sources keep it (and age's own prompt does); other control keys are not typing.
        else if (character >= ' ' || character === TAB) typed += character;
      }
      // A key's sequence arrives whole, and the Escape key alone arrives alone: neither swallows the next key typed.
      escape = 'none';
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

function afterEscape(state: EscapeState, character: string): EscapeState {
  if (state === 'escape') return character === '[' ? 'csi' : character === 'O' ? 'ss3' : 'none';
  if (state === 'ss3') return 'none';
  // A CSI sequence's parameters and intermediates run up to its final byte, @ to ~.
  return character >= '@' && character <= '~' ? 'none' : 'csi';
}
