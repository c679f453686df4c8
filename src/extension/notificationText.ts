/**
 * Text a notification shows as it is written. VS Code reads a non-modal
 * notification's message for links (`[label](https://…)`, `(command:…)`,
 * `(file:…)`) and makes them clickable, a command: link running any command
 * with its arguments. A table name, a row's key, a server's error line, a
 * path or a database name is text someone else chose, so the message of
 * every notification passes through here (notifications.ts) before it is
 * shown; the extension's own words never use that syntax.
 *
 * VS Code's parser (parseLinkedText in src/vs/base/common/linkedText.ts)
 * matches a link only where a `]` is followed at once by `(`. A word joiner
 * (U+2060, invisible, no line break) put between the two breaks every such
 * match while the message reads exactly as before, and only text that held
 * `](` changes. Look-alike brackets would read the same too, but every
 * bracket of a name would then be another character; escaping with `\`
 * would show the backslashes, since nothing unescapes them.
 */

const WORD_JOINER = '\u2060';

/** The text with every `](` split by a word joiner, so no part of it reads as a link; applying it twice changes nothing more. */
export function withoutLinks(text: string): string {
  return text.replaceAll('](', `]${WORD_JOINER}(`);
}
