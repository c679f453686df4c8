import { strict as assert } from 'node:assert';
import { FULL_BELOW_BYTES, dumpEndMissingError } from '../../src/core/backup/dumpCutShort';
import { PulseError, formatError } from '../../src/core/errors';
import { commandLineWords } from '../../src/core/commandLineWords';
import type { ToolExit } from '../../src/core/process/toolProcess';

const otherwise = () => new PulseError('dump-failed', 'pg_dump stopped before the end of the dump');
const exit = (exitCode: number | undefined, outputRoom?: number): ToolExit => ({
  exitCode,
  signal: undefined,
  startError: undefined,
  timedOut: false,
  ...(outputRoom === undefined ? {} : { outputRoom }),
});

describe('a dump whose end never reached its file', function () {
  it('after a pg_dump that exited 0 with next to no room left: the disk is full, the folder named, what to do said', function () {
    for (const room of [0, 4096, FULL_BELOW_BYTES - 1]) {
      const error = dumpEndMissingError('/srv/backups', exit(0, room), otherwise);
      assert.equal(error.code, 'disk-full');
      assert.equal(
        formatError(error, commandLineWords),
        'the disk holding /srv/backups is full: pg_dump could not write the end of the dump: free some space or choose another backups folder with --dir; nothing was written and older backups are untouched',
      );
    }
  });

  it('with room left, after a pg_dump that failed, or with the room unknown (its output was a pipe): the error it would have had', function () {
    for (const ended of [exit(0, FULL_BELOW_BYTES), exit(0, 50 * FULL_BELOW_BYTES), exit(1, 0), exit(undefined, 0), exit(0)]) {
      const error = dumpEndMissingError('/srv/backups', ended, otherwise);
      assert.equal(error.code, 'dump-failed', JSON.stringify(ended));
      assert.equal(error.message, 'pg_dump stopped before the end of the dump');
    }
  });
});
