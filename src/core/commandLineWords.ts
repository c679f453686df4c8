/**
 * The command line's words for a hint's actions: flags and environment
 * variables from the one table (options.ts), commands as `pulse-backup …`.
 * The CLI prints with these; they live in the engine because they are only
 * the table's own flags, and a proof (a command-line capability) records its
 * findings in them. The extension has its own (src/extension/hints.ts).
 */
import { formatError } from './errors';
import { nestedWords, wordHint, type Action, type Hint } from './hint';
import { COMMANDS, OPTIONS, type OptionName, type OptionSpec } from './options';
import { shellCommand } from './shell';

/** The option as a noun: "--pg-bin-dir"; "--keep-last 10" with an example value. (Setting it names the variable too.) */
function flagOf(name: OptionName, value?: string): string {
  const spec: OptionSpec = OPTIONS[name];
  if (spec.flag === undefined) return spec.env ?? name;
  return value === undefined ? `--${spec.flag}` : `--${spec.flag} ${value}`;
}

export function commandLineWords(action: Action): string {
  switch (action.kind) {
    case 'option':
      return flagOf(action.option, action.value);
    case 'set': {
      const spec: OptionSpec = OPTIONS[action.option];
      if (spec.flag === undefined) return `set ${spec.env ?? action.option}`;
      return `pass --${spec.flag}${spec.value ? ` ${spec.value}` : ''}${spec.env ? ` (or set ${spec.env})` : ''}`;
    }
    case 'run': {
      const command: { readonly cli?: string } = COMMANDS[action.command] as { readonly cli?: string };
      if (command.cli === undefined) return '';
      return `run pulse-backup ${command.cli}${action.on === undefined ? '' : ` ${shellCommand([action.on])}`}`;
    }
    case 'see-sets':
      return `run pulse-backup list --dir ${shellCommand([action.folder])} to see the sets`;
    case 'start-server':
      return 'start the database (supabase start, or your PostgreSQL service)';
    case 'details':
      return `run again with ${OPTIONS.debug.env}=1 for ${action.of ?? 'details'}`;
    case 'command-line':
      return nestedWords(action.hint, commandLineWords);
  }
}

/** A hint as the CLI prints it. */
export function cliHint(advice: Hint): string {
  return wordHint(advice, commandLineWords);
}

/** An error's one line as the CLI prints it. */
export function cliError(error: unknown): string {
  return formatError(error, commandLineWords);
}
