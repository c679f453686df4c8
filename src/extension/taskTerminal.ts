/**
 * The terminal a pulse-backup task runs in: the one place its progress
 * shows. Lines end in \r\n (a pseudoterminal has no line discipline), a
 * live line is redrawn in place, the text in both made printable
 * (terminalText.ts), every error becomes the engine's one line
 * (as a sentence) and a non-zero exit code; a person declining a question
 * is no error: a plain line and exit code 0. Closing the terminal, or
 * terminating the task, aborts the work, which the engine then cleans up.
 */
import * as vscode from 'vscode';
import { PulseError } from '../core/errors';
import { sentenceOf } from './hints';
import type { Log } from './log';
import type { ProgressText } from './progressText';
import { CLEAR_LINE, terminalLine, terminalLiveLine, type TerminalColour } from './terminalText';

/** What a job may do with its terminal. */
export interface TaskIO {
  signal: AbortSignal;
  line(text: string): void;
  progress(text: ProgressText): void;
}

/** The outcome every job ends with. */
export interface JobOutcome {
  exitCode: number;
  error?: PulseError;
  /** The person said no to a question: nothing was done, and nothing went wrong. */
  declined?: boolean;
}

/** The terminal's live line is redrawn at most this often: a terminal is slower than pg_dump. */
const LIVE_REDRAW_MS = 100;

/**
 * VS Code reports a terminal that exits within its first half second as
 * "failed to launch", under our own message: an early failure (a database
 * that is down) keeps the terminal open until then.
 */
export const MIN_OPEN_MS = 700;

export class PulseTaskTerminal<Outcome extends JobOutcome> implements vscode.Pseudoterminal {
  private readonly written = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.written.event;
  readonly onDidClose = this.closed.event;
  private readonly controller = new AbortController();
  private liveShown = false;
  private lastLiveDraw = 0;
  private finished = false;

  constructor(
    private readonly title: string,
    private readonly job: (io: TaskIO) => Promise<Outcome>,
    private readonly log: Log,
    private readonly onOutcome: (outcome: Outcome | JobOutcome) => void,
  ) {}

  open(): void {
    void this.start();
  }

  /** The person closed the terminal or terminated the task: stop the work; the engine cleans up. */
  close(): void {
    if (!this.finished) this.controller.abort();
  }

  private async start(): Promise<void> {
    const openedAt = performance.now();
    let outcome: Outcome | JobOutcome;
    try {
      outcome = await this.job({
        signal: this.controller.signal,
        line: (text) => this.writeLine(text),
        progress: (text) => this.progress(text),
      });
      this.clearLive();
      if (outcome.exitCode === 0) this.writeLine('Done.', 'green');
      else this.writeLine(`Finished with exit code ${outcome.exitCode}.`, 'yellow');
    } catch (error) {
      const pulseError = error instanceof PulseError ? error : new PulseError('internal', String(error));
      this.clearLive();
      if (isDeclined(pulseError)) {
        outcome = { exitCode: 0, declined: true, error: pulseError };
        this.writeLine(this.log.redact(sentenceOf(pulseError)));
        this.log.info(`${this.title}: ${this.log.redact(sentenceOf(pulseError))}`);
      } else if (pulseError.code === 'cancelled') {
        // Stopped on purpose: said plainly, not in red, and logged as what it is.
        outcome = { exitCode: pulseError.exitCode, error: pulseError };
        this.writeLine(this.log.redact(sentenceOf(pulseError)), 'yellow');
        this.log.info(`${this.title}: ${this.log.redact(sentenceOf(pulseError))}`);
      } else {
        outcome = { exitCode: pulseError.exitCode, error: pulseError };
        this.writeLine(this.log.redact(sentenceOf(pulseError)), 'red');
        this.log.error(this.title, pulseError);
      }
    }
    this.finished = true;
    const openFor = performance.now() - openedAt;
    if (openFor < MIN_OPEN_MS) await new Promise((resolve) => setTimeout(resolve, MIN_OPEN_MS - openFor));
    this.onOutcome(outcome);
    this.closed.fire(outcome.exitCode);
  }

  private progress(text: ProgressText): void {
    if (text.line !== undefined) this.writeLine(text.line);
    if (text.live !== undefined) this.writeLive(text.live);
  }

  private writeLine(text: string, colour?: TerminalColour): void {
    this.clearLive();
    this.written.fire(terminalLine(text, colour));
  }

  private writeLive(text: string): void {
    const now = performance.now();
    if (now - this.lastLiveDraw < LIVE_REDRAW_MS) return;
    this.lastLiveDraw = now;
    this.written.fire(terminalLiveLine(text));
    this.liveShown = true;
  }

  private clearLive(): void {
    if (this.liveShown) this.written.fire(CLEAR_LINE);
    this.liveShown = false;
  }
}

/** A question the person answered with no: not a cancel of running work, and no error. */
export class Declined extends PulseError {
  constructor(message: string, hint: string) {
    super('cancelled', message, { hint });
  }
}

export function isDeclined(error: PulseError | undefined): boolean {
  return error instanceof Declined;
}
