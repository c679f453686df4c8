/**
 * What a proof does, decided before anything runs: which ways of restoring
 * it proves (the complete file; the schema file, then the data file), into
 * which scratch database each goes, and the psql command line that loads
 * each file — exactly the command a person restoring by hand runs
 * (docs/backups-folder.md, "Restoring by hand with plain psql"). Pure, so it is tested on
 * plain data.
 */
import { join } from 'node:path';
import type { ListedSet } from '../sets/listing';
import { codecsOfFileName } from '../sets/naming';
import { largeObjectsInSet, type BackupFileType, type Manifest, type ManifestDigests } from '../sets/manifest';
import { PROOF_PATHS, type ProofPathName } from './record';
import { PulseError } from '../errors';

/**
 * Sets whose complete file is at most this big are proved right after their
 * backup unless a person says otherwise (the extension's setting): on the
 * project's 2-core test machine a proof of both ways takes a fixed 0.7 s and
 * then about 20 MB of complete file a second (npm run bench: 3.1 s for the
 * 53 MB set of the 112 MB sample), so up to 64 MB a proof takes seconds, not
 * minutes. The CLI proves when asked (`backup --prove`).
 */
export const PROVE_AUTOMATICALLY_UP_TO_BYTES = 64 * 1024 * 1024;

/** Whether a set is small enough to prove right after its backup without being asked. */
export function provesAutomatically(manifest: Pick<Manifest, 'files'>): boolean {
  const complete = manifest.files.find((file) => file.type === 'complete');
  return complete !== undefined && complete.bytes <= PROVE_AUTOMATICALLY_UP_TO_BYTES;
}

export interface ProofLoad {
  type: BackupFileType;
  /** Absolute path of the set's file. */
  file: string;
  bytes: number;
  /** Recorded in the manifest; null for a set without one. */
  sha256: string | null;
  /** psql's arguments (no connection: that is in its environment). */
  args: string[];
  /** psql reads the file from its standard input (tools inside a container cannot open this machine's files). */
  viaStdin: boolean;
  /** The set creates schema public, which the scratch database has: its CREATE SCHEMA becomes IF NOT EXISTS on the way to psql, as in a restore. */
  existingPublic?: boolean;
}

export interface ProofPathPlan {
  path: ProofPathName;
  loads: ProofLoad[];
}

export interface ProofPlan {
  setId: string;
  paths: ProofPathPlan[];
  /** The set's tables whose rows are read back, with the columns its COPY named. */
  tables: { schema: string; name: string; columns: string[] }[];
}

/**
 * `psql -X -v ON_ERROR_STOP=1 [--single-transaction] -f FILE`: one
 * transaction when the set has no large objects (pg_dump's own BEGIN and
 * COMMIT around large-object data would end it halfway), and stopping at the
 * first error either way.
 */
export function psqlLoadArgs(file: string, options: { singleTransaction: boolean; viaStdin: boolean }): string[] {
  return [
    '--no-psqlrc',
    '--no-password',
    '--quiet',
    '--set',
    'ON_ERROR_STOP=1',
    ...(options.singleTransaction ? ['--single-transaction'] : []),
    '--file',
    options.viaStdin ? '-' : file,
  ];
}

const FILES_OF: Record<ProofPathName, readonly BackupFileType[]> = {
  complete: ['complete'],
  'schema-then-data': ['schema', 'data'],
};

export function planProof(
  set: ListedSet,
  folder: string,
  digests: ManifestDigests,
  options: { viaStdin: boolean; paths?: readonly ProofPathName[]; existingPublic?: boolean },
): ProofPlan {
  // An encrypted file reaches psql decrypted, on its standard input; so does one whose CREATE SCHEMA public is rewritten.
  const viaStdin = (name: string) => options.viaStdin || options.existingPublic === true || codecsOfFileName(name).length > 0;
  const largeObjects = set.manifest ? largeObjectsInSet(set.manifest) > 0 : true;
  const paths = (options.paths ?? PROOF_PATHS).map((path): ProofPathPlan => ({
    path,
    loads: FILES_OF[path].map((type): ProofLoad => {
      const listed = set.files.find((file) => file.type === type);
      if (!listed) {
        throw new PulseError('restore-refused', `${set.id} has no ${type} file, so it cannot be proved`, { hint: 'prove another set' });
      }
      const file = join(folder, listed.name);
      return {
        type,
        file,
        bytes: listed.bytes,
        sha256: set.manifest?.files.find((recorded) => recorded.type === type)?.sha256 ?? null,
        args: psqlLoadArgs(file, { singleTransaction: !largeObjects, viaStdin: viaStdin(listed.name) }),
        viaStdin: viaStdin(listed.name),
        ...(options.existingPublic ? { existingPublic: true } : {}),
      };
    }),
  }));
  return {
    setId: set.id,
    paths,
    tables: digests.tables.map((table) => ({ schema: table.schema, name: table.name, columns: table.columns })),
  };
}

/** The file whose schema entries a path's restore came from, and the other one that holds the same entries. */
export function schemaFilesOf(path: ProofPathPlan, set: ListedSet, folder: string): string[] {
  return filesOf(set, folder, path.path === 'complete' ? ['complete', 'schema'] : ['schema', 'complete']);
}

/** The file a path's rows came from, and the other one that holds the same rows. */
export function rowFilesOf(path: ProofPathPlan, set: ListedSet, folder: string): string[] {
  return filesOf(set, folder, path.path === 'complete' ? ['complete', 'data'] : ['data', 'complete']);
}

/** The set's files of these types, in this order, those it has. */
export function filesOf(set: ListedSet, folder: string, types: readonly BackupFileType[]): string[] {
  return types.flatMap((type) => {
    const listed = set.files.find((file) => file.type === type);
    return listed ? [join(folder, listed.name)] : [];
  });
}
