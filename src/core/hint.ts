/**
 * What a hint tells a person to do, as data. A hint is words and actions in
 * order; an action names an option of the one table (src/core/options.ts), a
 * command, or where the details are, and each front door words it: the CLI
 * says `--pg-bin-dir DIR (or PULSE_BACKUP_PG_BIN_DIR)`, VS Code says the
 * setting "Pulse Backup: Client Tools Folder". The engine writes no flag into
 * its prose, so VS Code never shows one.
 */
import type { CommandName, OptionName } from './options';

export type Action =
  /** Give the option a value: "pass --db URL" / "run Pulse Backup: Configure Connection". */
  | { kind: 'set'; option: OptionName }
  /** The option itself, as a noun: "--dir" / the setting "Pulse Backup: Backups Folder"; with an example value. */
  | { kind: 'option'; option: OptionName; value?: string }
  /** Run a command: "run pulse-backup backup" / "run Pulse Backup: Back Up Database". */
  | { kind: 'run'; command: CommandName; on?: string }
  /** Look at the sets of a folder: "run pulse-backup list --dir F to see the sets" / "see the sets in the Backups view". */
  | { kind: 'see-sets'; folder: string }
  /** Start the database server: the CLI names both kinds, VS Code the one the folder has. */
  | { kind: 'start-server' }
  /** Where the full story is: "run again with PULSE_BACKUP_DEBUG=1 for details" / "see Pulse Backup: Show Log for details". */
  | { kind: 'details'; of?: string }
  /**
   * Advice only the command line can follow (a flag VS Code has no setting
   * for): the CLI words `hint`, VS Code words `otherwise`, or leaves it out.
   */
  | { kind: 'command-line'; hint: Hint; otherwise?: Hint };

export type HintPart = string | Action;

/** Words and actions, read in order. */
export type Hint = readonly HintPart[];

/** How one front door says each action. */
export type ActionWords = (action: Action) => string;

/**
 * Builds a hint from a template: strings stay words, actions stay data, and
 * a hint inside a hint is spliced in (so "nothing was removed; ${cause}"
 * keeps the cause's actions).
 */
export function hint(strings: TemplateStringsArray, ...values: readonly (string | number | Action | Hint)[]): Hint {
  const parts: HintPart[] = [];
  strings.forEach((text, index) => {
    parts.push(text);
    if (index >= values.length) return;
    const value = values[index];
    if (typeof value === 'number') parts.push(String(value));
    else if (typeof value === 'string' || !Array.isArray(value)) parts.push(value as string | Action);
    else parts.push(...(value as Hint));
  });
  return joinWords(parts);
}

/** A plain string is a hint of words alone. */
export function toHint(value: string | Hint | undefined): Hint | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

export const option = (name: OptionName, value?: string): Action => (value === undefined ? { kind: 'option', option: name } : { kind: 'option', option: name, value });
export const setOption = (name: OptionName): Action => ({ kind: 'set', option: name });
export const run = (command: CommandName, on?: string): Action => (on === undefined ? { kind: 'run', command } : { kind: 'run', command, on });
export const seeDetails = (of?: string): Action => (of === undefined ? { kind: 'details' } : { kind: 'details', of });
export const seeSets = (folder: string): Action => ({ kind: 'see-sets', folder });
export const startServer = (): Action => ({ kind: 'start-server' });
export const commandLineOnly = (advice: Hint, otherwise?: Hint): Action =>
  otherwise === undefined ? { kind: 'command-line', hint: advice } : { kind: 'command-line', hint: advice, otherwise };

/** The hint as one line in a front door's words. */
export function wordHint(advice: Hint, words: ActionWords): string {
  return nestedWords(advice, words)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/ {2,}/g, ' ')
    .replace(/\(\s*\)|\s+([,;)])/g, (_match, mark: string | undefined) => mark ?? '')
    .trim();
}

/**
 * A hint inside another (command-line-only advice) in a front door's words,
 * its edges kept: " with --jobs 1" must not lose the space that parts it
 * from the words before it. The outer hint's wordHint tidies the line.
 */
export function nestedWords(advice: Hint, words: ActionWords): string {
  return advice.map((part) => (typeof part === 'string' ? part : words(part))).join('');
}

/** The actions a hint names, nested ones included: what a test walks to word every one. */
export function actionsOf(advice: Hint): Action[] {
  return advice.flatMap((part) => {
    if (typeof part === 'string') return [];
    if (part.kind === 'command-line') return [part, ...actionsOf(part.hint), ...actionsOf(part.otherwise ?? [])];
    return [part];
  });
}

/** Hints one after another, `separator` between them. */
export function joinHints(hints: readonly Hint[], separator: string): Hint {
  return joinWords(hints.flatMap((advice, index) => (index === 0 ? [...advice] : [separator, ...advice])));
}

/** Every string part replaced (e.g. "nothing was changed" by "the target is unchanged"), the actions kept. */
export function mapWords(advice: Hint, change: (text: string) => string): Hint {
  return advice.map((part) => (typeof part === 'string' ? change(part) : part));
}

function joinWords(parts: readonly HintPart[]): Hint {
  const joined: HintPart[] = [];
  for (const part of parts) {
    const last = joined[joined.length - 1];
    if (typeof part === 'string' && typeof last === 'string') joined[joined.length - 1] = last + part;
    else if (part !== '') joined.push(part);
  }
  return joined;
}
