/**
 * A password given on the command line (`--db postgresql://user:secret@…`)
 * can be read by every user of the machine in the process list. The launcher
 * takes it out of the visible command line at once; on a terminal, the CLI
 * also says where a password belongs instead.
 */
import { redactText } from '../core/connection/redact';

/** The arguments with every password in them shown as ****; undefined when none holds one. */
export function argumentsWithoutPasswords(args: readonly string[]): string[] | undefined {
  let found = false;
  const shown = args.map((arg) => {
    const redacted = redactText(arg);
    if (redacted !== arg) found = true;
    return redacted;
  });
  return found ? shown : undefined;
}

/**
 * Replaces what the process list shows for this process. On Linux, Node
 * writes the title over the memory the kernel shows as the command line
 * (/proc/PID/cmdline, `ps`), so from here on the password is not there.
 */
export function hidePasswordsFromProcessList(argv: readonly string[]): boolean {
  const shown = argumentsWithoutPasswords(argv.slice(2));
  if (!shown) return false;
  process.title = [argv[0] ?? 'node', argv[1] ?? 'pulse-backup', ...shown].join(' ');
  return true;
}
