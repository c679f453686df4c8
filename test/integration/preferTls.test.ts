/**
 * sslmode=prefer, libpq's default, for the engine's own session: a URL
 * pasted without sslmode (a hosted database's dashboard gives one) to a
 * server elsewhere is encrypted when the server speaks TLS, as pg_dump's and
 * psql's connections are, and still connects to one that does not. Loopback
 * stays plain text: it never leaves the machine.
 *
 * "Elsewhere" needs an address of this machine that is not loopback; where
 * there is none, the tests say so and are skipped.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { parseConnectionUrl } from '../../src/core/connection/target';
import { connectClient } from '../../src/core/connection/session';
import { runCli } from '../support/cli';
import { startServer, type TestServer } from '../support/pgServer';
import { certificatesUnavailableReason, makeCertificates, type TestCertificates } from '../support/tls';

/** An IPv4 address of this machine that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)?.address;
}

describe("sslmode=prefer (no sslmode given) for the engine's own session", function () {
  const address = outsideAddress();
  const unavailable = address === undefined ? 'this machine has no IPv4 address besides loopback' : certificatesUnavailableReason();
  let certificates: TestCertificates | undefined;
  let tlsServer: TestServer | undefined;
  let plainServer: TestServer | undefined;

  before(async function () {
    if (unavailable !== undefined) {
      this.test!.parent!.title += ` (skipped: ${unavailable})`;
      this.skip();
    }
    certificates = makeCertificates(['localhost']);
    tlsServer = await startServer({
      alsoListenOn: address,
      ssl: { certificateFile: certificates.certificateFile, keyFile: certificates.keyFile, caFile: certificates.caFile, hostName: 'localhost' },
    });
    plainServer = await startServer({ alsoListenOn: address });
  });

  after(async function () {
    await tlsServer?.stop();
    await plainServer?.stop();
    certificates?.remove();
  });

  /** A URL to the server at the outside address, without any TLS parameter. */
  function outsideUrl(server: TestServer): string {
    return `postgresql://${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}@${address!}:${server.port}/postgres`;
  }

  async function usesTls(url: string): Promise<boolean> {
    const client = await connectClient(parseConnectionUrl(url));
    try {
      return (await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_catalog.pg_backend_pid()')).rows[0].ssl;
    } finally {
      await client.end();
    }
  }

  it("is encrypted when the server speaks TLS, as pg_dump's connection is", async function () {
    assert.equal(await usesTls(outsideUrl(tlsServer!)), true);
  });

  it('falls back to plain text when the server has no TLS, as libpq does', async function () {
    assert.equal(await usesTls(outsideUrl(plainServer!)), false);
  });

  it('stays plain text over loopback', async function () {
    assert.equal(await usesTls(plainServer!.url()), false);
  });

  it('a backup of a TLS-only server given without sslmode works', async function () {
    const folder = mkdtempSync(`${os.tmpdir()}/pulse-backup-prefer-`);
    try {
      const result = await runCli(['backup', '--db', outsideUrl(tlsServer!), '--dir', folder, '--prefix', 'prefer', '--json']);
      assert.equal(result.code, 0, result.stderr);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
