/**
 * The engine's messages speak to a command line ("point --dir at a
 * folder", "start the database (supabase start …)"); in VS Code the same
 * advice names the setting or the command that does it, fits the folder
 * (no `supabase start` where there is no Supabase project), and starts
 * with a capital letter as VS Code's own messages do. Pure, so unit tests
 * cover every rewrite without VS Code.
 */
import { PulseError, formatError, toPulseError } from '../core/errors';

const CONFIGURE = 'Pulse Backup: Configure Connection';

const REWRITES: readonly (readonly [RegExp, string])[] = [
  [/\brun pulse-backup list --dir \S+ to see the sets\b/g, 'see the sets in the Backups view'],
  [/\brun pulse-backup backup first\b/g, 'run Pulse Backup: Back Up Database first'],
  // Proofs: the scratch server is a setting in VS Code.
  [/\bpass --scratch-db (\S+) \(its password in PGPASSWORD or ~\/\.pgpass\)/g, 'set pulseBackup.scratchServerURL to $1 (its password in ~/.pgpass)'],
  [/\bor pass --scratch-db URL to prove on another server\b/g, 'or set pulseBackup.scratchServerURL to prove on another server'],
  [
    /^prove on a local server \(loopback or a local socket; --scratch-db URL names one\), or pass --allow-remote if you really mean that server$/g,
    'set pulseBackup.scratchServerURL to a server on this machine; to prove on another server use the CLI: pulse-backup prove … --scratch-db URL --allow-remote',
  ],
  [/\(pulse-backup verify tells which file\)/g, '(Verify on the set tells which file)'],
  [/\bpass --allow-remote if you really mean that server\b/g, 'Pulse Backup restores from VS Code only into a local database; for another server use the CLI: pulse-backup restore … --allow-remote'],
  // Passwords: whatever the engine names (the --db URL, PGPASSWORD), in VS Code it is entered again there.
  [/^check the password in .*$/g, `run ${CONFIGURE} and enter the password again`],
  [/^give the password in the URL .*$/g, `run ${CONFIGURE} and enter the password`],
  [/^put it in the URL .*$/g, `run ${CONFIGURE} and enter the password`],
  [/^connect over TCP with a password \(e\.g\. --db [^)]*\), or run as that user$/g, `connect over TCP with a password (${CONFIGURE}: host 127.0.0.1), or run VS Code as that user`],
  [/\bcheck the user name in the URL \(or PGUSER\)/g, `check the user name (${CONFIGURE})`],
  [/\bcheck the user name and password in .*$/g, `check the user name and password (${CONFIGURE})`],
  [/\bpick another with --db\b/g, `pick another with ${CONFIGURE}`],
  [/\badd \?sslmode=require to the URL\b/g, `add ?sslmode=require to the URL (${CONFIGURE})`],
  [/\bor pass --db \S+/g, `or run ${CONFIGURE}`],
  [/\(--db URL\)/g, `(${CONFIGURE})`],
  [/\brun again with PULSE_BACKUP_DEBUG=1 for details\b/g, 'see Pulse Backup: Show Log for details'],
  [/\brestore --mode schema first, or use --mode complete\b/g, 'restore it schema-only first, or restore complete'],
  [/\banother --mode\b/g, 'another restore mode'],
  [/\bpoint --dir at\b/g, 'point the pulseBackup.backupsFolder setting at'],
  [/\bwith --dir\b/g, 'with the pulseBackup.backupsFolder setting'],
  [/\bset --pg-bin-dir\b/g, 'set pulseBackup.clientToolsFolder'],
  [/\be\.g\. --keep (\d+)/g, 'e.g. pulseBackup.retention.keepLast: $1'],
  [/\be\.g\. --prefix (\S+)/g, 'e.g. pulseBackup.filePrefix: $1'],
];

/** What the folder an error is about is like, where the advice depends on it. */
export interface HintContext {
  /** The folder has a Supabase project (supabase/config.toml). */
  supabase?: boolean;
}

/** The hint for a server that does not answer: start what this folder has. */
function startHint(context: HintContext): string {
  return context.supabase
    ? `start the Supabase stack (supabase start), or run ${CONFIGURE} if the database runs elsewhere`
    : `start the PostgreSQL server, or run ${CONFIGURE} if it runs elsewhere`;
}

/** The same error, its hint in the extension's words. */
export function forExtension(error: unknown, context: HintContext = {}): PulseError {
  const pulseError = toPulseError(error);
  const hint = pulseError.hint;
  if (hint === undefined) return pulseError;
  const started = /^start the database \(supabase start, or your PostgreSQL service\)/.test(hint) ? startHint(context) : hint;
  const rewritten = REWRITES.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), started);
  if (rewritten === hint) return pulseError;
  return new PulseError(pulseError.code, pulseError.message, { hint: rewritten, ...(pulseError.details !== undefined ? { details: pulseError.details } : {}), cause: pulseError });
}

/** "Cannot connect to …: start …": the one line, as a sentence, the way VS Code's messages read. */
export function sentenceOf(error: PulseError): string {
  return capitalise(formatError(error));
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
