/**
 * A process that takes a backups folder's lock when told to, for tests that
 * race real processes for it. Commands on stdin, one a line:
 *   go FOLDER   try to take FOLDER's lock now; answers "won" or "lost <message>"
 *   release     give the lock back; answers "released"
 * It answers "ready" once loaded, and ends when stdin closes.
 */
import { commandLineWords } from '../../src/core/commandLineWords';
import { createInterface } from 'node:readline';
import { acquireFolderLock, type FolderLock } from '../../src/core/files/folderLock';
import { formatError } from '../../src/core/errors';

let held: FolderLock | undefined;
const say = (line: string) => process.stdout.write(`${line}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, ...rest] = line.split(' ');
  void (async () => {
    if (command === 'go') {
      try {
        held = await acquireFolderLock(rest.join(' '), 'backup');
        say('won');
      } catch (error) {
        say(`lost ${formatError(error, commandLineWords)}`);
      }
    } else if (command === 'release') {
      await held?.release();
      held = undefined;
      say('released');
    }
  })();
});
say('ready');
