/** How the CLI shows a verification: progress while files are read, then the grouped checks. */
import { commandLineWords } from '../core/commandLineWords';
import { checkLine } from '../core/verify/results';
import { TerminalPrinter } from './terminalPrinter';
import { countOf, formatBytes, formatDuration, printable } from '../core/format';
import type { VerifyProgress } from '../core/verify/verify';
import type { CheckStatus, VerificationReport } from '../core/verify/results';

const MARKS: Readonly<Record<CheckStatus, string>> = { pass: '✔', warn: '!', fail: '✘' };

/** Redraws of the live line at most this often: a terminal is slower than the disk. */
const REDRAW_EVERY_MS = 100;

/** File-by-file progress on a terminal: a live byte count, a line per finished file. */
export class VerifyProgressPrinter extends TerminalPrinter {
  private lastDrawn = 0;

  update(event: VerifyProgress): void {
    switch (event.kind) {
      case 'checking-target':
        this.line(`Checking the target at ${event.target} while the files are read`);
        break;
      case 'reading':
        this.line(`Reading ${event.files.length} ${event.files.length === 1 ? 'file' : 'files'} (${formatBytes(event.totalBytes)})`);
        break;
      case 'read-progress': {
        const now = performance.now();
        if (now - this.lastDrawn < REDRAW_EVERY_MS) break;
        this.lastDrawn = now;
        const percent = event.totalBytes > 0 ? Math.floor((event.bytesRead / event.totalBytes) * 100) : 100;
        this.live(`  ${formatBytes(event.bytesRead)} of ${formatBytes(event.totalBytes)} read (${percent}%)  ${event.name}`);
        break;
      }
      case 'file-read':
        this.line(`  read ${event.name} (${formatBytes(event.bytes)})`);
        break;
      case 'not-recorded':
        // Shown by the command whether or not there is a terminal.
        break;
    }
  }
}

export function renderVerificationReport(report: VerificationReport): string {
  const lines = [`Verification of ${report.setId}`];
  for (const group of report.groups) {
    const target = group.name === 'pre-restore' && report.target ? ` (${printable(describeReportTarget(report.target))})` : '';
    lines.push('', `${group.title}${target}`);
    for (const check of group.checks) {
      lines.push(`  ${MARKS[check.status]} ${check.title}`, `      ${printable(checkLine(check, commandLineWords))}`);
    }
  }
  lines.push('', outcomeLine(report));
  return `${lines.join('\n')}\n`;
}

function describeReportTarget(target: NonNullable<VerificationReport['target']>): string {
  const host = target.host.includes(':') && !target.host.startsWith('/') ? `[${target.host}]` : target.host;
  return `${target.user}@${host}:${target.port}/${target.database}`;
}

export function outcomeLine(report: VerificationReport): string {
  const checks = report.groups.flatMap((group) => group.checks);
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const failed = count('fail');
  const warned = count('warn');
  const passed = count('pass');
  const duration = formatDuration(report.durationMs);
  if (report.outcome === 'fail') {
    return `FAILED: ${countOf(failed, 'check')} failed${warned > 0 ? `, ${countOf(warned, 'warning')}` : ''}, ${passed} passed (${duration})`;
  }
  if (report.outcome === 'warn') return `Passed with ${countOf(warned, 'warning')}: ${passed} of ${checks.length} checks passed (${duration})`;
  return `Passed: all ${countOf(checks.length, 'check')} passed (${duration})`;
}
