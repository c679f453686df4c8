import { existsSync } from 'node:fs';
import { latestProofs } from '../../core/sets/history';
import { findSet, listSets } from '../../core/sets/listing';
import { proofSummaryOf } from '../../core/prove/words';
import { backupsFolder, writeJson, type Command, namedSetId } from '../command';
import { renderSetDetails, renderSetList } from '../output';
import { listRemote, REMOTE_FLAGS } from './offsite';

export const listCommand: Command = {
  name: 'list',
  flags: ['dir', 'remote', ...REMOTE_FLAGS, 'json'],
  positionals: [],
  summary: 'list the backup sets in the folder, newest first; with --remote, the sets at s3://BUCKET/PREFIX and whether each is complete there',
  async run({ flags }, context) {
    if (flags.remote !== undefined) return listRemote(flags.remote, flags, context);
    const folder = backupsFolder(flags, context);
    const sets = await listSets(folder);
    const proofs = await latestProofs(folder, sets);
    if (flags.json)
      writeJson(
        context,
        sets.map(({ manifest, ...set }) => ({
          ...set,
          ...(manifest?.takenBefore !== undefined ? { takenBefore: manifest.takenBefore } : {}),
          proof: proofSummaryOf(proofs.get(set.id)),
        })),
      );
    else context.stdout.write(renderSetList(sets, folder, proofs, sets.length > 0 || existsSync(folder)));
    return 0;
  },
};

export const showCommand: Command = {
  name: 'show',
  flags: ['dir', 'json'],
  positionals: ['SET_ID'],
  summary: "show one set: its files, tables with row counts, and the manifest's facts",
  async run({ flags, positionals }, context) {
    const folder = backupsFolder(flags, context);
    const set = await findSet(folder, await namedSetId(positionals[0], folder));
    const proof = (await latestProofs(folder, [set])).get(set.id);
    if (flags.json) writeJson(context, { ...set, proof: proofSummaryOf(proof) });
    else context.stdout.write(renderSetDetails(set, proof));
    return 0;
  },
};
