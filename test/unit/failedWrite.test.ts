import { strict as assert } from 'node:assert';
import { commandLineWords } from '../../src/core/commandLineWords';
import { failedWrite, formatError, isLocalWriteFailure } from '../../src/core/errors';

const failure = (code: string) => Object.assign(new Error(`${code}: failed`), { code });
const line = (code: string) => formatError(failedWrite('pin s_1', '/srv/backups', failure(code), 'then pin it again; it is not pinned'), commandLineWords);

describe('a file the user asked for that could not be written', function () {
  it('names what, the folder and why, and says what to do and what did not change', function () {
    assert.equal(line('ENOSPC'), 'cannot pin s_1: the disk holding /srv/backups is full: free some space, then pin it again; it is not pinned');
    assert.equal(line('EDQUOT'), 'cannot pin s_1: the disk holding /srv/backups is over its quota: free some space, then pin it again; it is not pinned');
    assert.equal(line('EROFS'), 'cannot pin s_1: /srv/backups is on a read-only file system: mount it writable, then pin it again; it is not pinned');
    for (const code of ['EACCES', 'EPERM']) {
      assert.equal(
        line(code),
        'cannot pin s_1: permission denied in /srv/backups: run as the user who may write there, or fix its permissions, then pin it again; it is not pinned',
      );
    }
  });

  it('anything else is worded as every other error is', function () {
    assert.equal(failedWrite('pin s_1', '/srv/backups', failure('EIO'), 'then pin it again').code, 'internal');
  });

  it("tells this disk's refusals from a remote's or the network's", function () {
    for (const code of ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']) assert.equal(isLocalWriteFailure(Object.assign(failure(code), { syscall: 'write' })), true, code);
    assert.equal(isLocalWriteFailure(Object.assign(failure('ECONNRESET'), { syscall: 'read' })), false);
    // An answer that only names a code (an S3 error's name) is not a system call's.
    assert.equal(isLocalWriteFailure(failure('EACCES')), false);
  });
});
