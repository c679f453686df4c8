/** How the CLI words push, pull and the remote listing. */
import { formatBytes, formatDuration } from '../core/format';
import type { RemoteSet } from '../core/offsite/listing';
import type { PullProgress, PullResult } from '../core/offsite/pull';
import type { PushProgress, PushResult } from '../core/offsite/push';
import type { RemotePruneResult } from '../core/offsite/retention';
import { TerminalPrinter } from './terminalPrinter';

/** A line per file, the one under way rewritten in place with its bytes. */
export class TransferProgressPrinter extends TerminalPrinter {
  update(event: PushProgress | PullProgress): void {
    switch (event.kind) {
      case 'connected':
        this.line(`${event.url} at ${event.where}`);
        break;
      case 'cleaned':
        this.line(`Aborted ${event.keys.length} multipart upload${event.keys.length === 1 ? '' : 's'} a stopped push left: ${event.keys.join(', ')}`);
        break;
      case 'file-start':
        this.live(`  ${event.name}  0 / ${formatBytes(event.bytes)}`);
        break;
      case 'file-progress':
        this.live(`  ${event.name}  ${formatBytes('sent' in event ? event.sent : event.received)} / ${formatBytes(event.bytes)}`);
        break;
      case 'file-done':
        this.line(`  ${event.name.padEnd(56)} ${formatBytes(event.bytes).padStart(10)}  checked`);
        break;
      case 'manifest':
        this.line(`  ${event.name} (last: the copy counts from now)`);
        break;
      case 'placing':
        this.line('  every file matches its SHA-256: putting the set in place');
        break;
    }
  }
}

export function renderPushDone(result: PushResult): string {
  const lines = result.alreadyThere
    ? [`${result.setId} is already at ${result.url}, the same: nothing was sent`]
    : [
        `Pushed ${result.setId} to ${result.url}${result.encrypted ? ', encrypted' : ''} (${formatBytes(result.bytes)} in ${formatDuration(result.durationMs)}), every object checked against its SHA-256`,
      ];
  if (result.replacedDamaged) lines.push(`It replaces the damaged copy that was there: ${result.replacedDamaged.join('; ')}`);
  if (result.retention) lines.push(...renderRemotePrune(result.retention, false));
  return `${lines.join('\n')}\n`;
}

export function renderPullDone(result: PullResult): string {
  if (result.alreadyHere) return `${result.setId} is already in ${result.folder}, the same: nothing was downloaded\n`;
  return `Pulled ${result.setId} into ${result.folder}${result.decrypted ? ', decrypted' : ''} (${formatBytes(result.bytes)} in ${formatDuration(result.durationMs)}), every file checked against its SHA-256\n`;
}

const REMOTE_STATUS_WORDS: Record<RemoteSet['status'], string> = { complete: 'ok', incomplete: 'INCOMPLETE', damaged: 'DAMAGED' };

export function renderRemoteList(sets: readonly RemoteSet[], url: string): string {
  if (sets.length === 0) return `No backup sets at ${url}\n`;
  const header = `${'SET'.padEnd(44)} ${'PUSHED'.padEnd(19)} ${'SIZE'.padStart(9)}  STATUS`;
  const rows = sets.map((set) => {
    const pushed = set.pushedAt ?? set.lastWrittenAt;
    const status =
      REMOTE_STATUS_WORDS[set.status] +
      (set.encrypted ? ', encrypted' : '') +
      (set.purpose === 'safety' ? ' (safety)' : '') +
      (set.problems.length > 0 ? `: ${set.problems.join('; ')}` : '');
    return `${set.id.padEnd(44)} ${(pushed ? pushed.replace('T', ' ').slice(0, 19) : '-').padEnd(19)} ${formatBytes(set.totalBytes).padStart(9)}  ${status}`;
  });
  return `${[header, ...rows].join('\n')}\n`;
}

export function renderRemotePrune(result: RemotePruneResult, dryRun: boolean): string[] {
  const verb = dryRun ? 'Would remove' : 'Removed';
  const lines: string[] = [];
  if (result.removed.length > 0) lines.push(`${verb} from the remote: ${result.removed.join(', ')}`);
  if (result.removedLeftovers.length > 0) lines.push(`${verb} what pushes that died left: ${result.removedLeftovers.join(', ')}`);
  if (result.cleanedUploads.length > 0) lines.push(`Aborted ${result.cleanedUploads.length} abandoned multipart upload(s)`);
  lines.push(`Kept on the remote: ${result.kept.length} set${result.kept.length === 1 ? '' : 's'}${result.prefix !== undefined ? ` of ${result.prefix}` : ''}`);
  return lines;
}
