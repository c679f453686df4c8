/**
 * What the task terminal and the notifications say about a push or a pull:
 * each progress event as a line or the terminal's live line, the outcome
 * lines, and the toasts. Pure, like progressText.ts: the pseudoterminal and
 * the commands only show these strings.
 */
import { countOf, formatBytes, formatDuration } from '../core/format';
import type { PullProgress, PullResult } from '../core/offsite/pull';
import type { PushProgress, PushResult } from '../core/offsite/push';
import { describeEndpoint } from '../core/offsite/remote';
import type { ProgressText } from './progressText';

/**
 * The storage the offsite keys are for, as the input boxes, the log and the
 * notifications name it: "s3://BUCKET at ENDPOINT", the endpoint without a
 * user and password it may hold in the settings (the engine's words for it).
 */
export function offsiteStorageWords(bucket: string, endpoint: string | undefined): string {
  return `s3://${bucket}${endpoint ? ` at ${describeEndpoint(endpoint, undefined)}` : ''}`;
}

/** Where the secret access key goes: the endpoint, or AWS S3. */
export function offsiteKeysPrompt(endpoint: string | undefined, region: string | undefined, keepSecret: boolean): string {
  return `Kept in VS Code's secret storage and sent only to ${describeEndpoint(endpoint, region)} for this bucket.${keepSecret ? ' Enter with nothing typed keeps the stored secret.' : ''}`;
}

/** A file on its way: "  NAME  25%  4.0 MB of 16.0 MB", redrawn in place. */
function fileOnItsWay(name: string, done: number, bytes: number): ProgressText {
  const percent = bytes === 0 ? 100 : Math.min(100, Math.floor((done / bytes) * 100));
  return { live: `  ${name}  ${percent}%  ${formatBytes(done)} of ${formatBytes(bytes)}` };
}

/** A file that arrived whole, its SHA-256 the manifest's. */
function fileChecked(name: string, bytes: number): ProgressText {
  return { line: `  ${name.padEnd(52)} ${formatBytes(bytes).padStart(10)}  SHA-256 checked` };
}

export function pushProgressText(event: PushProgress): ProgressText {
  switch (event.kind) {
    case 'connected':
      return { line: `Connected to ${event.where}: copying to ${event.url}` };
    case 'cleaned':
      return { line: `Aborted ${countOf(event.keys.length, 'unfinished upload')} a stopped push had left` };
    case 'file-start':
      return fileOnItsWay(event.name, 0, event.bytes);
    case 'file-progress':
      return fileOnItsWay(event.name, event.sent, event.bytes);
    case 'file-done':
      return fileChecked(event.name, event.bytes);
    case 'manifest':
      return { line: `  ${event.name.padEnd(52)} written last: the copy is complete` };
  }
}

export function pullProgressText(event: PullProgress): ProgressText {
  switch (event.kind) {
    case 'connected':
      return { line: `Connected to ${event.where}: copying from ${event.url}` };
    case 'file-start':
      return fileOnItsWay(event.name, 0, event.bytes);
    case 'file-progress':
      return fileOnItsWay(event.name, event.received, event.bytes);
    case 'file-done':
      return fileChecked(event.name, event.bytes);
    case 'placing':
      return { line: 'Every file matches the remote manifest: putting the set in place, its manifest last' };
  }
}

/** The terminal's last lines after a push: what was sent (or that the same copy was there), and what the remote's retention removed. */
export function pushDoneLines(result: PushResult): string[] {
  const lines = [
    result.alreadyThere
      ? `The same copy of ${result.setId} is already at ${result.url}: nothing was sent.`
      : `Pushed ${result.setId} to ${result.url}: ${formatBytes(result.bytes)} in ${formatDuration(result.durationMs)}, every file checked against its SHA-256.`,
  ];
  const retention = result.retention;
  if (retention) {
    if (retention.removed.length > 0) lines.push(`Offsite retention removed ${countOf(retention.removed.length, 'older set')} there: ${retention.removed.join(', ')}.`);
    if (retention.removedLeftovers.length > 0)
      lines.push(`It also removed what ${countOf(retention.removedLeftovers.length, 'push')} that died had left: ${retention.removedLeftovers.join(', ')}.`);
    if (retention.removed.length === 0 && retention.removedLeftovers.length === 0) lines.push(`Offsite retention removed nothing: ${countOf(retention.kept.length, 'set')} there.`);
  }
  return lines;
}

/** The toast after Push Offsite. */
export function pushedMessage(result: PushResult): string {
  const copy = result.alreadyThere
    ? `${result.setId} was already copied to ${result.url}: nothing was sent.`
    : `Pushed ${result.setId} to ${result.url} (${formatBytes(result.bytes)}), every file checked against its SHA-256.`;
  const removed = result.retention?.removed.length ?? 0;
  return removed > 0 ? `${copy} Offsite retention removed ${countOf(removed, 'older set')} there.` : copy;
}

export function pullDoneLines(result: PullResult): string[] {
  return [
    result.alreadyHere
      ? `${result.setId} is already in ${result.folder}, the same files: nothing was downloaded.`
      : `Pulled ${result.setId} into ${result.folder}: ${formatBytes(result.bytes)} in ${formatDuration(result.durationMs)}, every file checked against the remote manifest's SHA-256.`,
  ];
}

/** The warning when a push after a backup could not be made: the backup is written and kept. */
export function pushNotMadeMessage(setId: string, reason: string): string {
  return `Backup ${setId} is written and kept here, but it was not copied offsite: ${reason}`;
}
