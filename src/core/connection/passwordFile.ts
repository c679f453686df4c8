/**
 * A password kept in a file of its own (`--password-file`): what a
 * scheduled backup reads each time it runs, so that neither the crontab
 * line, the systemd unit nor the process list ever holds it. Like libpq
 * with ~/.pgpass, the file must be the owner's alone; unlike libpq, which
 * then ignores it and leaves "password authentication failed" to explain,
 * a file others can read is refused, saying why.
 */
import { readFileSync, statSync } from 'node:fs';
import { PulseError } from '../errors';
import { hint, option } from '../hint';

/** The first line of the file, without its line ending. */
export function readPasswordFile(file: string, platform: NodeJS.Platform = process.platform): string {
  let text: string;
  try {
    if (platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
      throw new PulseError('usage', `the password file ${file} can be read by other users`, {
        hint: `make it yours alone (chmod 600 ${file}) and run again`,
      });
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof PulseError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new PulseError('usage', `the password file ${file} ${reason}`, {
      hint: hint`write the password into it (one line, chmod 600), or point ${option('passwordFile')} elsewhere`,
      cause: error,
    });
  }
  const password = text.split(/\r?\n/, 1)[0] ?? '';
  if (password === '') {
    throw new PulseError('usage', `the password file ${file} is empty`, { hint: 'write the password on its first line' });
  }
  return password;
}
