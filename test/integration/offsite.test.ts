/**
 * Offsite copies against a real S3-protocol server (s3rver, started by the
 * tests) through the real AWS SDK and the built CLI: a set pushed, listed
 * and pulled back restores equal to its source; a damaged remote object, a
 * local file changed since the backup, a push or a pull killed midway and the
 * storage's refusals each end as the docs say, leaving nothing that passes
 * for a good copy; remote retention keeps the newest complete set.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';
import type { RemoteSet } from '../../src/core/offsite/listing';
import type { RemoteManifest } from '../../src/core/offsite/remoteManifest';
import type { PushResult } from '../../src/core/offsite/push';
import type { RemotePruneResult } from '../../src/core/offsite/retention';
import type { Manifest } from '../../src/core/sets/manifest';
import { fileNameFor } from '../../src/core/sets/naming';
import { readHistory } from '../../src/core/sets/history';
import { ageMissing, runAge } from '../support/ageCli';
import { assertOneLineError, runCli, startCli, type CliResult } from '../support/cli';
import { assertSameContent } from '../support/fingerprint';
import { backupSet, listSets, restoreSet, useServer, useTempFolders } from '../support/integration';
import { closedPort, silentServer, type SilentServer } from '../support/ports';
import { cuttingProxy } from '../support/cuttingProxy';
import { certificatesUnavailableReason, makeCertificates } from '../support/tls';
import { startS3Server, type S3TestServer } from '../support/s3Server';
import { waitFor } from '../support/wait';
import { loadSample, sampleCases } from '../samples';

/** Every file of a folder with its SHA-256: what "as it was" means. */
function folderSnapshot(folder: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((name) => [name, sha256(join(folder, name))]),
  );
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('offsite copies in S3-compatible storage', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-offsite-');
  let s3: S3TestServer;
  let folder: string;
  let manifest: Manifest;
  const source = 'offsite_source';

  const offsite = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => runCli(args, { env: s3.env(env) });
  /** backup --offsite … --keep 1 --json of a prefix to a storage: the manifest on stdout, the push's lines on stderr. */
  const backupOffsite = (local: string, prefix: string, storage: S3TestServer, remotePrefix: string): Promise<CliResult> =>
    runCli(['backup', '--db', server.url(source), '--dir', local, '--prefix', prefix, '--offsite', storage.url(remotePrefix), ...storage.flags(), '--keep', '1', '--json'], {
      env: storage.env(),
    });
  const remoteSets = async (prefix: string): Promise<RemoteSet[]> => {
    const listed = await offsite(['list', '--remote', s3.url(prefix), ...s3.flags(), '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout) as RemoteSet[];
  };

  before(async function () {
    s3 = await startS3Server();
    await server.createDatabase(source);
    await loadSample(
      server,
      source,
      sampleCases().find((sample) => sample.name === 'factory')!,
    );
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'factory');
  });

  after(async function () {
    await s3?.stop();
  });

  it('push, list --remote and pull: the pulled set is the pushed one, and restores equal to the source', async function () {
    const pushed = await offsite(['push', manifest.id, '--dir', folder, '--to', s3.url('round-trip'), ...s3.flags(), '--json']);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal((JSON.parse(pushed.stdout) as PushResult).alreadyThere, false);
    assert.deepEqual(
      await s3.keys('round-trip/'),
      [...manifest.files.map((file) => file.name), `${manifest.id}.manifest.json`].map((name) => `round-trip/${manifest.id}/${name}`).sort(),
    );
    for (const file of manifest.files)
      assert.equal(
        createHash('sha256')
          .update(await s3.getObject(`round-trip/${manifest.id}/${file.name}`))
          .digest('hex'),
        file.sha256,
      );

    const [listed, ...others] = await remoteSets('round-trip');
    assert.deepEqual(others, []);
    assert.equal(listed.id, manifest.id);
    assert.equal(listed.status, 'complete');
    assert.equal(
      listed.totalBytes,
      manifest.files.reduce((sum, file) => sum + file.bytes, 0),
    );

    // A folder that is not there yet is made as backup makes one: only its owner may enter it.
    const target = join(newFolder(), 'pulled', 'sets');
    const pulled = await offsite(['pull', manifest.id, '--dir', target, '--from', s3.url('round-trip'), ...s3.flags()]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal((statSync(target).mode & 0o777).toString(8), '700');
    assert.match(pulled.stdout, /^Pulled factory_\d{8}_\d{6} into .+ \(.+\), every file checked against its SHA-256$/);
    for (const file of manifest.files) assert.equal(sha256(join(target, file.name)), file.sha256, file.name);
    assert.deepEqual(JSON.parse(readFileSync(join(target, `${manifest.id}.manifest.json`), 'utf8')), manifest);
    // The set's files, and its history noting where the copy came from (the source's history holds the push).
    const setFiles = (names: string[]) => names.filter((name) => !name.endsWith('.history.json') && !name.startsWith('.')).sort();
    assert.deepEqual(setFiles(readdirSync(target)), setFiles(readdirSync(folder)));
    assert.deepEqual(
      (await readHistory(target, manifest.id)).offsite?.map((copy) => [copy.how, copy.url]),
      [['pulled', `${s3.url('round-trip')}/${manifest.id}`]],
    );
    assert.equal((await readHistory(folder, manifest.id)).offsite?.[0]?.how, 'pushed');
    assert.equal((await listSets(target))[0].status, 'complete');

    await server.createDatabase('offsite_restored');
    const restored = await restoreSet(server, manifest.id, target, 'offsite_restored', 'complete', ['--no-safety-backup']);
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(source), server.url('offsite_restored'));
  });

  it('pushing or pulling the same set again sends nothing, and a different set under the same id is never overwritten', async function () {
    const again = await offsite(['push', manifest.id, '--dir', folder, '--to', s3.url('round-trip'), ...s3.flags()]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /is already at s3:\/\/pulse-offsite\/round-trip\/factory_\d{8}_\d{6}, the same: nothing was sent/);
    const target = newFolder();
    for (const name of [...manifest.files.map((file) => file.name), `${manifest.id}.manifest.json`]) copyFileSync(join(folder, name), join(target, name));
    const same = await offsite(['pull', manifest.id, '--dir', target, '--from', s3.url('round-trip'), ...s3.flags()]);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /is already in .*, the same: nothing was downloaded/);

    // The local set changed (its data file and manifest rewritten): a pull must not replace it.
    const data = manifest.files.find((file) => file.type === 'data')!;
    writeFileSync(join(target, data.name), `${readFileSync(join(target, data.name), 'utf8')}-- a local edit\n`);
    const edited = {
      ...manifest,
      files: manifest.files.map((file) => (file === data ? { ...file, bytes: statSync(join(target, data.name)).size, sha256: sha256(join(target, data.name)) } : file)),
    };
    writeFileSync(join(target, `${manifest.id}.manifest.json`), JSON.stringify(edited, null, 2));
    const refused = await offsite(['pull', manifest.id, '--dir', target, '--from', s3.url('round-trip'), ...s3.flags()]);
    assertOneLineError(refused);
    assert.match(refused.stderr, /already holds a different set named factory_\d{8}_\d{6}: it stays as it is; pull into another folder with --dir/);
    assert.match(readFileSync(join(target, data.name), 'utf8'), /-- a local edit\n$/);

    // And the edited set cannot replace the copy on the remote either.
    const conflict = await offsite(['push', manifest.id, '--dir', target, '--to', s3.url('round-trip'), ...s3.flags()]);
    assertOneLineError(conflict);
    assert.match(conflict.stderr, /s3:\/\/pulse-offsite\/round-trip\/factory_\d{8}_\d{6} already holds another set named/);
    assert.equal(
      createHash('sha256')
        .update(await s3.getObject(`round-trip/${manifest.id}/${data.name}`))
        .digest('hex'),
      data.sha256,
    );
  });

  it('a pull over the same set gone bad locally says so and leaves it as it is, rather than "already here"', async function () {
    const target = newFolder();
    for (const name of [...manifest.files.map((file) => file.name), `${manifest.id}.manifest.json`]) copyFileSync(join(folder, name), join(target, name));
    const data = manifest.files.find((file) => file.type === 'data')!;
    const bytes = readFileSync(join(target, data.name));
    bytes[Math.floor(bytes.length / 2)] ^= 0x20; // bit rot: same size, other bytes
    writeFileSync(join(target, data.name), bytes);
    const before = folderSnapshot(target);
    const pulled = await offsite(['pull', manifest.id, '--dir', target, '--from', s3.url('round-trip'), ...s3.flags()]);
    assertOneLineError(pulled);
    assert.equal(
      pulled.stderr.trim(),
      `pulse-backup: the local copy of ${manifest.id} in ${target} does not match its manifest (${data.name}): it stays as it is: move it away and pull again, or pull into another folder with --dir`,
    );
    assert.deepEqual(folderSnapshot(target), before);
  });

  it('a damaged remote object fails the pull with one line, and leaves no set and no hidden file in the folder', async function () {
    const pushed = await offsite(['push', manifest.id, '--dir', folder, '--to', s3.url('damaged'), ...s3.flags()]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const data = manifest.files.find((file) => file.type === 'data')!;
    const key = `damaged/${manifest.id}/${data.name}`;
    const bytes = await s3.getObject(key);
    bytes[Math.floor(bytes.length / 2)] ^= 0x20; // one bit flipped: same size, other bytes
    await s3.putObject(key, bytes);
    assert.equal((await remoteSets('damaged'))[0].status, 'complete', 'the listing checks sizes only');

    const target = newFolder();
    const pulled = await offsite(['pull', manifest.id, '--dir', target, '--from', s3.url('damaged'), ...s3.flags()]);
    assertOneLineError(pulled);
    assert.match(pulled.stderr, new RegExp(`s3://pulse-offsite/${key} does not match its manifest \\(its SHA-256 differs\\): the remote copy is damaged`));
    assert.deepEqual(
      readdirSync(target).filter((name) => !name.startsWith('.pulse-backup.lock')),
      [],
    );
  });

  it('pushing again onto a damaged copy (an object missing, a manifest cut short) replaces it, and the copy lists good', async function () {
    const push = () => offsite(['push', manifest.id, '--dir', folder, '--to', s3.url('repaired'), ...s3.flags()]);
    assert.equal((await push()).code, 0);
    const data = manifest.files.find((file) => file.type === 'data')!;
    const dataKey = `repaired/${manifest.id}/${data.name}`;
    const manifestKey = `repaired/${manifest.id}/${manifest.id}.manifest.json`;
    const statuses = async () => (await remoteSets('repaired')).map((set) => [set.id, set.status]);

    await s3.deleteObject(dataKey);
    assert.deepEqual(await statuses(), [[manifest.id, 'damaged']]);
    const missing = await push();
    assert.equal(missing.code, 0, missing.stderr);
    assert.match(missing.stdout, new RegExp(`^Pushed ${manifest.id} to .*\\nIt replaces the damaged copy that was there: ${data.name} is missing$`, 'm'));
    assert.deepEqual(await statuses(), [[manifest.id, 'complete']]);
    assert.equal(
      createHash('sha256')
        .update(await s3.getObject(dataKey))
        .digest('hex'),
      data.sha256,
    );

    const text = (await s3.getObject(manifestKey)).toString('utf8');
    await s3.putObject(manifestKey, text.slice(0, Math.floor(text.length / 2)));
    const cut = await push();
    assert.equal(cut.code, 0, cut.stderr);
    assert.match(cut.stdout, /\nIt replaces the damaged copy that was there: its manifest cannot be read: manifest s3:\/\/\S+ is not valid JSON$/m);
    assert.deepEqual(await statuses(), [[manifest.id, 'complete']]);
    assert.match((await push()).stdout, /the same: nothing was sent/);
  });

  it('a remote copy missing an object fails the pull as damaged, not as something to run again, and leaves nothing in the folder', async function () {
    const pushed = await offsite(['push', manifest.id, '--dir', folder, '--to', s3.url('missing'), ...s3.flags()]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const data = manifest.files.find((file) => file.type === 'data')!;
    await s3.deleteObject(`missing/${manifest.id}/${data.name}`);
    const target = newFolder();
    const pulled = await offsite(['pull', manifest.id, '--dir', target, '--from', s3.url('missing'), ...s3.flags()]);
    assertOneLineError(pulled);
    assert.equal(
      pulled.stderr.trim(),
      `pulse-backup: s3://pulse-offsite/missing/${manifest.id}/${data.name} is missing, though the remote manifest names it: the remote copy is damaged (object missing): pull another set, or push this one again from a machine that has it`,
    );
    assert.deepEqual(
      readdirSync(target).filter((name) => !name.startsWith('.pulse-backup.lock')),
      [],
    );
  });

  it("a plain copy whose record of what is stored was changed to fit changed bytes is refused against the set's own checksums", async function () {
    const pushed = await offsite(['push', manifest.id, '--dir', folder, '--to', s3.url('restated'), ...s3.flags()]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const data = manifest.files.find((file) => file.type === 'data')!;
    const key = `restated/${manifest.id}/${data.name}`;
    const bytes = await s3.getObject(key);
    bytes[Math.floor(bytes.length / 2)] ^= 0x20;
    await s3.putObject(key, bytes);
    const manifestKey = `restated/${manifest.id}/${manifest.id}.manifest.json`;
    const remote = JSON.parse((await s3.getObject(manifestKey)).toString('utf8')) as RemoteManifest;
    remote.offsite.stored.find((file) => file.type === 'data')!.sha256 = createHash('sha256').update(bytes).digest('hex');
    await s3.putObject(manifestKey, JSON.stringify(remote, null, 2));

    const target = newFolder();
    const pulled = await offsite(['pull', manifest.id, '--dir', target, '--from', s3.url('restated'), ...s3.flags()]);
    assertOneLineError(pulled);
    assert.match(
      pulled.stderr,
      new RegExp(
        `^pulse-backup: the manifest of s3://pulse-offsite/restated/${manifest.id} records ${data.name} as stored with another SHA-256 than the set's own: the remote copy is damaged \\(its manifest does not agree with itself\\): pull another set`,
      ),
    );
    assert.deepEqual(
      readdirSync(target).filter((name) => !name.startsWith('.pulse-backup.lock')),
      [],
    );
  });

  it("a remote manifest whose file names point at another set's file, or out of the folder, is refused before anything is written", async function () {
    // The folder already holds a set; the remote copy of another names that set's data file as its own object.
    // The backups folder sits alone in a folder of its own: a name that climbs out of it would show there.
    const parent = newFolder();
    const local = join(parent, 'backups');
    mkdirSync(local);
    const mine = await backupSet(server, source, local, 'mine');
    const theirs = newFolder();
    const other = await backupSet(server, source, theirs, 'theirs');
    const passphrase = join(newFolder(), 'passphrase');
    writeFileSync(passphrase, 'correct horse battery staple\n', { mode: 0o600 });
    const before = folderSnapshot(local);

    const cases: { name: string; encrypt: boolean; tamper: (remote: RemoteManifest) => void; expected: RegExp }[] = [
      {
        name: "another set's file",
        encrypt: false,
        tamper: (remote) => {
          const stored = remote.offsite.stored.find((file) => file.type === 'data')!;
          stored.name = mine.files.find((file) => file.type === 'data')!.name;
        },
        expected:
          /^pulse-backup: s3:\/\/pulse-offsite\/tampered-plain\/theirs_\d{8}_\d{6}\/theirs_\d{8}_\d{6}\.manifest\.json names "mine_data_backup_\d{8}_\d{6}\.sql" as a stored object, which is not one of theirs_\d{8}_\d{6}'s files: the remote copy was changed or damaged: nothing was written/,
      },
      {
        name: 'a path out of the folder',
        encrypt: true,
        tamper: (remote) => {
          const own = remote.files.find((file) => file.type === 'data')!;
          own.name = `../${own.name}`;
        },
        expected:
          /^pulse-backup: manifest s3:\/\/pulse-offsite\/tampered-age\/\S+ does not describe its set: the data file it names, "\.\.\/theirs_data_backup_\d{8}_\d{6}\.sql", is not one of theirs_\d{8}_\d{6}'s: it was changed or damaged/,
      },
      {
        name: 'a prefix out of the folder (the pulled manifest is named by it)',
        encrypt: false,
        tamper: (remote) => {
          remote.prefix = '../escape';
        },
        expected:
          /^pulse-backup: manifest s3:\/\/pulse-offsite\/tampered-prefix\/\S+ does not describe its set: its id "theirs_\d{8}_\d{6}", prefix "\.\.\/escape" and timestamp "\d{8}_\d{6}" are not one set's: it was changed or damaged/,
      },
    ];
    for (const { name, encrypt, tamper, expected } of cases) {
      const prefix = `tampered-${name.startsWith('a prefix') ? 'prefix' : encrypt ? 'age' : 'plain'}`;
      const pushed = await offsite(['push', other.id, '--dir', theirs, '--to', s3.url(prefix), ...s3.flags(), ...(encrypt ? ['--encrypt', '--passphrase-file', passphrase] : [])]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const key = `${prefix}/${other.id}/${other.id}.manifest.json`;
      const remote = JSON.parse((await s3.getObject(key)).toString('utf8')) as RemoteManifest;
      tamper(remote);
      await s3.putObject(key, JSON.stringify(remote, null, 2));
      // The object the tampered name points at is there, and holds what the manifest says it holds.
      const keys = await s3.keys(`${prefix}/${other.id}/`);
      for (const stored of remote.offsite.stored) {
        const objectKey = `${prefix}/${other.id}/${stored.name}`;
        const original = `${prefix}/${other.id}/${fileNameFor('theirs', stored.type, other.timestamp, encrypt ? ['age'] : [])}`;
        if (!keys.includes(objectKey)) await s3.putObject(objectKey, await s3.getObject(original));
      }
      const pulled = await offsite(['pull', other.id, '--dir', local, '--from', s3.url(prefix), ...s3.flags(), ...(encrypt ? ['--passphrase-file', passphrase] : [])]);
      assertOneLineError(pulled);
      assert.match(pulled.stderr, expected, name);
      assert.deepEqual(folderSnapshot(local), before, `${name}: the folder is as it was`);
      assert.deepEqual(readdirSync(parent), ['backups'], `${name}: nothing written beside the folder`);
    }
    const verified = await runCli(['verify', mine.id, '--dir', local]);
    assert.equal(verified.code, 0, verified.stdout);
  });

  it('a local file that changed since the backup is not pushed: one line, and no object or upload left', async function () {
    const changed = newFolder();
    for (const name of [...manifest.files.map((file) => file.name), `${manifest.id}.manifest.json`]) copyFileSync(join(folder, name), join(changed, name));
    const data = manifest.files.find((file) => file.type === 'data')!;
    const bytes = readFileSync(join(changed, data.name));
    bytes[10] ^= 0x01;
    writeFileSync(join(changed, data.name), bytes);
    const pushed = await offsite(['push', manifest.id, '--dir', changed, '--to', s3.url('changed'), ...s3.flags()]);
    assertOneLineError(pushed);
    assert.match(pushed.stderr, /the file .* no longer matches its manifest: it changed since the backup/);
    assert.deepEqual(await s3.keys('changed/'), []);
    assert.deepEqual(s3.pendingUploads(), []);
  });

  it("the storage's refusals are one line naming the bucket and what to do, never a secret", async function () {
    const secret = 'Wr0ng-Secret-Never-Printed-0123456789';
    const cases: { env?: NodeJS.ProcessEnv; args?: string[]; url?: string; expected: RegExp }[] = [
      {
        env: { AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY', AWS_SECRET_ACCESS_KEY: secret },
        expected:
          /^pulse-backup: http:\/\/127\.0\.0\.1:\d+ rejected the credentials for s3:\/\/pulse-offsite(\/\S+)? \(InvalidAccessKeyId\): check that AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
      },
      { url: 's3://no-such-bucket/x', expected: /^pulse-backup: the bucket no-such-bucket does not exist at http:\/\/127\.0\.0\.1:\d+: create it, or check the bucket's name/ },
      {
        env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
        expected:
          /^pulse-backup: cannot sign in to http:\/\/127\.0\.0\.1:\d+ for s3:\/\/pulse-offsite: no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile/,
      },
      {
        args: ['--endpoint', `http://127.0.0.1:${await closedPort()}`],
        env: { AWS_SECRET_ACCESS_KEY: secret },
        expected: /^pulse-backup: cannot reach http:\/\/127\.0\.0\.1:\d+ \(connection refused\) for s3:\/\/pulse-offsite(\/\S+)?: check the network and --endpoint/,
      },
    ];
    for (const [index, refusal] of cases.entries()) {
      const url = refusal.url ?? s3.url('refusals');
      for (const args of [
        ['list', '--remote', url],
        ['push', manifest.id, '--dir', folder, '--to', url],
        ['pull', manifest.id, '--dir', newFolder(), '--from', url],
      ]) {
        const result = await offsite([...args, ...(refusal.args ?? s3.flags())], { ...refusal.env, PULSE_BACKUP_DEBUG: index % 2 === 0 ? '1' : '' });
        assert.equal(result.code, 1, `${args[0]}: ${result.stderr}`);
        assert.match(result.stderr.split('\n')[0], refusal.expected, `${args[0]}: ${result.stderr}`);
        if (index % 2 === 1) assertOneLineError(result);
        assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret), `${args[0]} printed the secret: ${result.stderr}`);
        assert.doesNotMatch(result.stderr, /X-Amz-Signature=[0-9a-f]|Signature=[0-9a-f]{16}/);
      }
    }
    assert.deepEqual(await s3.keys('refusals/'), []);
  });

  it('an endpoint that answers every path with a web page (a console, a proxy) is named as not S3 storage, never as an empty remote', async function () {
    const page = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Welcome to nginx!</body></html>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    try {
      const address = page.address();
      const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      for (const args of [
        ['list', '--remote', s3.url('web-page')],
        ['push', manifest.id, '--dir', folder, '--to', s3.url('web-page')],
        ['pull', manifest.id, '--dir', newFolder(), '--from', s3.url('web-page')],
      ]) {
        const result = await offsite([...args, '--endpoint', endpoint]);
        assertOneLineError(result);
        assert.match(
          result.stderr,
          /^pulse-backup: http:\/\/127\.0\.0\.1:\d+ did not answer as S3 storage for s3:\/\/pulse-offsite: check --endpoint: it must be the storage's S3 API/,
          `${args[0]}: ${result.stderr}`,
        );
      }
    } finally {
      page.closeAllConnections();
      page.close();
    }
  });

  it('TLS that fails says what to do (http:// for a plain port, NODE_EXTRA_CA_CERTS for a private authority), never to run it again', async function () {
    const plainPort = `https://${new URL(s3.endpoint).host}`;
    const cases: { endpoint: string; expected: RegExp }[] = [
      {
        endpoint: plainPort,
        expected:
          /^pulse-backup: cannot reach https:\/\/127\.0\.0\.1:\d+ for s3:\/\/pulse-offsite: it does not speak TLS there: if that port serves plain HTTP, write --endpoint as http:\/\/HOST:PORT; nothing was changed there$/,
      },
    ];
    const missing = certificatesUnavailableReason();
    const certificates = missing ? undefined : makeCertificates(['localhost']);
    const server =
      certificates &&
      createTlsServer({ key: readFileSync(certificates.keyFile), cert: readFileSync(certificates.certificateFile) }, (_request, response) => response.writeHead(403).end());
    try {
      if (server) {
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const address = server.address();
        cases.push({
          endpoint: `https://localhost:${typeof address === 'object' && address ? address.port : 0}`,
          expected:
            /^pulse-backup: cannot reach https:\/\/localhost:\d+ for s3:\/\/pulse-offsite: its certificate is not trusted here \(UNABLE_TO_VERIFY_LEAF_SIGNATURE: self-signed, or signed by a private authority\): if the storage's certificate comes from your own authority, give that authority's certificate to Node: NODE_EXTRA_CA_CERTS=\/path\/to\/ca\.pem; nothing was changed there$/,
        });
      }
      for (const { endpoint, expected } of cases) {
        const result = await offsite(['list', '--remote', s3.url('tls'), '--endpoint', endpoint]);
        assertOneLineError(result);
        assert.match(result.stderr, expected);
        assert.doesNotMatch(result.stderr, /run it again|NODE_TLS_REJECT_UNAUTHORIZED|rejectUnauthorized/);
      }
    } finally {
      server?.closeAllConnections();
      server?.close();
      certificates?.remove();
    }
  });

  it('a push or a prune the storage goes away from midway says what it may have left there, never that nothing was changed', async function () {
    const through = async (allowed: number, args: string[]) => {
      const proxy = await cuttingProxy(s3.endpoint, allowed);
      try {
        return await offsite([...args, '--endpoint', proxy.endpoint]);
      } finally {
        await proxy.close();
      }
    };
    // ListMultipartUploads, GetObject of the manifest (none), the first file's PutObject and HeadObject pass; the next upload is cut.
    const pushed = await through(4, ['push', manifest.id, '--dir', folder, '--to', s3.url('cut-push')]);
    assertOneLineError(pushed);
    assert.match(
      pushed.stderr,
      /^pulse-backup: cannot reach http:\/\/127\.0\.0\.1:\d+ \(connection reset\) for s3:\/\/pulse-offsite\/cut-push\/\S+: check the network and --endpoint, then push it again to finish the copy: anything it left there is listed INCOMPLETE, never as good, until then$/,
    );
    assert.deepEqual(
      (await remoteSets('cut-push')).map((set) => [set.id, set.status]),
      [[manifest.id, 'incomplete']],
    );
    // Without a manifest, the files there are typed by their names.
    const schemaFile = manifest.files.find((file) => file.type === 'schema')!;
    assert.deepEqual(
      (await remoteSets('cut-push'))[0].files.map((file) => [file.type, file.name]),
      [['schema', schemaFile.name]],
    );

    const newerFolder = newFolder();
    const newer = await backupSet(server, source, newerFolder, 'factory');
    for (const [id, from] of [
      [manifest.id, folder],
      [newer.id, newerFolder],
    ]) {
      const copied = await offsite(['push', id, '--dir', from, '--to', s3.url('cut-prune'), ...s3.flags()]);
      assert.equal(copied.code, 0, copied.stderr);
    }
    // ListMultipartUploads, ListObjectsV2, both manifests, the older set's ListObjectsV2 and its manifest's DeleteObject pass; its files' are cut.
    const pruned = await through(6, ['prune', '--remote', s3.url('cut-prune'), '--keep', '1']);
    assertOneLineError(pruned);
    assert.match(
      pruned.stderr,
      /^pulse-backup: cannot reach http:\/\/127\.0\.0\.1:\d+ \(connection reset\) for s3:\/\/pulse-offsite\/cut-prune\/\S+: check the network and --endpoint, then prune the remote again: a set it removed in part lost its manifest first, so it is listed INCOMPLETE, never as good/,
    );
    assert.deepEqual(
      (await remoteSets('cut-prune')).map((set) => [set.id, set.status]),
      [
        [newer.id, 'complete'],
        [manifest.id, 'incomplete'],
      ],
    );

    // A push replacing a damaged copy removes its manifest first, then uploads: cut while uploading, the advice is to push again.
    assert.equal((await offsite(['push', manifest.id, '--dir', folder, '--to', s3.url('cut-repair'), ...s3.flags()])).code, 0);
    await s3.deleteObject(`cut-repair/${manifest.id}/${manifest.files.find((file) => file.type === 'data')!.name}`);
    // ListMultipartUploads, the manifest's GetObject, ListObjectsV2, its DeleteObject and the first file's PutObject pass; the rest is cut.
    const repairing = await through(5, ['push', manifest.id, '--dir', folder, '--to', s3.url('cut-repair')]);
    assertOneLineError(repairing);
    assert.match(repairing.stderr, /then push it again to finish the copy: anything it left there is listed INCOMPLETE, never as good, until then$/);
    assert.deepEqual(
      (await remoteSets('cut-repair')).map((set) => [set.id, set.status]),
      [[manifest.id, 'incomplete']],
    );
  });

  it('remote retention keeps the newest N complete sets, never the newest good one, and leaves a push under way alone', async function () {
    const sets = [manifest];
    for (let count = 0; count < 2; count += 1) sets.push(await backupSet(server, source, folder, 'factory', ['--keep', '100']));
    const ids = sets.map((set) => set.id);
    assert.equal(new Set(ids).size, 3);
    for (const id of ids) {
      const pushed = await offsite(['push', id, '--dir', folder, '--to', s3.url('kept'), ...s3.flags(), '--keep', '2']);
      assert.equal(pushed.code, 0, pushed.stderr);
    }
    assert.deepEqual(
      (await remoteSets('kept')).map((set) => set.id),
      [ids[2], ids[1]],
    );
    // A newer set whose push is under way (objects, no manifest yet) is neither good nor removed.
    await s3.putObject(`kept/factory_29991231_235959/factory_schema_backup_29991231_235959.sql`, 'SELECT 1;\n');
    const pruned = await offsite(['prune', '--remote', s3.url('kept'), ...s3.flags(), '--keep', '1', '--json']);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual((JSON.parse(pruned.stdout) as RemotePruneResult).removed, [ids[1]]);
    const left = await remoteSets('kept');
    assert.deepEqual(
      left.map((set) => [set.id, set.status]),
      [
        ['factory_29991231_235959', 'incomplete'],
        [ids[2], 'complete'],
      ],
    );
    assert.deepEqual(await s3.keys(`kept/${ids[1]}/`), []);
  });

  it("remote retention counts one set prefix's sets: backup --offsite --keep 1 leaves another database's sets alone, and prune --remote keeps each prefix's newest", async function () {
    const local = newFolder();
    const big = [await backupSet(server, source, local, 'big'), await backupSet(server, source, local, 'big', ['--keep', '100'])].map((set) => set.id);
    for (const id of big) {
      const pushed = await offsite(['push', id, '--dir', local, '--to', s3.url('shared'), ...s3.flags(), '--keep', '5']);
      assert.equal(pushed.code, 0, pushed.stderr);
    }
    const ours: string[] = [];
    for (let count = 0; count < 2; count += 1) {
      const backedUp = await backupOffsite(local, 'hs', s3, 'shared');
      assert.equal(backedUp.code, 0, backedUp.stderr);
      ours.push((JSON.parse(backedUp.stdout) as Manifest).id);
      assert.doesNotMatch(backedUp.stderr, /big_/);
      assert.match(backedUp.stderr, /Kept on the remote: 1 set of hs/);
    }
    assert.deepEqual((await remoteSets('shared')).map((set) => set.id).sort(), [...big, ours[1]].sort());

    const one = await offsite(['prune', '--remote', s3.url('shared'), ...s3.flags(), '--prefix', 'hs', '--keep', '1', '--json']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual((JSON.parse(one.stdout) as RemotePruneResult).removed, []);
    const each = await offsite(['prune', '--remote', s3.url('shared'), ...s3.flags(), '--keep', '1', '--json']);
    assert.equal(each.code, 0, each.stderr);
    assert.deepEqual((JSON.parse(each.stdout) as RemotePruneResult).removed, [big[0]]);
    assert.deepEqual((await remoteSets('shared')).map((set) => set.id).sort(), [big[1], ours[1]].sort());
  });

  it('a remote retention that fails after the copy is there is a warning, not a failed push: exit 0, the copy listed good', async function () {
    const local = newFolder();
    const older = await backupSet(server, source, local, 'denied');
    const newer = await backupSet(server, source, local, 'denied', ['--keep', '100']);
    const strict = await startS3Server({ denyDeletes: true });
    try {
      const run = (args: readonly string[]) => runCli(args, { env: strict.env() });
      assert.equal((await run(['push', older.id, '--dir', local, '--to', strict.url('denied'), ...strict.flags()])).code, 0);
      const pushed = await run(['push', newer.id, '--dir', local, '--to', strict.url('denied'), ...strict.flags(), '--keep', '1']);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(pushed.stdout, new RegExp(`^Pushed ${newer.id} to `));
      assert.match(
        pushed.stderr,
        new RegExp(`^pulse-backup: warning: ${newer.id} is copied to s3://pulse-offsite/denied/${newer.id}, but remote retention did not run to the end: .*denied`, 'm'),
      );
      assert.equal((await readHistory(local, newer.id)).offsite?.[0]?.how, 'pushed');

      const backedUp = await backupOffsite(local, 'denied', strict, 'denied');
      assert.equal(backedUp.code, 0, backedUp.stderr);
      const set = JSON.parse(backedUp.stdout) as Manifest;
      assert.doesNotMatch(backedUp.stderr, /not copied offsite/);
      assert.match(backedUp.stderr, new RegExp(`^Pushed ${set.id} to `, 'm'));
      assert.match(backedUp.stderr, new RegExp(`^pulse-backup: warning: ${set.id} is copied to .*, but remote retention did not run to the end: `, 'm'));
      const listed = await runCli(['list', '--remote', strict.url('denied'), ...strict.flags(), '--json'], { env: strict.env() });
      assert.deepEqual(
        (JSON.parse(listed.stdout) as RemoteSet[]).map((remote) => [remote.id, remote.status]),
        [set.id, newer.id, older.id].map((id) => [id, 'complete']),
      );
    } finally {
      await strict.stop();
    }
  });

  it('backup --offsite pushes the new set; a push that fails is a warning, the exit code the backup’s, the set kept', async function () {
    const local = newFolder();
    const backedUp = await offsite(['backup', '--db', server.url(source), '--dir', local, '--prefix', 'nightly', '--offsite', s3.url('nightly'), ...s3.flags(), '--json']);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    const set = JSON.parse(backedUp.stdout) as Manifest;
    assert.match(backedUp.stderr, new RegExp(`Pushed ${set.id} to s3://pulse-offsite/nightly/${set.id}`));
    assert.deepEqual(
      (await remoteSets('nightly')).map((remote) => [remote.id, remote.status]),
      [[set.id, 'complete']],
    );

    const dead = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = await offsite(['backup', '--db', server.url(source), '--dir', local, '--prefix', 'nightly', '--offsite', s3.url('nightly'), '--endpoint', dead]);
    assert.equal(unreachable.code, 0, unreachable.stderr);
    const later =
      /^pulse-backup: warning: the backup succeeded and its set is kept here, but it was not copied offsite: cannot reach http:\/\/127\.0\.0\.1:\d+ \(connection refused\) for s3:\/\/pulse-offsite: .*; push it later with (pulse-backup push nightly_\d{8}_\d{6} .*)$/m.exec(
        unreachable.stderr,
      );
    assert.ok(later, unreachable.stderr);
    // The command pushes this set from this folder to that storage, as the backup would have.
    assert.match(
      later[1],
      new RegExp(
        `^pulse-backup push nightly_\\d{8}_\\d{6} --to s3://pulse-offsite/nightly --dir ${local.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} --endpoint ${dead.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`,
      ),
    );
    assert.deepEqual(
      (await listSets(local)).map((listed) => listed.status),
      ['complete', 'complete'],
    );
  });
});

describe('a storage that accepts the connection and never answers', function () {
  const newFolder = useTempFolders('pulse-backup-offsite-silent-');
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_EC2_METADATA_DISABLED: 'true' };
  /** list --remote and pull (its manifest first) against a server that takes the connection and says nothing. */
  const againstSilence = async (check: (args: string[], silent: SilentServer) => Promise<void>) => {
    const silent = await silentServer();
    try {
      const endpoint = ['--endpoint', `http://127.0.0.1:${silent.port}`];
      await check(['list', '--remote', 's3://hunt/p1', ...endpoint], silent);
      await check(['pull', 'factory_20250901_173948', '--dir', newFolder(), '--from', 's3://hunt/p1', ...endpoint], silent);
    } finally {
      silent.close();
    }
  };

  it('list --remote and pull give up after the idle time with one line, instead of waiting for ever', async function () {
    await againstSilence(async (args) => {
      const result = await runCli(args, { env: { ...env, PULSE_BACKUP_OFFSITE_IDLE_SECONDS: '1' }, timeoutMs: 30_000 });
      assertOneLineError(result);
      assert.match(
        result.stderr,
        /^pulse-backup: cannot reach http:\/\/127\.0\.0\.1:\d+ \(timed out\) for s3:\/\/hunt(\/\S+)?: check the network and --endpoint/,
        `${args[0]}: ${result.stderr}`,
      );
    });
  });

  it('Ctrl-C while list --remote or pull waits for the storage is a cancellation (exit 130), not a failure of the storage', async function () {
    await againstSilence(async (args, silent) => {
      const before = silent.connections;
      const { subprocess } = await startCli(args, { env, timeoutMs: 60_000 });
      await waitFor('the request to reach the storage', () => silent.connections > before, 30_000);
      subprocess.kill('SIGINT');
      const result = await subprocess;
      assert.equal(result.exitCode, 130, `${args[0]}: ${String(result.stderr)}`);
      assert.match(String(result.stderr), /^pulse-backup: cancelled before http:\/\/127\.0\.0\.1:\d+ answered for s3:\/\/hunt(\/\S+)?: nothing was changed there$/m, args[0]);
      assert.doesNotMatch(String(result.stderr), /AbortError|run it again/, args[0]);
    });
  });
});

describe('a push killed midway', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-offsite-killed-');
  let s3: S3TestServer;

  before(async function () {
    // Each part waits a moment at the server, so the push is surely midway when it is killed.
    s3 = await startS3Server({ slowParts: 400 });
    await server.createDatabase('offsite_big');
    await server.query(
      'offsite_big',
      'CREATE TABLE readings (id bigint PRIMARY KEY, note text); INSERT INTO readings SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 300000) g',
    );
  });

  after(async function () {
    await s3?.stop();
  });

  it('leaves nothing listed as good, and the next push aborts its multipart upload and completes the copy', async function () {
    const folder = newFolder();
    const manifest = await backupSet(server, 'offsite_big', folder, 'big');
    assert.ok(
      manifest.files.some((file) => file.bytes > 2 * 8 * 1024 * 1024),
      'a file of several parts',
    );
    const { subprocess } = await startCli(['push', manifest.id, '--dir', folder, '--to', s3.url('killed'), ...s3.flags()], { env: s3.env() });
    await waitFor('a part of the upload to reach the server', () => s3.pendingUploads().some((upload) => upload.parts >= 1), 60_000);
    subprocess.kill('SIGKILL');
    await subprocess;
    assert.ok(s3.pendingUploads().length > 0, 'the killed push left its multipart upload');

    const listed = await runCli(['list', '--remote', s3.url('killed'), ...s3.flags(), '--json'], { env: s3.env() });
    assert.equal(listed.code, 0, listed.stderr);
    const sets = JSON.parse(listed.stdout) as RemoteSet[];
    assert.ok(!sets.some((set) => set.status === 'complete'), `nothing complete: ${listed.stdout}`);
    assert.ok(!(await s3.keys('killed/')).some((key) => key.endsWith('.manifest.json')));

    const again = await runCli(['push', manifest.id, '--dir', folder, '--to', s3.url('killed'), ...s3.flags()], { env: s3.env() });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(s3.pendingUploads(), [], 'no incomplete multipart upload after the next run');
    const after = JSON.parse((await runCli(['list', '--remote', s3.url('killed'), ...s3.flags(), '--json'], { env: s3.env() })).stdout) as RemoteSet[];
    assert.deepEqual(
      after.map((set) => [set.id, set.status]),
      [[manifest.id, 'complete']],
    );
  });

  it('two pushes of one set at once: the one the other took over from stops, says so and removes nothing; the other writes a good copy', async function () {
    const folder = newFolder();
    const manifest = await backupSet(server, 'offsite_big', folder, 'twice');
    const args = ['push', manifest.id, '--dir', folder, '--to', s3.url('twice'), ...s3.flags()];
    const { subprocess: first } = await startCli(args, { env: s3.env() });
    await waitFor("a part of the first push's upload to reach the server", () => s3.pendingUploads().some((upload) => upload.parts >= 1), 60_000);
    const second = await runCli(args, { env: s3.env() });
    const stopped = await first;
    assert.equal(second.code, 0, second.stderr);
    assert.equal(stopped.exitCode, 1, String(stopped.stderr));
    assert.match(
      String(stopped.stderr),
      /^pulse-backup: the upload of s3:\/\/pulse-offsite\/twice\/\S+ was aborted by another push of the same set to the same place, started meanwhile \(or, an upload over a day old, by a prune of the remote\): a push that took over goes on/,
    );
    const listed = JSON.parse((await runCli(['list', '--remote', s3.url('twice'), ...s3.flags(), '--json'], { env: s3.env() })).stdout) as RemoteSet[];
    assert.deepEqual(
      listed.map((set) => [set.id, set.status]),
      [[manifest.id, 'complete']],
    );
    for (const file of manifest.files) {
      const body = await s3.getObject(`twice/${manifest.id}/${file.name}`);
      assert.equal(createHash('sha256').update(body).digest('hex'), file.sha256, file.name);
    }
    assert.deepEqual(s3.pendingUploads(), []);
  });
});

describe('a pull killed midway', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-pull-killed-');
  let s3: S3TestServer;

  before(async function () {
    // Each download waits a moment at the server, so the pull is surely midway when it is killed.
    s3 = await startS3Server({ slowGets: 600 });
    await server.createDatabase('pulled_app');
    await loadSample(
      server,
      'pulled_app',
      sampleCases().find((sample) => sample.name === 'factory')!,
    );
  });

  after(async function () {
    await s3?.stop();
  });

  it('leaves no set in the folder; the next pull clears what it left and brings the set whole', async function () {
    const folder = newFolder();
    const manifest = await backupSet(server, 'pulled_app', folder, 'pulled');
    const pushed = await runCli(['push', manifest.id, '--dir', folder, '--to', s3.url('pulled'), ...s3.flags()], { env: s3.env() });
    assert.equal(pushed.code, 0, pushed.stderr);
    const elsewhere = newFolder();
    const { subprocess } = await startCli(['pull', manifest.id, '--dir', elsewhere, '--from', s3.url('pulled'), ...s3.flags()], { env: s3.env() });
    // Its first file is being downloaded: the hidden file it writes into is there.
    await waitFor('the pull to begin its first file', () => readdirSync(elsewhere).some((name) => name.startsWith('.') && name.includes('_backup_')), 60_000);
    subprocess.kill('SIGKILL');
    await subprocess;
    assert.deepEqual(
      (await listSets(elsewhere)).filter((set) => set.status === 'complete'),
      [],
    );
    const again = await runCli(['pull', manifest.id, '--dir', elsewhere, '--from', s3.url('pulled'), ...s3.flags()], { env: s3.env() });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(
      readdirSync(elsewhere).filter((name) => name.startsWith('.')),
      [],
      'nothing hidden left behind',
    );
    const verified = await runCli(['verify', manifest.id, '--dir', elsewhere]);
    assert.equal(verified.code, 0, verified.stdout);
  });
});

describe('a copy encrypted for the remote only (push --encrypt)', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-offsite-age-');
  let s3: S3TestServer;

  before(async function () {
    s3 = await startS3Server();
  });

  after(async function () {
    await s3?.stop();
  });

  it('stores ….sql.age objects the age command decrypts to the set, and pull decrypts them back to a set that restores equal', async function () {
    const missing = ageMissing();
    if (missing) this.skip();
    const folder = newFolder();
    await server.createDatabase('offsite_age');
    await loadSample(
      server,
      'offsite_age',
      sampleCases().find((sample) => sample.name === 'factory')!,
    );
    const manifest = await backupSet(server, 'offsite_age', folder, 'sealed');
    const identity = join(newFolder(), 'identity.txt');
    execFileSync('age-keygen', ['-o', identity], { stdio: 'pipe' });
    const recipient = /# public key: (age1\w+)/.exec(readFileSync(identity, 'utf8'))![1];

    const pushed = await runCli(['push', manifest.id, '--dir', folder, '--to', s3.url('sealed'), ...s3.flags(), '--encrypt', '--recipient', recipient], { env: s3.env() });
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /^Pushed sealed_\d{8}_\d{6} to s3:\/\/pulse-offsite\/sealed\/sealed_\d{8}_\d{6}, encrypted/);
    assert.deepEqual(
      await s3.keys('sealed/'),
      [...manifest.files.map((file) => `${file.name}.age`), `${manifest.id}.manifest.json`].map((name) => `sealed/${manifest.id}/${name}`).sort(),
    );
    const remoteManifest = JSON.parse((await s3.getObject(`sealed/${manifest.id}/${manifest.id}.manifest.json`)).toString('utf8')) as RemoteManifest;
    assert.deepEqual(remoteManifest.offsite.encryption, { format: 'age', method: 'recipients', recipients: [recipient] });
    assert.deepEqual(remoteManifest.files, manifest.files, 'the set itself is described as it is');
    for (const file of manifest.files) {
      const stored = await s3.getObject(`sealed/${manifest.id}/${file.name}.age`);
      assert.ok(!stored.includes(Buffer.from('CREATE TABLE')), `${file.name}.age holds no SQL in clear`);
      const record = remoteManifest.offsite.stored.find((entry) => entry.type === file.type)!;
      assert.deepEqual([record.name, record.bytes, record.sha256], [`${file.name}.age`, stored.length, createHash('sha256').update(stored).digest('hex')]);
      assert.equal(
        createHash('sha256')
          .update(runAge(['-d', '-i', identity], stored))
          .digest('hex'),
        file.sha256,
        `age -d gives back ${file.name}`,
      );
    }
    assert.deepEqual(
      (await runCli(['list', '--remote', s3.url('sealed'), ...s3.flags(), '--json'], { env: s3.env() }).then((listed) => JSON.parse(listed.stdout) as RemoteSet[])).map((set) => [
        set.status,
        set.encrypted,
      ]),
      [['complete', true]],
    );

    const withoutKey = newFolder();
    const refused = await runCli(['pull', manifest.id, '--dir', withoutKey, '--from', s3.url('sealed'), ...s3.flags()], { env: s3.env() });
    assertOneLineError(refused);
    assert.deepEqual(
      readdirSync(withoutKey).filter((name) => !name.startsWith('.pulse-backup.lock')),
      [],
    );
    const otherIdentity = join(newFolder(), 'other-identity.txt');
    execFileSync('age-keygen', ['-o', otherIdentity], { stdio: 'pipe' });
    const wrongKey = await runCli(['pull', manifest.id, '--dir', withoutKey, '--from', s3.url('sealed'), ...s3.flags(), '--identity-file', otherIdentity], { env: s3.env() });
    assertOneLineError(wrongKey);
    assert.deepEqual(
      readdirSync(withoutKey).filter((name) => !name.startsWith('.pulse-backup.lock')),
      [],
    );

    const target = newFolder();
    const pulled = await runCli(['pull', manifest.id, '--dir', target, '--from', s3.url('sealed'), ...s3.flags(), '--identity-file', identity], { env: s3.env() });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /, decrypted \(/);
    for (const file of manifest.files) assert.equal(sha256(join(target, file.name)), file.sha256, file.name);
    assert.deepEqual(JSON.parse(readFileSync(join(target, `${manifest.id}.manifest.json`), 'utf8')), manifest);
    await server.createDatabase('offsite_age_restored');
    const restored = await restoreSet(server, manifest.id, target, 'offsite_age_restored', 'complete', ['--no-safety-backup']);
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url('offsite_age'), server.url('offsite_age_restored'));
  });
});

describe('push --encrypt of a set encrypted already', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-offsite-twice-sealed-');

  it('is refused before anything reaches the storage (here: none listens)', async function () {
    await server.createDatabase('offsite_sealed_twice');
    await server.query('offsite_sealed_twice', 'CREATE TABLE notes (id int PRIMARY KEY); INSERT INTO notes VALUES (1)');
    const folder = newFolder();
    const passphrase = join(newFolder(), 'passphrase');
    writeFileSync(passphrase, 'correct horse battery staple\n', { mode: 0o600 });
    const manifest = await backupSet(server, 'offsite_sealed_twice', folder, 'sealed', ['--encrypt', '--passphrase-file', passphrase]);
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const refused = await runCli(
      ['push', manifest.id, '--dir', folder, '--to', 's3://pulse-offsite/sealed', '--endpoint', endpoint, '--encrypt', '--passphrase-file', passphrase],
      {
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
      },
    );
    assertOneLineError(refused, 2);
    assert.match(refused.stderr, new RegExp(`^pulse-backup: the set ${manifest.id} is encrypted already: push it as it is, without encrypting it again`));
  });
});

describe('a compressed set offsite', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-offsite-gzip-');
  let s3: S3TestServer;

  before(async function () {
    s3 = await startS3Server();
  });

  after(async function () {
    await s3?.stop();
  });

  it('pushes its ….sql.gz files as they are, lists complete, and pulls back a set that verifies and restores equal', async function () {
    const folder = newFolder();
    await server.createDatabase('offsite_gzip');
    await loadSample(
      server,
      'offsite_gzip',
      sampleCases().find((sample) => sample.name === 'factory')!,
    );
    const manifest = await backupSet(server, 'offsite_gzip', folder, 'packed', ['--compress', 'gzip']);
    const pushed = await runCli(['push', manifest.id, '--dir', folder, '--to', s3.url('packed'), ...s3.flags()], { env: s3.env() });
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.deepEqual(await s3.keys('packed/'), [...manifest.files.map((file) => file.name), `${manifest.id}.manifest.json`].map((name) => `packed/${manifest.id}/${name}`).sort());
    assert.ok(manifest.files.every((file) => file.name.endsWith('.sql.gz')));
    const listed = JSON.parse((await runCli(['list', '--remote', s3.url('packed'), ...s3.flags(), '--json'], { env: s3.env() })).stdout) as RemoteSet[];
    assert.deepEqual(
      listed.map((set) => [set.id, set.status]),
      [[manifest.id, 'complete']],
    );

    const target = newFolder();
    const pulled = await runCli(['pull', manifest.id, '--dir', target, '--from', s3.url('packed'), ...s3.flags()], { env: s3.env() });
    assert.equal(pulled.code, 0, pulled.stderr);
    for (const file of manifest.files) assert.equal(sha256(join(target, file.name)), file.sha256, file.name);
    const verify = await runCli(['verify', manifest.id, '--dir', target]);
    assert.equal(verify.code, 0, verify.stderr);
    await server.createDatabase('offsite_gzip_restored');
    const restored = await restoreSet(server, manifest.id, target, 'offsite_gzip_restored', 'complete', ['--no-safety-backup']);
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url('offsite_gzip'), server.url('offsite_gzip_restored'));
  });
});
