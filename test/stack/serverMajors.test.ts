/**
 * PostgreSQL 16 and 17, which this machine's client tools (15) cannot dump:
 * round-tripped with the newest client tools there are for them, PostgreSQL
 * 17's from Debian's packages, run from an image (see clientToolsFolder) and
 * handed to the engine as an ordinary --pg-bin-dir.
 */
import { strict as assert } from 'node:assert';
import { hasServerMajor, type ServerMajor } from '../support/pgServer';
import { backUpOnMajor, RESTORE_MODES, type MajorRoundTrip } from '../support/serverMajors';
import { clientToolsFolder, stackUnavailableReason } from '../support/stack';

describe('server majors newer than the tools here, with PostgreSQL 17 client tools from Debian', function () {
  this.timeout(900_000);
  let tools: { folder: string; stop: () => Promise<void> } | undefined;

  before(async function () {
    const reason = await stackUnavailableReason();
    if (reason) {
      console.log(`    skipped: these majors need client tools from a container: ${reason}`);
      this.skip();
    }
    tools = await clientToolsFolder(17, (line) => console.log(`      ${line}`));
  });

  after(async function () {
    await tools?.stop();
  });

  for (const major of [16, 17] as ServerMajor[]) {
    describe(`PostgreSQL ${major}`, function () {
      let trip: MajorRoundTrip | undefined;

      before(async function () {
        if (!hasServerMajor(major)) {
          console.log(`    skipped: no PostgreSQL ${major} server binaries (pg-server-${major} is not installed: npm run test-servers)`);
          this.skip();
        }
        trip = await backUpOnMajor(major, tools!.folder);
      });

      after(async function () {
        await trip?.stop();
      });

      it('backs up with pg_dump 17', function () {
        assert.match(trip!.manifest.server.version, new RegExp(`^${major}\\.`));
        assert.match(trip!.manifest.tools.pgDump.version, /^17\./);
      });

      for (const mode of RESTORE_MODES) {
        it(`restores ${mode}, equal to the source`, async function () {
          await trip!.restore(mode);
        });
      }
    });
  }
});
