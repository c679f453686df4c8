/**
 * Command lines shown to people for copying (the report's restore commands).
 * They are built as words and quoted here, so a path with spaces, quotes or
 * `$` pastes into a POSIX shell (bash, zsh, sh) and runs exactly as printed;
 * one with a control character is written `$'…'` with escapes, as bash and
 * zsh read it (typed raw, the terminal would act on it).
 */

import { INVISIBLE_CHARACTERS } from './format';

/** A literal argument, or a shell variable the person sets themselves (rendered "$NAME"). */
export type ShellWord = string | { variable: string };

// Characters no POSIX shell treats specially anywhere in a word. A leading '='
// is excluded: zsh expands `=name` to the path of the command `name`.
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

// Characters a terminal acts on or shows as nothing (printable in format.ts shows them as escapes): typed only inside $'…'.
const CONTROL = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${INVISIBLE_CHARACTERS}]`);

/** Quotes one argument for a POSIX shell, leaving plain words (most paths) readable. */
export function quoteShellArgument(value: string): string {
  if (value !== '' && SAFE_WORD.test(value)) return value;
  // A control character (a line break, ESC) in single quotes would reach the
  // terminal, which acts on it, and a printable rendering of it would name
  // another path: bash's and zsh's $'…' spells it with escapes.
  if (CONTROL.test(value)) return `$'${value.replace(/[\\']/g, (character) => `\\${character}`).replace(new RegExp(CONTROL.source, 'g'), ansiEscape)}'`;
  // Inside single quotes nothing is special except the quote itself, which
  // has to close the quotes, appear escaped, and reopen them.
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(words: readonly ShellWord[]): string {
  return words.map((word) => (typeof word === 'string' ? quoteShellArgument(word) : shellVariable(word.variable))).join(' ');
}

function shellVariable(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a shell variable name: ${name}`);
  // Quoted so a value with spaces or '&' (URL query strings) stays one argument.
  return `"$${name}"`;
}

/** One control character as $'…' spells it: its UTF-8 bytes (a \u escape depends on the shell's locale). */
function ansiEscape(character: string): string {
  const short: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return short[character] ?? [...Buffer.from(character, 'utf8')].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
}
