/**
 * How a psql session of a restore can end without an error of its own to
 * report, in one line each: killed from outside (its input then fails with
 * EPIPE, which says nothing to a person), or its server gone mid-restore
 * (which is not a problem with the host or port, as a failure to connect
 * would be). Until COMMIT, PostgreSQL keeps nothing of the transaction.
 */
import { hint, seeDetails } from '../hint';
import { PulseError } from '../errors';
import type { ToolExit } from '../process/toolProcess';

/**
 * The server ended a session that was under way (a shutdown, a restart,
 * pg_terminate_backend): the reason as the tool's stderr gives it, or
 * undefined when the text is about something else (a connection that never
 * opened, for one).
 */
export function lostConnectionReason(text: string): string | undefined {
  const said =
    /FATAL:\s*(terminating connection[^\n]*)|(server closed the connection unexpectedly)|(connection to server was lost)|(could not receive data from server[^\n]*)/i.exec(text);
  if (!said) return undefined;
  return (said[1] ?? said[2] ?? said[3] ?? said[4] ?? '').trim();
}

/** The restore's psql session ended because its server went away mid-restore. */
export function restoreConnectionLostError(reason: string, details: string): PulseError {
  return new PulseError('restore-failed', `the server ended the restore's session before it finished (${reason}), so nothing was committed`, {
    hint: 'check that the database server runs (its log says why the session ended), then run the restore again; the target is unchanged',
    details,
  });
}

/**
 * psql ended before the restore was through, with nothing of its own on
 * stderr: killed by a signal, or gone while its input was still being fed
 * (EPIPE). Undefined when the ending is explained otherwise (an error of the
 * restore itself, which is reported as it is).
 */
export function psqlEndedEarlyError(result: ToolExit, feedError: unknown): PulseError | undefined {
  const stoppedReading =
    feedError instanceof PulseError ? /psql stopped reading its input/.test(feedError.message) : STREAM_GONE.has((feedError as NodeJS.ErrnoException | undefined)?.code ?? '');
  if (feedError !== undefined && !stoppedReading) return undefined;
  if (result.signal) {
    return new PulseError('restore-failed', `psql was stopped (${result.signal}) before the restore finished, so nothing was committed`, {
      hint: 'something outside the restore ended it (kill, the out-of-memory killer); run the restore again; the target is unchanged',
    });
  }
  if (feedError === undefined) return undefined;
  return new PulseError('restore-failed', `psql ended (exit code ${result.exitCode ?? '?'}) before it had read the whole file, so nothing was committed`, {
    hint: hint`${seeDetails('what psql said')}; the target is unchanged`,
  });
}

/** What writing to a psql that is gone fails with. */
const STREAM_GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);
