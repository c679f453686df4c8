/**
 * The report's account of the set's latest proof (prove.ts): part of the
 * Verification section, with the words every front door shows.
 */
import { describeServer } from '../connection/target';
import type { SetHistory } from '../sets/history';
import { lastProof } from '../sets/history';
import type { ProofRecord } from '../prove/record';
import { PATH_TITLES, describeDifference } from '../prove/words';
import type { ReportProof, ReportProofSection, RichText } from './types';
import { shellCommand } from '../shell';

export interface ProofSectionOptions {
  /** Which front door words the advice: a command line, or the report panel's Prove Now. */
  frontDoor?: 'cli' | 'vscode';
  /** A file of the set changed after the (passed) latest proof, so it no longer speaks for the files. */
  outdated?: boolean;
}

export function buildProofSection(folder: string, setId: string, history: SetHistory, options: ProofSectionOptions = {}): ReportProofSection {
  const proveCommand = shellCommand(['pulse-backup', 'prove', setId, '--dir', folder]);
  const proof = lastProof(history);
  const advice: RichText = options.frontDoor === 'vscode' ? ['use Prove Now above (or Prove Restorable on the set in the Backups view)'] : ['run ', { code: proveCommand }];
  const latest = proof ? reportProof(proof) : null;
  if (latest && options.outdated) latest.notes = [...latest.notes, 'a file of the set changed after this proof, so it no longer speaks for the files: prove the set again'];
  return {
    latest,
    runs: (history.proofs ?? []).length,
    proveCommand,
    notProved: ['not proved yet — ', ...advice, ' to restore it into scratch databases and compare every table'],
  };
}

function reportProof(proof: ProofRecord): ReportProof {
  return {
    outcome: proof.outcome,
    outcomeText: proof.outcome === 'proved' ? 'proved restorable' : 'NOT proved',
    provedAt: proof.provedAt,
    durationMs: proof.durationMs,
    summary: proof.summary,
    server: `${proof.server.user}@${describeServer(proof.server)}`,
    ways: proof.paths.map(({ path, files: _files, ...way }) => ({ title: PATH_TITLES[path], ...way })),
    differences: proof.differences.map(describeDifference),
    notes: proof.notes,
  };
}
