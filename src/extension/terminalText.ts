/**
 * What the task terminal writes: VS Code's terminal acts on escape sequences
 * in the text it is given, so the text a job shows (a table's name, pg_dump's
 * warning, an error naming a file) is made printable (core/printable.ts)
 * before the terminal's own sequences (colour, the redrawn live line) go
 * around it. Lines end in \r\n: a pseudoterminal has no line discipline.
 */
import { printable, printableLines } from '../core/format';

export type TerminalColour = 'green' | 'yellow' | 'red';

const COLOUR_CODES: Record<TerminalColour, number> = { green: 32, yellow: 33, red: 31 };

/** Clears the line the cursor is on, from its start. */
export const CLEAR_LINE = '\r\x1b[2K';

/** A finished line (or lines), in a colour or the terminal's own. */
export function terminalLine(text: string, colour?: TerminalColour): string {
  const shown = printableLines(text.replace(/\r\n/g, '\n')).replace(/\n/g, '\r\n');
  return `${colour ? `\x1b[${COLOUR_CODES[colour]}m${shown}\x1b[0m` : shown}\r\n`;
}

/** The live line, redrawn in place: one line whatever the text holds. */
export function terminalLiveLine(text: string): string {
  return `${CLEAR_LINE}${printable(text.replace(/\r?\n/g, ' '))}`;
}
