/**
 * A --pg-bin-dir whose pg_dump waits for the test to open a gate, then runs
 * the real pg_dump with the same arguments (psql and pg_restore are the
 * real ones): what the tool did before pg_dump started is done, and the
 * test makes something happen in between, for certain.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findClientTools } from '../../src/core/pg/tools';

export interface GatedPgDump {
  bin: string;
  /** Exists once a pg_dump (not `pg_dump --version`) waits at the gate. */
  waiting: string;
  open(): void;
}

export async function gatedPgDump(folder: string): Promise<GatedPgDump> {
  const [tools] = await findClientTools({ env: process.env });
  const real = dirname(tools.pgDump.path);
  const bin = mkdtempSync(join(folder, 'bin-'));
  const waiting = join(bin, 'waiting');
  const opened = join(bin, 'open');
  writeFileSync(
    join(bin, 'pg_dump'),
    `#!/bin/sh\ncase "$*" in *--version*) ;; *) touch '${waiting}'; while [ ! -e '${opened}' ]; do sleep 0.02; done ;; esac\nexec '${real}/pg_dump' "$@"\n`,
    { mode: 0o755 },
  );
  for (const tool of ['psql', 'pg_restore']) symlinkSync(join(real, tool), join(bin, tool));
  return { bin, waiting, open: () => writeFileSync(opened, '') };
}
