/**
 * Remote retention: keep the newest N complete sets of each set prefix
 * (`P` of `P_TS`) under the remote's prefix, as local retention counts the
 * sets of one prefix: one database's sets never push out another's that
 * share the bucket's folder. A push's retention looks at its own set's
 * prefix only. The plan is pure (`planRemotePrune`): only complete sets of
 * backups count and only they are removed, beyond the newest N; the newest
 * complete set of a prefix always stays (N is at least 1); damaged sets
 * stay for a person to look at; a push's leftovers (objects without a
 * manifest) go once they are a day old. A set is removed manifest first,
 * so one removed halfway is never listed as good.
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

export interface RemotePruneScope {
  /** The set a push just wrote: kept whatever its place. */
  justPushed?: string;
  /** Only the sets of this set prefix are looked at (a push's: its own set's); without, each prefix keeps its newest N. */
  prefix?: string;
}

/** `sets` newest first, as listed: each prefix's newest `keep` complete backups stay, its older ones go. */
export function planRemotePrune(sets: readonly RemoteSet[], keep: number, now: Date, scope: RemotePruneScope = {}): RemotePrunePlan {
  if (!Number.isInteger(keep) || keep < 1) throw new PulseError('usage', 'remote retention keeps at least the newest set', { hint: 'give a number of at least 1' });
  const ours = scope.prefix === undefined ? sets : sets.filter((set) => set.prefix === scope.prefix);
  const complete = ours.filter((set) => set.status === 'complete' && set.purpose === 'backup');
  const kept = new Set(scope.justPushed === undefined ? [] : [scope.justPushed]);
  const counted = new Map<string, number>();
  for (const set of complete) {
    const count = counted.get(set.prefix) ?? 0;
    if (count < keep) kept.add(set.id);
    counted.set(set.prefix, count + 1);
  }
  const remove = complete.filter((set) => !kept.has(set.id));
  const leftovers = ours.filter(
    (set) => set.status === 'incomplete' && set.id !== scope.justPushed && now.getTime() - new Date(set.lastWrittenAt ?? set.createdAt).getTime() >= ABANDONED_AFTER_MS,
  );
  const gone = new Set([...remove, ...leftovers].map((set) => set.id));
  return { keep: ours.filter((set) => !gone.has(set.id)), remove, leftovers };
}

export interface RemotePruneResult {
  /** The set prefix it was limited to, when it was. */
  prefix?: string;
  removed: string[];
  removedLeftovers: string[];
  kept: string[];
  cleanedUploads: string[];
}

export interface RemotePruneOptions extends RemotePruneScope {
  keep: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export async function pruneRemoteSets(remote: Remote, options: RemotePruneOptions): Promise<RemotePruneResult> {
  const cleanedUploads = options.dryRun ? [] : await abortAbandonedUploads(remote, undefined, options.signal);
  const plan = planRemotePrune(await listRemoteSets(remote, options.signal), options.keep, new Date(), options);
  if (!options.dryRun) {
    for (const set of [...plan.remove, ...plan.leftovers]) {
      if (options.signal?.aborted) throw new PulseError('cancelled', 'remote retention cancelled', { hint: 'the sets it had not reached yet are still there' });
      await removeRemoteSet(remote, set.id, options.signal);
    }
  }
  return {
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    removed: plan.remove.map((set) => set.id),
    removedLeftovers: plan.leftovers.map((set) => set.id),
    kept: plan.keep.map((set) => set.id),
    cleanedUploads,
  };
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
