/**
 * The report's Verification section: the latest post-backup and pre-restore
 * checks from the set's history, the latest proof, and how to run them.
 */
import { checkLine } from '../verify/results';
import { commandLineWords } from '../commandLineWords';
import type { ActionWords } from '../hint';
import { lastVerification, type SetHistory } from '../sets/history';
import type { ListedSet } from '../sets/listing';
import { shellCommand } from '../shell';
import { outcomeOf, type CheckGroupName, type VerificationReport } from '../verify/results';
import { buildProofSection } from './proof';
import { serverAddress } from './text';
import { CHECK_STATUS_TEXT, type ReportVerification, type ReportVerificationRun, type RichText } from './types';

export function buildVerification(
  folder: string,
  set: ListedSet,
  history: SetHistory,
  frontDoor: 'cli' | 'vscode',
  proofOutdated: boolean,
  words: ActionWords = commandLineWords,
): ReportVerification {
  const verifyCommand = shellCommand(['pulse-backup', 'verify', set.id, '--dir', folder]);
  const verifyAdvice: RichText = frontDoor === 'vscode' ? ['use Verify Now above (or Verify on the set in the Backups view)'] : ['run ', { code: verifyCommand }];
  return {
    postBackup: verificationRun(lastVerification(history, 'post-backup'), 'post-backup', words),
    preRestore: verificationRun(lastVerification(history, 'pre-restore'), 'pre-restore', words),
    verifyCommand,
    notVerified: ['not verified yet — ', ...verifyAdvice],
    verifyAdvice,
    runs: history.verifications.length,
    proof: buildProofSection(folder, set.id, history, { frontDoor, outdated: proofOutdated }),
  };
}

/** One group's checks from a verification report: the piece a webview or a renderer shows as a check list. */
export function verificationRun(report: VerificationReport | undefined, group: CheckGroupName, words: ActionWords = commandLineWords): ReportVerificationRun | null {
  const checkGroup = report?.groups.find((candidate) => candidate.name === group);
  if (!report || !checkGroup) return null;
  // The group's own outcome: a failed pre-restore check says nothing about the files.
  const outcome = outcomeOf(checkGroup.checks);
  return {
    group,
    title: checkGroup.title,
    checkedAt: report.checkedAt,
    durationMs: report.durationMs,
    outcome,
    outcomeText: CHECK_STATUS_TEXT[outcome],
    // Post-backup checks read only the files, whatever database the same run also checked.
    target: group === 'pre-restore' && report.target ? `${report.target.user}@${serverAddress(report.target.host, report.target.port)}/${report.target.database}` : null,
    checks: checkGroup.checks.map(({ hint: _advice, ...check }) => ({
      ...check,
      detail: checkLine({ ...check, ...(_advice ? { hint: _advice } : {}) }, words),
      statusText: CHECK_STATUS_TEXT[check.status],
    })),
  };
}
