/**
 * A child's output, line by line. A pipe hands text over in chunks of any
 * size, so a line can arrive in two pieces ("psql:" then "<stdin>:12:
 * ERROR: …"): the unfinished end of each chunk waits for the next one.
 */
import type { Readable } from 'node:stream';

export function onLines(stream: Readable, onLine: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const lines = (partial + text).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (partial !== '') onLine(partial);
    partial = '';
  });
}
