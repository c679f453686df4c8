/**
 * The report's account of the set's latest proof (prove.ts): part of the
 * Verification section, with the words every front door shows.
 */
import { describeServer } from '../connection/connection';
import type { SetHistory } from '../sets/history';
import { lastProof } from '../sets/history';
import type { ProofRecord } from '../prove/record';
import { PATH_TITLES, describeDifference } from '../prove/words';
import type { ReportProof, ReportProofSection } from './types';
import { shellCommand } from '../shell';

export function buildProofSection(folder: string, setId: string, history: SetHistory): ReportProofSection {
  const proveCommand = shellCommand(['pulse-backup', 'prove', setId, '--dir', folder]);
  const proof = lastProof(history);
  return {
    latest: proof ? reportProof(proof) : null,
    runs: (history.proofs ?? []).length,
    proveCommand,
    notProved: ['not proved yet — run ', { code: proveCommand }, ' to restore it into scratch databases and compare every table'],
  };
}

function reportProof(proof: ProofRecord): ReportProof {
  return {
    outcome: proof.outcome,
    outcomeText: proof.outcome === 'proved' ? 'proved restorable' : 'NOT proved',
    provedAt: proof.provedAt,
    durationMs: proof.durationMs,
    summary: proof.summary,
    server: `${proof.server.user}@${describeServer({ ...proof.server, database: '', source: 'flag' })}`,
    ways: proof.paths.map(({ path, files: _files, ...way }) => ({ title: PATH_TITLES[path], ...way })),
    differences: proof.differences.map(describeDifference),
    notes: proof.notes,
  };
}
