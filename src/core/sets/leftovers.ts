/**
 * What a run that died outright (kill -9, a crash, a power cut) left in a
 * backups folder, put right by the next run that holds the folder's lock —
 * a backup, a restore, a prune — so that no live run can own it:
 *
 * - a set the dead backup was putting in place: its manifest is written
 *   (hidden) before the first dump file is renamed, so it names every file
 *   with its size. When each file is there, under its final or its hidden
 *   name, at that size, the set is finished (the rest renamed into place,
 *   the manifest last); otherwise the set's files are removed. Either way no
 *   half-renamed set stays behind to look like an old script's set;
 * - every other hidden `.partial` file of a process that no longer runs
 *   (dumps of a backup or safety backup killed mid-dump, a history or pin
 *   marker half written);
 * - a set's history with nothing of the set beside it (no dump, no
 *   manifest): what a verify or a proof wrote while retention removed the
 *   set, in versions before they checked. It describes nothing here, and
 *   would mark the set that comes back under that id (a pull) with
 *   another copy's proofs and verifications.
 */
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTemporaryName, syncFolder, type TemporaryName } from '../files/atomicFile';
import { readRegularFile } from '../files/regularFile';
import { isAlive } from '../process/processInfo';
import { parseManifest, type Manifest } from './manifest';
import { DUMP_TYPES, dumpFileVariants, parseBackupFileName, setFileNames } from './naming';

export interface LeftoverReport {
  /** Sets a dead backup had written whole and was renaming into place: now in place. */
  finished: string[];
  /** Sets a dead backup was renaming into place whose files were not all there: removed. */
  removedSets: string[];
  /** Hidden temporaries of dead processes that were removed. */
  removedFiles: string[];
}

interface Leftover extends TemporaryName {
  name: string;
}

export async function finishOrRemoveLeftovers(folder: string): Promise<LeftoverReport> {
  const report: LeftoverReport = { finished: [], removedSets: [], removedFiles: [] };
  const leftovers: Leftover[] = [];
  for (const name of await readdir(folder)) {
    const parsed = parseTemporaryName(name);
    if (!parsed || parsed.pid === process.pid || isAlive(parsed.pid)) continue;
    leftovers.push({ ...parsed, name });
  }
  const handled = new Set<string>();
  for (const journal of leftovers) {
    if (parseBackupFileName(journal.finalName)?.kind !== 'manifest') continue;
    const ofThisRun = leftovers.filter((file) => file.pid === journal.pid);
    const outcome = await finishSet(folder, journal, ofThisRun);
    for (const file of ofThisRun) handled.add(file.name);
    (outcome.finished ? report.finished : report.removedSets).push(outcome.setId);
  }
  for (const file of leftovers) {
    if (handled.has(file.name)) continue;
    await unlink(join(folder, file.name)).then(
      () => report.removedFiles.push(file.name),
      () => undefined,
    );
  }
  for (const name of await orphanHistories(folder)) {
    await unlink(join(folder, name)).then(
      () => report.removedFiles.push(name),
      () => undefined,
    );
  }
  if (report.finished.length + report.removedSets.length + report.removedFiles.length > 0) await syncFolder(folder);
  return report;
}

/**
 * Finishes a set whose hidden manifest a dead backup had written, or removes
 * its files. `files` are that process's hidden files (the manifest's among them).
 */
async function finishSet(folder: string, journal: Leftover, files: readonly Leftover[]): Promise<{ setId: string; finished: boolean }> {
  const parsed = parseBackupFileName(journal.finalName)!;
  const names = setFileNames(parsed.prefix, parsed.timestamp);
  const manifest = await readJournal(join(folder, journal.name));
  const moves = manifest ? await placeFiles(folder, manifest, files) : undefined;
  if (moves) {
    for (const [from, to] of moves) await rename(join(folder, from), join(folder, to));
    await syncFolder(folder);
    // The manifest last: from then on the set is whole.
    await rename(join(folder, journal.name), join(folder, journal.finalName));
    for (const file of files) if (file !== journal && !moves.has(file.name)) await unlink(join(folder, file.name)).catch(() => undefined);
    return { setId: parsed.setId, finished: true };
  }
  // Not whole: nothing of it may look like a set. The manifest goes first.
  await unlink(join(folder, journal.name)).catch(() => undefined);
  const dumps = DUMP_TYPES.flatMap((type) => dumpFileVariants(parsed.prefix, type, parsed.timestamp));
  for (const name of [...dumps, names.history, names.pin]) await unlink(join(folder, name)).catch(() => undefined);
  for (const file of files) await unlink(join(folder, file.name)).catch(() => undefined);
  return { setId: parsed.setId, finished: false };
}

/** The dead run's hidden manifest; anything but a regular file there (a FIFO, whose plain read waited for ever) is none. */
async function readJournal(path: string): Promise<Manifest | undefined> {
  try {
    return parseManifest(await readRegularFile(path), path);
  } catch {
    return undefined;
  }
}

/**
 * For each file the manifest names: already in place, or a hidden file of
 * the dead run with exactly the recorded size (which was written whole and
 * flushed before the manifest). Returns the renames still to do, or
 * undefined when a file is missing or has another size.
 */
async function placeFiles(folder: string, manifest: Manifest, files: readonly Leftover[]): Promise<Map<string, string> | undefined> {
  const moves = new Map<string, string>();
  for (const file of manifest.files) {
    if ((await sizeOf(join(folder, file.name))) === file.bytes) continue;
    // A profile's complete file is written from the filtered stream: prefer that one.
    const candidates = files.filter((candidate) => candidate.finalName === file.name).sort((a, b) => Number(b.filtered) - Number(a.filtered));
    let found: Leftover | undefined;
    for (const candidate of candidates) {
      if ((await sizeOf(join(folder, candidate.name))) === file.bytes) {
        found = candidate;
        break;
      }
    }
    if (!found) return undefined;
    moves.set(found.name, file.name);
  }
  return moves;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/** Histories whose set has no file in the folder, hidden or not: no dump (in any form), no manifest. */
async function orphanHistories(folder: string): Promise<string[]> {
  const histories = new Map<string, string>();
  const withFiles = new Set<string>();
  for (const name of await readdir(folder)) {
    const hidden = parseTemporaryName(name);
    const parsed = parseBackupFileName(hidden?.finalName ?? name);
    if (!parsed) continue;
    if (parsed.kind === 'history') {
      if (!hidden) histories.set(parsed.setId, name);
    } else if (parsed.kind !== 'pin') {
      withFiles.add(parsed.setId);
    }
  }
  return [...histories].filter(([setId]) => !withFiles.has(setId)).map(([, name]) => name);
}
