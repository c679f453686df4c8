/**
 * A process that records verifications of one set, for tests that race
 * real processes writing the same history file:
 *   node --import tsx historyWriter.ts FOLDER SET_ID TAG COUNT
 * records COUNT verifications whose durationMs are TAG*1000+1… and exits.
 */
import { recordVerification } from '../../src/core/sets/history';

const [folder, setId, tag, count] = process.argv.slice(2);
void (async () => {
  for (let index = 1; index <= Number(count); index += 1) {
    await recordVerification(folder, { setId, checkedAt: new Date().toISOString(), durationMs: Number(tag) * 1000 + index, groups: [], outcome: 'pass' });
  }
})().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
