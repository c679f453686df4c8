/** How the CLI shows a proof: each way's steps while it runs, then the outcome and every difference. */
import { TerminalPrinter } from './terminalPrinter';
import type { ProveProgress } from '../core/prove/prove';
import type { ProofRecord } from '../core/prove/record';
import { PATH_TITLES, proofOutcomeLines, readingWords } from '../core/prove/words';
import { basename } from 'node:path';

export class ProveProgressPrinter extends TerminalPrinter {
  update(event: ProveProgress): void {
    switch (event.kind) {
      case 'swept':
        if (event.dropped.length > 0)
          this.line(`Dropped ${event.dropped.length} scratch database${event.dropped.length === 1 ? '' : 's'} a killed proof left: ${event.dropped.join(', ')}`);
        break;
      case 'path-start':
        this.line(`${capitalise(PATH_TITLES[event.path])}: restoring into ${event.database}`);
        break;
      case 'platform-loaded':
        this.line(`  ${PATH_TITLES[event.path]}: the Supabase platform copied from the live database`);
        break;
      case 'loading':
        this.line(`  ${PATH_TITLES[event.path]}: psql -f ${basename(event.file)}`);
        break;
      case 'reading':
        this.line(`  ${PATH_TITLES[event.path]}: ${readingWords(event.tables, event.schema)}`);
        break;
      case 'path-done':
        this.line(`  ${PATH_TITLES[event.path]}: ${event.equal ? 'equal' : 'DIFFERS'}`);
        break;
      case 'not-recorded':
        break;
    }
  }
}

export function renderProof(record: ProofRecord): string {
  return `${proofOutcomeLines(record).join('\n')}\n`;
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
