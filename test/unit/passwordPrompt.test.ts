import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { askHidden } from '../../src/cli/passwordPrompt';

/** A terminal's two ends as the prompt sees them: keys in (raw mode switched as a TTY would), what it writes out. */
function terminal(): { input: NodeJS.ReadStream; output: NodeJS.WriteStream; written: () => string; modes: boolean[] } {
  const input = new PassThrough() as unknown as NodeJS.ReadStream & { isRaw: boolean };
  const modes: boolean[] = [];
  input.isRaw = false;
  input.setRawMode = (mode: boolean) => {
    modes.push(mode);
    input.isRaw = mode;
    return input;
  };
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { input, output: output as unknown as NodeJS.WriteStream, written: () => text, modes };
}

async function typed(...keys: string[]): Promise<string> {
  const { input, output } = terminal();
  const answer = askHidden(input, output, 'Passphrase: ', undefined, 'passphrase');
  for (const key of keys) (input as unknown as PassThrough).write(key);
  return answer;
}

describe('the hidden prompt of the CLI', () => {
  it('keeps a tab, as the passphrase read from a file or the environment keeps it', async () => {
    assert.equal(await typed('a\tb\r'), 'a\tb');
  });

  it('takes no part of an arrow, Home or function key into the answer', async () => {
    assert.equal(await typed('ab', '\u001b[D', 'c', '\u001b[1;5C', '\u001bOH', 'd', '\u001b[15~', '\r'), 'abcd');
  });

  it('does not let the Escape key alone swallow the next key', async () => {
    assert.equal(await typed('a', '\u001b', 'b\r'), 'ab');
  });

  it('never swallows Enter or Ctrl-C after a sequence cut short (Alt+[ sends ESC [)', async () => {
    assert.equal(await typed('\u001b[', '123\r'), '123');
    assert.equal(await typed('ab\u001b[12\r'), 'ab');
    const { input, output } = terminal();
    const answer = askHidden(input, output, 'Password: ');
    (input as unknown as PassThrough).write('x\u001b[1\u0003');
    await assert.rejects(answer, /no password was given/);
  });

  it('removes a whole character with backspace, an emoji too', async () => {
    assert.equal(await typed('pa🔑ss', '\u007f\u007f\u007f', '\r'), 'pa');
  });

  it('starts over at Ctrl-U, drops other control keys, echoes nothing and leaves the terminal as it found it', async () => {
    const { input, output, written, modes } = terminal();
    const answer = askHidden(input, output, 'Password: ');
    (input as unknown as PassThrough).write('wrong\u0015se\u0001cr\u0002et\n');
    assert.equal(await answer, 'secret');
    assert.equal(written(), 'Password: \n');
    assert.deepEqual(modes, [true, false]);
  });
});
