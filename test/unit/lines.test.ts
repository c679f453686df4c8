/**
 * A child's output read line by line, however the pipe cuts it: a line that
 * arrives in two chunks is one line (psql's "psql:<stdin>:12: ERROR: …" once
 * came apart between "psql:" and the rest, and the error lost its place).
 */
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { onLines } from '../../src/core/process/lines';

describe('output line by line', () => {
  it('joins a line cut between chunks, splits several lines in one chunk, and keeps a last line without newline', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    onLines(stream, (line) => lines.push(line));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    for (const chunk of ['psql:', '<stdin>:95893: ERROR:  role "x" does not exist\nDETA', 'IL: y\r\nCOPY 3\nCOPY 4\n', 'tail without newline']) stream.write(chunk);
    stream.end();
    await ended;
    assert.deepEqual(lines, ['psql:<stdin>:95893: ERROR:  role "x" does not exist', 'DETAIL: y', 'COPY 3', 'COPY 4', 'tail without newline']);
  });

  it('keeps multi-byte characters cut between chunks whole', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    onLines(stream, (line) => lines.push(line));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    const bytes = Buffer.from('Qualitätsprüfungen\n');
    stream.write(bytes.subarray(0, 6)); // ends inside the two bytes of "ä"
    stream.write(bytes.subarray(6));
    stream.end();
    await ended;
    assert.deepEqual(lines, ['Qualitätsprüfungen']);
  });
});
