/**
 * The CLI's standard output and error as its commands see them: whatever they
 * write (a table's name, pg_dump's warning, a file name, psql's error) reaches
 * the terminal with its control characters shown as escapes (printable.ts),
 * line breaks and tabs kept. Only what draws on the terminal on purpose (the
 * live progress line) writes to the stream underneath, through rawStream.
 */
import { printableLines } from '../core/format';

const RAW = Symbol('the stream underneath');

export function printableStream<S extends NodeJS.WritableStream>(stream: S): S {
  return new Proxy(stream, {
    get(target, property) {
      if (property === RAW) return target;
      if (property === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => (target.write as (...args: unknown[]) => boolean)(typeof chunk === 'string' ? printableLines(chunk) : chunk, ...rest);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The stream a printableStream writes to (or the stream itself): for control sequences the CLI writes on purpose. */
export function rawStream<S extends NodeJS.WritableStream>(stream: S): S {
  return (stream as unknown as Record<symbol, S | undefined>)[RAW] ?? stream;
}
