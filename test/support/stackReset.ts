/** `supabase db reset --local` on a test stack's container, for the stand-in supabase command (see stack.ts). */
import { resetStackDatabase } from './stack';

const [container, socketFolder] = process.argv.slice(2);
if (!container || !socketFolder) {
  process.stderr.write('usage: stackReset.ts CONTAINER SOCKET_FOLDER\n');
  process.exit(2);
}
resetStackDatabase(container, socketFolder).then(
  () => process.stdout.write('Applying migration factory_pulse.sql...\n'),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
