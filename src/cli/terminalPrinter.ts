/**
 * Progress on a terminal: finished steps as lines, the step under way as one
 * line rewritten in place. The command printers build on this.
 */
export class TerminalPrinter {
  private liveLine = false;

  constructor(protected readonly stream: NodeJS.WriteStream) {}

  /** Ends the live line, so whatever comes next starts on a clean line. */
  finish(): void {
    this.clearLive();
  }

  protected live(text: string): void {
    const width = this.stream.columns || 100;
    this.stream.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
    this.liveLine = true;
  }

  protected line(text: string): void {
    this.clearLive();
    this.stream.write(`${text}\n`);
  }

  private clearLive(): void {
    if (this.liveLine) this.stream.write('\r\x1b[2K');
    this.liveLine = false;
  }
}
