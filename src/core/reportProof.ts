/**
 * The report's account of the set's latest proof (prove.ts): part of the
 * Verification section, with the words every front door shows.
 */
import { describeServer } from './connection';
import type { SetHistory } from './history';
import { lastProof } from './history';
import type { ProofPathResult, ProofRecord } from './proofRecord';
import { PATH_TITLES, describeDifference } from './proofWords';
import type { RichText } from './report';
import { shellCommand } from './shell';

/** One way of restoring, as the proof found it. */
export interface ReportProofWay extends Omit<ProofPathResult, 'path' | 'files'> {
  /** "the complete file", "schema then data". */
  title: string;
}

export interface ReportProof {
  outcome: ProofRecord['outcome'];
  /** "proved restorable", "NOT proved". */
  outcomeText: string;
  /** ISO 8601. */
  provedAt: string;
  durationMs: number;
  summary: string;
  /** Where the scratch databases were: "postgres@127.0.0.1:5432". */
  server: string;
  ways: ReportProofWay[];
  /** Every difference, in words. */
  differences: string[];
  notes: string[];
}

export interface ReportProofSection {
  latest: ReportProof | null;
  /** How many proofs the history holds. */
  runs: number;
  proveCommand: string;
  /** Said when the set was never proved. */
  notProved: RichText;
}

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
    server: `${proof.server.user}@${describeServer({ ...proof.server, database: '', source: 'flag' })}`,
    ways: proof.paths.map(({ path, files: _files, ...way }) => ({ title: PATH_TITLES[path], ...way })),
    differences: proof.differences.map(describeDifference),
    notes: proof.notes,
  };
}
