/**
 * The scale-1 copy of the sample, for what a command costs on a small
 * database (its fixed cost): loaded once per run by the first section that
 * needs it, so that any section runs alone (BENCH_SECTIONS) as in a full run.
 */
import type { BenchContext } from './section';

export const SMALL_DATABASE = 'pulse_bench_small';
export const SMALL_SCALE = '1';

const loaded = new WeakMap<BenchContext, Promise<number>>();

/** Loads the small database once per run; its size in bytes (pg_database_size). */
export function smallDatabase(context: BenchContext): Promise<number> {
  let size = loaded.get(context);
  if (!size) {
    size = loadSmallDatabase(context);
    loaded.set(context, size);
  }
  return size;
}

async function loadSmallDatabase(context: BenchContext): Promise<number> {
  const { database } = context;
  context.log(`loading ${database.sample} at scale ${SMALL_SCALE} into ${SMALL_DATABASE} for the fixed cost and memory comparison…`);
  await context.server.createDatabase(SMALL_DATABASE);
  await context.server.loadSql(SMALL_DATABASE, database.sampleFile, { scale: SMALL_SCALE });
  const [small] = await context.server.query<{ bytes: string }>(SMALL_DATABASE, 'SELECT pg_database_size(current_database()) AS bytes');
  return Number(small?.bytes);
}
