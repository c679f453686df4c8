import { findSet, listSets } from '../../core/listing';
import { backupsFolder, writeJson, type Command } from '../command';
import { renderSetDetails, renderSetList } from '../output';

export const listCommand: Command = {
  name: 'list',
  flags: ['dir', 'json'],
  positionals: [],
  summary: 'list the backup sets in the folder, newest first',
  async run({ flags }, context) {
    const folder = backupsFolder(flags, context);
    const sets = await listSets(folder);
    if (flags.json) writeJson(context, sets.map(({ manifest: _manifest, ...set }) => set));
    else context.stdout.write(renderSetList(sets, folder));
    return 0;
  },
};

export const showCommand: Command = {
  name: 'show',
  flags: ['dir', 'json'],
  positionals: ['SET_ID'],
  summary: "show one set: its files, tables with row counts, and the manifest's facts",
  async run({ flags, positionals }, context) {
    const set = await findSet(backupsFolder(flags, context), positionals[0]);
    if (flags.json) writeJson(context, set);
    else context.stdout.write(renderSetDetails(set));
    return 0;
  },
};
