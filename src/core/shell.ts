/**
 * Command lines shown to people for copying (the report's restore commands).
 * They are built as words and quoted here, so a path with spaces, quotes or
 * `$` pastes into a POSIX shell (bash, zsh, sh) and runs exactly as printed.
 */

/** A literal argument, or a shell variable the person sets themselves (rendered "$NAME"). */
export type ShellWord = string | { variable: string };

// Characters no POSIX shell treats specially anywhere in a word. A leading '='
// is excluded: zsh expands `=name` to the path of the command `name`.
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

/** Quotes one argument for a POSIX shell, leaving plain words (most paths) readable. */
export function quoteShellArgument(value: string): string {
  if (value !== '' && SAFE_WORD.test(value)) return value;
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
