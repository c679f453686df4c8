/**
 * The offsite capability's pure parts: the s3:// URL and the remote layout,
 * the part size, which stopped uploads are abandoned, the remote retention
 * plan, and what each of the storage's answers means in one line — read
 * from errors shaped as the SDK makes them — with nothing secret in it.
 */
import { strict as assert } from 'node:assert';
import { cliError } from '../../src/core/commandLineWords';
import { PulseError } from '../../src/core/errors';
import { redactRemoteText, remoteFailure, type FailureContext } from '../../src/core/offsite/failures';
import type { RemoteSet } from '../../src/core/offsite/listing';
import { describeEndpoint, endpointWithoutCredentials, manifestKey, objectKey, parseRemoteUrl, setOfKey } from '../../src/core/offsite/remote';
import { planRemotePrune } from '../../src/core/offsite/retention';
import { PART_SIZE, partSizeFor } from '../../src/core/offsite/transfer';
import { abandonedUploads } from '../../src/core/offsite/uploads';

const location = { bucket: 'team-backups', prefix: 'factory/prod' };

describe('offsite: the remote and its layout', () => {
  it('reads s3://BUCKET/PREFIX, with or without a prefix, and refuses anything else with the shape to use', () => {
    assert.deepEqual(parseRemoteUrl('s3://team-backups/factory/prod/'), location);
    assert.deepEqual(parseRemoteUrl('s3://team-backups'), { bucket: 'team-backups', prefix: '' });
    assert.deepEqual(parseRemoteUrl('s3://team-backups//a//b'), { bucket: 'team-backups', prefix: 'a/b' });
    for (const url of ['https://team-backups/x', 'team-backups/x', 's3://', 's3://Upper_Case/x', 's3://b/../x']) {
      assert.throws(
        () => parseRemoteUrl(url),
        (error: unknown) => error instanceof PulseError && error.code === 'usage',
        url,
      );
    }
  });

  it('never shows the keys or the signature of a mistyped URL in its error', () => {
    const cases: [string, RegExp][] = [
      ['s3://AKIAXX:SuperSecretKey123@hunt/p1', /^the s3:\/\/ URL holds credentials before the bucket: write it as s3:\/\/BUCKET\/PREFIX, and the keys in AWS_ACCESS_KEY_ID/],
      ['s3://SuperSecretKey123@hunt', /^the s3:\/\/ URL holds credentials before the bucket/],
      ['https://hunt.s3.amazonaws.com/p1?X-Amz-Credential=AKIAXX&X-Amz-Signature=abcdef', /^"https:\/\/hunt\.s3\.amazonaws\.com\/p1\?…" is not an s3:\/\/ URL/],
      ['https://AKIAXX:SuperSecretKey123@hunt.example/p1#abcdef', /^"https:\/\/…@hunt\.example\/p1\?…" is not an s3:\/\/ URL/],
      ['s3://hunt/p1?X-Amz-Signature=abcdef', /^"s3:\/\/hunt\/p1\?…" is not an s3:\/\/ URL/],
    ];
    for (const [url, expected] of cases) {
      assert.throws(
        () => parseRemoteUrl(url),
        (error: unknown) => {
          const text = cliError(error);
          assert.match(text, expected, url);
          assert.doesNotMatch(text, /SuperSecretKey123|AKIAXX|abcdef/, url);
          return (error as PulseError).code === 'usage';
        },
        url,
      );
    }
  });

  it('puts a set under PREFIX/SET_ID/, its manifest beside its files, and reads keys back into sets', () => {
    assert.equal(objectKey(location, 'app_20250901_173948', 'app_data_backup_20250901_173948.sql'), 'factory/prod/app_20250901_173948/app_data_backup_20250901_173948.sql');
    assert.equal(manifestKey(location, 'app_20250901_173948'), 'factory/prod/app_20250901_173948/app_20250901_173948.manifest.json');
    assert.equal(manifestKey({ bucket: 'b-1', prefix: '' }, 'app_20250901_173948'), 'app_20250901_173948/app_20250901_173948.manifest.json');
    assert.deepEqual(setOfKey(location, 'factory/prod/app_20250901_173948/app_20250901_173948.manifest.json'), {
      setId: 'app_20250901_173948',
      name: 'app_20250901_173948.manifest.json',
      isManifest: true,
    });
    assert.equal(setOfKey(location, 'factory/prod/app_20250901_173948/app_schema_backup_20250901_173948.sql')?.isManifest, false);
    for (const stray of [
      'factory/prod/notes.txt',
      'factory/prod/app_20251399_000000/x.sql',
      'factory/prod/app_20250901_173948/deeper/x',
      'factory/other/app_20250901_173948/x',
      'factory/prodx/app_20250901_173948/x',
    ]) {
      assert.equal(setOfKey(location, stray), undefined, stray);
    }
  });

  it('names the endpoint without credentials or a query, and AWS S3 by its region', () => {
    assert.equal(describeEndpoint(undefined, 'eu-west-1'), 'AWS S3 (eu-west-1)');
    assert.equal(describeEndpoint('https://key:secret@acct.r2.cloudflarestorage.com/?X-Amz-Signature=abc', undefined), 'https://acct.r2.cloudflarestorage.com');
    // For a command to run again: the URL as given, less its user and password.
    assert.equal(endpointWithoutCredentials('http://127.0.0.1:9000'), 'http://127.0.0.1:9000');
    assert.equal(endpointWithoutCredentials('https://AKIA:S3cret@minio.local:9000/s3'), 'https://minio.local:9000/s3');
    assert.equal(describeEndpoint('https://abc.supabase.co/storage/v1/s3', 'eu-central-1'), 'https://abc.supabase.co/storage/v1/s3');
  });

  it('uploads in 5 MiB parts, larger only where 10,000 of them would not hold the file', () => {
    assert.equal(partSizeFor(1), PART_SIZE);
    assert.equal(partSizeFor(10_000 * PART_SIZE), PART_SIZE);
    assert.equal(partSizeFor(200 * 1024 * 1024 * 1024), 21 * 1024 * 1024);
    assert.equal(PART_SIZE, 5 * 1024 * 1024);
  });
});

describe('offsite: stopped uploads and remote retention', () => {
  const now = new Date('2025-09-02T12:00:00Z');
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3600_000);

  it("aborts every stopped upload of the set being pushed, other sets' only once a day old, and nothing outside the sets", () => {
    const uploads = [
      { key: 'factory/prod/app_20250902_110000/app_data_backup_20250902_110000.sql', uploadId: 'mine', initiated: hoursAgo(0.1) },
      { key: 'factory/prod/app_20250901_110000/app_data_backup_20250901_110000.sql', uploadId: 'running-elsewhere', initiated: hoursAgo(2) },
      { key: 'factory/prod/app_20250801_110000/app_data_backup_20250801_110000.sql', uploadId: 'dead', initiated: hoursAgo(30) },
      { key: 'factory/prod/unrelated.bin', uploadId: 'not-ours', initiated: hoursAgo(300) },
    ];
    assert.deepEqual(
      abandonedUploads({ location }, uploads, 'app_20250902_110000', now).map((upload) => upload.uploadId),
      ['mine', 'dead'],
    );
    assert.deepEqual(
      abandonedUploads({ location }, uploads, undefined, now).map((upload) => upload.uploadId),
      ['dead'],
    );
  });

  const set = (id: string, status: RemoteSet['status'], extra: Partial<RemoteSet> = {}): RemoteSet => ({
    id,
    prefix: 'app',
    timestamp: id.slice(4),
    createdAt: now.toISOString(),
    status,
    problems: [],
    files: [],
    totalBytes: 0,
    purpose: 'backup',
    url: `s3://team-backups/${id}`,
    encrypted: false,
    ...extra,
  });

  it('keeps the newest N complete sets; damaged, safety and fresh unfinished sets stay; old leftovers go', () => {
    const sets = [
      set('app_20250902_110000', 'incomplete', { lastWrittenAt: hoursAgo(0.2).toISOString() }),
      set('app_20250902_100000', 'damaged'),
      set('app_20250902_090000', 'complete'),
      set('app_20250901_090000', 'complete', { purpose: 'safety' }),
      set('app_20250831_090000', 'complete'),
      set('app_20250830_090000', 'complete'),
      set('app_20250801_090000', 'incomplete', { lastWrittenAt: hoursAgo(40).toISOString() }),
    ];
    const plan = planRemotePrune(sets, 2, now);
    assert.deepEqual(
      plan.remove.map((remote) => remote.id),
      ['app_20250830_090000'],
    );
    assert.deepEqual(
      plan.leftovers.map((remote) => remote.id),
      ['app_20250801_090000'],
    );
    assert.deepEqual(
      plan.keep.map((remote) => remote.id),
      ['app_20250902_110000', 'app_20250902_100000', 'app_20250902_090000', 'app_20250901_090000', 'app_20250831_090000'],
    );
  });

  it('never removes the newest complete set, nor the one a push just wrote, and refuses to keep none', () => {
    const sets = [set('app_20250902_090000', 'complete'), set('app_20250901_090000', 'complete'), set('app_20250831_090000', 'complete')];
    assert.deepEqual(
      planRemotePrune(sets, 1, now).remove.map((remote) => remote.id),
      ['app_20250901_090000', 'app_20250831_090000'],
    );
    assert.deepEqual(
      planRemotePrune(sets, 1, now, { justPushed: 'app_20250831_090000' }).remove.map((remote) => remote.id),
      ['app_20250901_090000'],
    );
    assert.throws(() => planRemotePrune(sets, 0, now), /keeps at least the newest set/);
  });

  it("counts each set prefix's sets on their own, and a push's retention never looks past its own prefix", () => {
    const sets = [
      set('app_20250902_090000', 'complete'),
      set('big_20250901_090000', 'complete', { prefix: 'big', timestamp: '20250901_090000' }),
      set('big_20250801_090000', 'incomplete', { prefix: 'big', timestamp: '20250801_090000', lastWrittenAt: hoursAgo(40).toISOString() }),
      set('app_20250831_090000', 'complete'),
      set('big_20250830_090000', 'complete', { prefix: 'big', timestamp: '20250830_090000' }),
    ];
    assert.deepEqual(
      planRemotePrune(sets, 1, now).remove.map((remote) => remote.id),
      ['app_20250831_090000', 'big_20250830_090000'],
    );
    const pushed = planRemotePrune(sets, 1, now, { justPushed: 'app_20250902_090000', prefix: 'app' });
    assert.deepEqual(
      [pushed.remove, pushed.leftovers, pushed.keep].map((part) => part.map((remote) => remote.id)),
      [['app_20250831_090000'], [], ['app_20250902_090000']],
    );
  });
});

describe("offsite: the storage's answers in one line", () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const context: FailureContext = { bucket: 'team-backups', key: 'factory/prod/app_1/app.sql', where: 'AWS S3 (us-east-1)', region: 'us-east-1', secrets: [secret] };
  const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(typeof extra.message === 'string' ? extra.message : name), { name, Code: name, $metadata: { httpStatusCode: status }, ...extra });
  const line = (error: unknown, overrides: Partial<FailureContext> = {}) => {
    const failure = remoteFailure(error, { ...context, ...overrides });
    return { code: failure.code, text: cliError(failure), details: failure.details ?? '' };
  };

  it('no credentials: says where they are looked for', () => {
    const result = line(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), { key: undefined });
    assert.equal(result.code, 'offsite-no-credentials');
    assert.equal(
      result.text,
      'cannot sign in to AWS S3 (us-east-1) for s3://team-backups: no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile of ~/.aws/credentials with --aws-profile NAME',
    );
    assert.match(
      line(Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }), { profile: 'backups' }).text,
      /the profile "backups" has no usable keys/,
    );
  });

  it('wrong keys, and keys without the permissions, are told apart', () => {
    for (const name of ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken']) {
      const result = line(sdkError(name, 403));
      assert.equal(result.code, 'offsite-access-denied');
      assert.match(
        result.text,
        new RegExp(`^AWS S3 \\(us-east-1\\) rejected the credentials for s3://team-backups/factory/prod/app_1/app.sql \\(${name}\\): check that AWS_ACCESS_KEY_ID`),
      );
    }
    assert.match(
      line(sdkError('AccessDenied', 403)).text,
      /^access denied to s3:\/\/team-backups\/factory\/prod\/app_1\/app.sql at AWS S3 \(us-east-1\): give these credentials s3:ListBucket, s3:GetObject, s3:PutObject/,
    );
  });

  it('a missing bucket, the wrong region, a clock far off and an endpoint out of reach', () => {
    assert.equal(line(sdkError('NoSuchBucket', 404)).code, 'offsite-bucket-not-found');
    assert.equal(
      line(sdkError('NotFound', 404), { key: undefined }).text,
      "the bucket team-backups does not exist at AWS S3 (us-east-1): create it, or check the bucket's name in the s3:// URL and --endpoint",
    );
    assert.equal(
      line(sdkError('PermanentRedirect', 301, { $response: { statusCode: 301, headers: { 'x-amz-bucket-region': 'eu-west-1' } } })).text,
      'the bucket team-backups is in eu-west-1, not us-east-1: pass --region eu-west-1',
    );
    assert.equal(
      line(sdkError('AuthorizationHeaderMalformed', 400, { message: "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'ap-southeast-2'" })).text,
      'the bucket team-backups is in ap-southeast-2, not us-east-1: pass --region ap-southeast-2',
    );
    assert.match(line(new Error('Region is missing')).text, /^no region for s3:\/\/team-backups: pass --region REGION/);
    assert.equal(line(sdkError('RequestTimeTooSkewed', 403)).code, 'offsite-clock-skew');
    assert.match(line(sdkError('RequestTimeTooSkewed', 403)).text, /this machine's clock is too far off: set the clock right/);
    for (const [code, words] of [
      ['ECONNREFUSED', 'connection refused'],
      ['ENOTFOUND', 'host not found'],
      ['ETIMEDOUT', 'timed out'],
    ]) {
      const result = line(Object.assign(new Error(`connect ${code} 127.0.0.1:9000`), { code }), { where: 'http://127.0.0.1:9000' });
      assert.equal(result.code, 'offsite-unreachable');
      assert.match(
        result.text,
        new RegExp(`^cannot reach http://127.0.0.1:9000 \\(${words}\\) for s3://team-backups/factory/prod/app_1/app.sql: check the network and --endpoint`),
      );
    }
  });

  it('says nothing was changed there only when nothing was asked to change', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const hintOf = (writes?: FailureContext['writes']) => line(reset, writes === undefined ? {} : { writes }).text.replace(/^.*?: check the network and --endpoint, then /, '');
    assert.equal(hintOf(), 'run it again; nothing was changed there');
    assert.equal(hintOf('aborted-uploads'), 'run it again; only abandoned uploads were cleaned there');
    assert.equal(hintOf('uploads'), 'push it again to finish the copy: anything it left there is listed INCOMPLETE, never as good, until then');
    assert.match(hintOf('removals'), /^prune the remote again: a set it removed in part lost its manifest first, so it is listed INCOMPLETE, never as good/);
    assert.doesNotMatch(line(sdkError('InternalError', 500), { writes: 'uploads' }).text, /nothing was changed/);
    assert.match(line(sdkError('InternalError', 500), { writes: 'uploads' }).text, /; push it again to finish the copy/);
    assert.equal(line(Object.assign(new Error('aborted'), { name: 'AbortError' }), { writes: 'removals' }).code, 'cancelled');
    assert.doesNotMatch(line(Object.assign(new Error('aborted'), { name: 'AbortError' }), { writes: 'removals' }).text, /nothing was changed/);
  });

  it('TLS failures say what is wrong with the certificate and what to do, never to turn verification off', () => {
    const tls = (code: string, message = code) => line(Object.assign(new Error(message), { code }), { where: 'https://minio.lan:9000', key: undefined });
    assert.match(
      tls('DEPTH_ZERO_SELF_SIGNED_CERT').text,
      /^cannot reach https:\/\/minio\.lan:9000 for s3:\/\/team-backups: its certificate is not trusted here .*NODE_EXTRA_CA_CERTS=/,
    );
    assert.match(tls('SELF_SIGNED_CERT_IN_CHAIN').text, /NODE_EXTRA_CA_CERTS=/);
    assert.match(tls('CERT_HAS_EXPIRED').text, /: its certificate has expired: renew the storage's certificate, or check this machine's clock; nothing was changed there$/);
    assert.match(tls('ERR_TLS_CERT_ALTNAME_INVALID').text, /: its certificate is for another host name: give --endpoint by the host name its certificate names/);
    assert.match(
      tls('EPROTO', 'write EPROTO 40E8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number').text,
      /: it does not speak TLS there: if that port serves plain HTTP, write --endpoint as http:\/\/HOST:PORT/,
    );
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'EPROTO']) {
      assert.equal(tls(code).code, 'offsite-unreachable');
      assert.doesNotMatch(tls(code).text, /run it again|REJECT_UNAUTHORIZED|rejectUnauthorized|insecure/i);
    }
  });

  it('never shows a secret or a signed URL, in the line or in the details', () => {
    const leaky = sdkError('InternalError', 500, {
      message: `failed https://team-backups.s3.amazonaws.com/app.sql?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250901%2Fus-east-1&X-Amz-Signature=0123456789abcdef0123456789abcdef with ${secret}`,
    });
    const result = line(leaky);
    for (const text of [result.text, result.details]) {
      assert.ok(!text.includes(secret), text);
      assert.doesNotMatch(text, /X-Amz-Signature=0|X-Amz-Credential=AKIA|0123456789abcdef0123/);
    }
    assert.equal(
      redactRemoteText(
        'Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250901/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024',
      ),
      'Authorization: AWS4-HMAC-SHA256 Credential=****, SignedHeaders=host, Signature=****',
    );
    assert.equal(redactRemoteText('http://minio:minio-secret@127.0.0.1:9000/b'), 'http://****@127.0.0.1:9000/b');
  });
});
