/**
 * What changed in a database since a set was made — what restoring the set
 * would undo: for every table whose rows the set holds, rows added, removed
 * and changed since (by digest first; then, for the tables that differ, row
 * by row, exact where the rows fit in memory); tables and other objects
 * added, dropped or changed, from the schema; sequences that moved; and
 * large objects added, removed or written to.
 *
 * Read-only, one snapshot: one read-only session exports its snapshot, in
 * which it reads the catalog; psql reads the rows back and pg_dump the
 * schema, both in that snapshot. Nothing is written anywhere but stdout.
 */
import { describeTarget, type ConnectionTarget } from '../connection/target';
import { PulseError, toPulseError } from '../errors';
import { findSet, unlessRemoved } from '../sets/listing';
import { qualifiedName } from '../format';
import { clientToolsFor } from '../pg/run';
import { parseServerVersionNum } from '../pg/tools';
import { compareSchemaEntries, compareSequences, compareTables, readableTables } from './compare';
import { supabaseEntryFilter } from '../backup/profile';
import { openReadSession, readFacts, readLargeObjectDigest } from './readSession';
import { LargeObjectDigest, readLargeObjectGrants } from '../backup/largeObjectDigest';
import type pg from 'pg';
import { readSchema, readTables, type ReadbackSession } from './readback';
import { changedRows, digestsFromCompleteFile, outputSettingsOf, schemaEntriesOf, setFile } from './setContent';
import { filesOf } from './plan';
import type { ContainerTools } from '../supabase/docker';
import { DEFAULT_LOCK_TIMEOUT_SECONDS } from '../pg/lockWaits';
import { isRecoveryConflict, recoveryConflictError } from '../pg/recoveryConflict';
import { diffSummary, tableDiffDetail } from './diffWords';
import { tableChangeDetail, tableKey } from './tableChanges';
import type { DiffResult, TableDiff } from './diffResult';
import { largeObjectsInSet, schemaSelection, setLeavesOutLargeObjects, type ManifestDigests } from '../sets/manifest';
import type { SetKeys } from '../codecs/codecs';
import { unlockSetFiles } from '../codecs/setFileReader';
import { join } from 'node:path';

export interface DiffOptions {
  folder: string;
  setId: string;
  target: ConnectionTarget;
  env: NodeJS.ProcessEnv;
  pgBinDir?: string;
  container?: ContainerTools;
  /** How long to wait for a table another session holds (default 60 s, as a backup). */
  lockTimeoutSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (event: DiffProgress) => void;
  /** What decrypts an encrypted set (proved on its files' headers first). */
  keys?: SetKeys;
}

export type DiffProgress = { kind: 'connected'; target: string } | { kind: 'reading'; tables: number } | { kind: 'counting'; tables: number };

/** Changed tables counted row by row, at the most (the rest get their digests' verdict and counts). */
const MAX_TABLES_COUNTED = 20;

export async function diffSet(options: DiffOptions): Promise<DiffResult> {
  const startedAt = new Date();
  const started = performance.now();
  const set = await findSet(options.folder, options.setId);
  if (set.status === 'running') throw new PulseError('backup-locked', `${set.id} is still being written`, { hint: 'wait for the backup to finish' });
  const digestsFrom: DiffResult['digestsFrom'] = set.manifest?.digests ? 'manifest' : 'complete file';
  const profile = set.manifest?.profile?.name ?? 'plain';
  const keys = options.keys ?? {};
  await unlockSetFiles(
    set.files.map((file) => join(options.folder, file.name)),
    keys,
    { recorded: set.manifest?.files },
  ).catch(async (error: unknown) => {
    throw await unlessRemoved(options.folder, set, 'diff', error);
  });
  const session = await openReadSession(options.target, { lockTimeoutSeconds: options.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS, signal: options.signal });
  try {
    options.onProgress?.({ kind: 'connected', target: describeTarget(options.target) });
    const version = await session.client.query<{ version: string }>("SELECT pg_catalog.current_setting('server_version_num') AS version");
    const tools = await clientToolsFor(parseServerVersionNum(version.rows[0].version), {
      env: options.env,
      pgBinDir: options.pgBinDir,
      container: options.container,
      signal: options.signal,
    });
    const digests = set.manifest?.digests ?? (await digestsFromCompleteFile(set, options.folder, await outputSettingsOf(session.client), options.signal, keys));
    const facts = await readFacts(session.client, { tables: digests.tables, sequences: digests.sequences, platform: profile === 'supabase' });
    const reader: ReadbackSession = {
      target: options.target,
      tools,
      env: options.env,
      snapshotId: session.snapshotId,
      snapshotLost: () => session.lostReason(),
      lockTimeoutSeconds: options.lockTimeoutSeconds ?? DEFAULT_LOCK_TIMEOUT_SECONDS,
      schemaSelection: schemaSelection(set.manifest),
      signal: options.signal,
    };
    const readable = readableTables(digests, facts);
    options.onProgress?.({ kind: 'reading', tables: readable.read.length });
    const keep = facts.platform ? supabaseEntryFilter(facts.platform).keep : undefined;
    const tablesNow = new Map<string, string>();
    const [schema, rows] = await Promise.all([readSchema(reader, keep, tablesNow), readTables(reader, readable.read, digests.settings)]);
    const comparisons = compareTables(
      digests,
      rows.map((table) => ({ schema: table.schema, name: table.name, rows: table.digest.count, bytes: table.digest.bytes, digest: table.digest.digest })),
      readable.unreadable,
    );
    const changed = comparisons.filter((comparison) => comparison.state === 'different').map((comparison) => comparison.table);
    options.onProgress?.({ kind: 'counting', tables: Math.min(changed.length, MAX_TABLES_COUNTED) });
    const counted = await changedRows(filesOf(set, options.folder, ['data', 'complete']), reader, digests.settings, changed.slice(0, MAX_TABLES_COUNTED), facts, keys);
    const tablesInSet = new Map<string, string>();
    const setSchema =
      schema.digest === digests.schema.digest ? undefined : await schemaEntriesOf(setFile(set, options.folder, ['schema', 'complete']), options.signal, keys, tablesInSet);
    const objects = (setSchema ? compareSchemaEntries(setSchema.entries, schema.entries) : []).map((change) => {
      if (change.type !== 'TABLE' || change.change !== 'changed') return change;
      const [inSet, now] = [tablesInSet, tablesNow].map((texts) => texts.get(tableKey(change.schema, change.name)));
      const detail = inSet !== undefined && now !== undefined ? tableChangeDetail(inSet, now) : undefined;
      return detail === undefined ? change : { ...change, detail };
    });
    const tables = comparisons.map((comparison): TableDiff => {
      const base = { schema: comparison.table.schema, name: comparison.table.name, rowsInSet: comparison.table.rows };
      switch (comparison.state) {
        case 'same':
          return { ...base, state: 'same', rowsNow: comparison.now.rows, detail: 'unchanged' };
        case 'different': {
          const changes = counted.get(qualifiedName(base.schema, base.name));
          const detail = `${tableDiffDetail(base.rowsInSet, comparison.now.rows, changes?.changes)}${changes?.note ? ` (${changes.note})` : ''}`;
          return { ...base, state: 'changed', rowsNow: comparison.now.rows, ...(changes ? { rows: changes.changes } : {}), detail };
        }
        case 'missing':
          return { ...base, state: 'dropped', rowsNow: null, detail: 'dropped since the set was made' };
        case 'columns-differ':
          return {
            ...base,
            state: 'columns-changed',
            rowsNow: null,
            detail: `its column${comparison.missingColumns.length === 1 ? '' : 's'} ${comparison.missingColumns.join(', ')} ${comparison.missingColumns.length === 1 ? 'is' : 'are'} gone, so its rows cannot be compared`,
          };
      }
    });
    const sequences = compareSequences(digests, facts);
    // pg_dump leaves large objects out of a dump limited to some schemas (--schema): the set holds none, and says nothing of the database's.
    const largeObjects =
      set.manifest && setLeavesOutLargeObjects(set.manifest)
        ? { inSet: 0, now: facts.largeObjects, contentsSame: true, same: true }
        : await compareLargeObjects(
            session.client,
            facts.largeObjects,
            // A set made before large objects were digested: its complete file has them (none to read where the manifest counted none).
            digests.largeObjects ??
              (set.manifest && largeObjectsInSet(set.manifest) === 0
                ? EMPTY_LARGE_OBJECTS
                : (await digestsFromCompleteFile(set, options.folder, await outputSettingsOf(session.client), options.signal, keys)).largeObjects!),
          );
    const result: DiffResult = {
      setId: set.id,
      comparedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
      target: { host: options.target.host, port: options.target.port, database: options.target.database, user: options.target.user },
      profile,
      digestsFrom,
      tables,
      objects,
      sequences,
      largeObjects,
      same: tables.every((table) => table.state === 'same') && objects.length === 0 && sequences.length === 0 && largeObjects.same,
      summary: '',
    };
    result.summary = diffSummary(result);
    return result;
  } catch (error) {
    if (options.signal?.aborted) throw new PulseError('cancelled', 'diff cancelled', { hint: 'nothing was changed' });
    // A standby that ended the session for replay: said as that, not as a connection that broke.
    const lost = session.lostReason();
    if (isRecoveryConflict(lost) && !(error instanceof PulseError && error.code === 'dump-failed')) {
      throw recoveryConflictError('dump-failed', `the read of ${options.target.database}`, 'nothing was changed', lost ?? '');
    }
    throw toPulseError(error);
  } finally {
    await session.close();
  }
}

const EMPTY_LARGE_OBJECTS = new LargeObjectDigest().record();

/**
 * The database's large objects against the set's: their contents are read
 * (in the diff's snapshot) only where the counts agree; their grants and
 * comments where the set recorded them.
 */
async function compareLargeObjects(client: pg.Client, now: number, inSet: NonNullable<ManifestDigests['largeObjects']>): Promise<DiffResult['largeObjects']> {
  const grants = inSet.grants && (await readLargeObjectGrants(client));
  const grantsCompared =
    inSet.grants && grants ? { grants: { inSet: inSet.grants.count, now: grants.count, same: grants.count === inSet.grants.count && grants.digest === inSet.grants.digest } } : {};
  const grantsSame = grantsCompared.grants?.same ?? true;
  if (now !== inSet.count) return { inSet: inSet.count, now, contentsSame: false, ...grantsCompared, same: false };
  if (now === 0) return { inSet: 0, now, contentsSame: true, ...grantsCompared, same: grantsSame };
  const read = await readLargeObjectDigest(client);
  const contentsSame = read.count === inSet.count && read.digest === inSet.digest;
  return { inSet: inSet.count, now: read.count, contentsSame, ...grantsCompared, same: contentsSame && grantsSame };
}
