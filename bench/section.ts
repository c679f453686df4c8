/**
 * What every benchmark section gets and gives back. A section measures one
 * pulse-backup command against the plain tool it competes with (backup ÷
 * pg_dump, restore ÷ psql, verify ÷ sha256sum) on the database the run has
 * loaded, and returns lines for the final table plus its raw numbers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ToolInfo, ToolSet } from '../src/core/pg/tools';
import type { TestServer } from '../test/support/pgServer';
import type { PeakRssMethod } from './peakRss';

export interface BenchDatabase {
  name: string;
  /** The sample it was loaded from, e.g. "factory_pulse". */
  sample: string;
  sampleFile: string;
  scale: string;
  sizeBytes: number;
}

export interface BenchContext {
  server: TestServer;
  database: BenchDatabase;
  /** The client tools the CLI chooses for this server, found the way it finds them. */
  tools: ToolSet;
  rounds: number;
  /** Fewer for the restore section, whose rounds each restore the whole database twice. */
  restoreRounds: number;
  peakRssMethod: PeakRssMethod;
  /** Removed when the run ends, whatever happens; sections make their folders inside it. */
  workFolder: string;
  /** Environment for pg_dump or psql to reach `database`: the same one the CLI gives them, target only in PG* variables. */
  toolEnv(database: string): NodeJS.ProcessEnv;
  /** How to point the CLI at `database`: a URL without the password for argv, the password in the environment. */
  cliConnection(database: string): { url: string; env: NodeJS.ProcessEnv };
  /** A property, not a method: sections pass it on to loggers of their own. */
  readonly log: (line: string) => void;
}

export interface Goal {
  /** As the table shows it: "≤ 1.3", "< 150 MB". */
  text: string;
  /** Undefined when the figure could not be measured here. */
  met: boolean | undefined;
}

export interface ReportLine {
  label: string;
  value: string;
  goal?: Goal;
}

export interface SectionResult {
  title: string;
  lines: ReportLine[];
  /** Shown under the lines: what a reader should know before trusting them. */
  notes: string[];
  /** Raw numbers for bench/results/latest.json. */
  data: Record<string, unknown>;
}

export interface BenchSection {
  name: string;
  run(context: BenchContext): Promise<SectionResult>;
}

/** The psql the CLI would choose, for the sections that load the complete file with it by hand. */
export function psqlOf(context: BenchContext, doing: string): ToolInfo {
  if (!context.tools.psql) throw new Error(`there is no psql beside ${context.tools.pgDump.path}, so the CLI could not ${doing} either`);
  return context.tools.psql;
}

/** A new empty folder under the run's work folder, for one run of one command. */
export function freshFolder(context: BenchContext, label: string): Promise<string> {
  return mkdtemp(join(context.workFolder, `${label}-`));
}

export async function removeFolder(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true });
}
