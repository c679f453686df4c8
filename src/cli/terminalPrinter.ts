import { printable, printableLines } from '../core/format';
import { rawStream } from './printableStream';

/**
 * Progress on a terminal: finished steps as lines, the step under way as one
 * line rewritten in place. The command printers build on this.
 */
export class TerminalPrinter {
  private liveLine = false;
  /** The live line's control sequences go to the terminal as they are; the text in them is made printable here. */
  private readonly terminal: NodeJS.WriteStream;

  constructor(protected readonly stream: NodeJS.WriteStream) {
    this.terminal = rawStream(stream);
  }

  /** Ends the live line, so whatever comes next starts on a clean line. */
  finish(): void {
    this.clearLive();
  }

  protected live(text: string): void {
    const width = this.stream.columns || 100;
    this.terminal.write(`\r\x1b[2K${printable(text).slice(0, width - 1)}`);
    this.liveLine = true;
  }

  protected line(text: string): void {
    this.clearLive();
    this.terminal.write(`${printableLines(text)}\n`);
  }

  private clearLive(): void {
    if (this.liveLine) this.terminal.write('\r\x1b[2K');
    this.liveLine = false;
  }
}

/**
 * The progress handler of a command whose result goes into the set's
 * history (verify, prove): events to the printer on a terminal, and the one
 * event that is not progress — the history could not be written — as a note
 * on stderr, whether or not a terminal shows progress.
 */
export function progressNotingHistory<E extends { kind: string }>(
  printer: { update(event: E): void; finish(): void } | undefined,
  stderr: NodeJS.WritableStream,
  what: string,
): (event: E | { kind: 'not-recorded'; reason: string }) => void {
  return (event) => {
    if (event.kind === 'not-recorded') {
      printer?.finish();
      stderr.write(`pulse-backup: note: ${what} was not added to the set's history: ${(event as { reason: string }).reason}\n`);
      return;
    }
    printer?.update(event as E);
  };
}
