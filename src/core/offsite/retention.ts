/**
 * Remote retention: keep the newest N complete sets under the prefix. The
 * plan is pure (`planRemotePrune`): only complete sets of backups count and
 * only they are removed, beyond the newest N; the newest complete set
 * always stays (N is at least 1); damaged sets stay for a person to look
 * at; a push's leftovers (objects without a manifest) go once they are a
 * day old. A set is removed manifest first, so one removed halfway is
 * never listed as good.
 */
import { PulseError } from '../errors';
import type { Remote } from './client';
import { listObjects, listRemoteSets, type RemoteSet } from './listing';
import { manifestKey, setKeyPrefix } from './remote';
import { ABANDONED_AFTER_MS, abortAbandonedUploads } from './uploads';

export interface RemotePrunePlan {
  keep: RemoteSet[];
  remove: RemoteSet[];
  /** Sets without a manifest, a day old or more: what pushes that died left. */
  leftovers: RemoteSet[];
}

export function planRemotePrune(sets: readonly RemoteSet[], keep: number, now: Date, justPushed?: string): RemotePrunePlan {
  if (!Number.isInteger(keep) || keep < 1) throw new PulseError('usage', 'remote retention keeps at least the newest set', { hint: 'give a number of at least 1' });
  const complete = sets.filter((set) => set.status === 'complete' && set.purpose === 'backup');
  const kept = new Set(complete.slice(0, keep).map((set) => set.id));
  if (justPushed !== undefined) kept.add(justPushed);
  const remove = complete.filter((set) => !kept.has(set.id));
  const leftovers = sets.filter(
    (set) => set.status === 'incomplete' && set.id !== justPushed && now.getTime() - new Date(set.lastWrittenAt ?? set.createdAt).getTime() >= ABANDONED_AFTER_MS,
  );
  const gone = new Set([...remove, ...leftovers].map((set) => set.id));
  return { keep: sets.filter((set) => !gone.has(set.id)), remove, leftovers };
}

export interface RemotePruneResult {
  removed: string[];
  removedLeftovers: string[];
  kept: string[];
  cleanedUploads: string[];
}

export interface RemotePruneOptions {
  keep: number;
  /** The set a push just wrote: kept whatever its place. */
  justPushed?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export async function pruneRemoteSets(remote: Remote, options: RemotePruneOptions): Promise<RemotePruneResult> {
  const cleanedUploads = options.dryRun ? [] : await abortAbandonedUploads(remote, undefined, options.signal);
  const plan = planRemotePrune(await listRemoteSets(remote, options.signal), options.keep, new Date(), options.justPushed);
  if (!options.dryRun) {
    for (const set of [...plan.remove, ...plan.leftovers]) {
      if (options.signal?.aborted) throw new PulseError('cancelled', 'remote retention cancelled', { hint: 'the sets it had not reached yet are still there' });
      await removeRemoteSet(remote, set.id, options.signal);
    }
  }
  return { removed: plan.remove.map((set) => set.id), removedLeftovers: plan.leftovers.map((set) => set.id), kept: plan.keep.map((set) => set.id), cleanedUploads };
}

/** Every object of the set, its manifest first. */
export async function removeRemoteSet(remote: Remote, setId: string, signal?: AbortSignal): Promise<void> {
  const manifest = manifestKey(remote.location, setId);
  const keys = (await listObjects(remote, setKeyPrefix(remote.location, setId), signal)).map((object) => object.key);
  for (const key of [manifest, ...keys.filter((key) => key !== manifest)]) {
    await remote.s3.send(new remote.sdk.DeleteObjectCommand({ Bucket: remote.location.bucket, Key: key }), { abortSignal: signal }).catch((error: unknown) => {
      throw remote.failure(error, key);
    });
  }
}
