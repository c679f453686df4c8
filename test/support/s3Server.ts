/**
 * A real S3-protocol server for the offsite tests: s3rver (from npm) on a
 * free loopback port, its objects in a temporary folder, one bucket made
 * at start. The tests talk to it with the real AWS SDK, through the CLI.
 *
 * s3rver leaves out two calls that AWS S3, R2, B2 and MinIO all have and
 * that the cleaning of stopped uploads needs: ListMultipartUploads and
 * AbortMultipartUpload. They are added here, over s3rver's own folder of
 * pending uploads (`._S3rver_uploads/<upload id>/` with the key, the
 * metadata and the parts), which is also what `pendingUploads()` reads: the
 * test's look at what is stored does not go through the code under test.
 * `slowParts` holds each UploadPart back, so a test can kill a push while
 * it is surely midway; `denyDeletes` refuses object deletions, as keys
 * without s3:DeleteObject are refused.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export const S3_ACCESS_KEY_ID = 'S3RVER';
export const S3_SECRET_ACCESS_KEY = 'S3RVER';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** Where s3rver keeps its buckets. */
  directory: string;
  /** Multipart uploads begun and neither completed nor aborted, read from s3rver's folder. */
  pendingUploads(): { key: string; uploadId: string; parts: number }[];
  /** The environment the CLI needs to reach it: keys, no instance metadata lookups, no shared files of the machine's user. */
  env(overrides?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** The flags that point a command at it, besides the URL. */
  flags(): string[];
  url(prefix: string): string;
  /** The bucket's keys under a prefix, sorted, read with the SDK directly (not through the code under test). */
  keys(prefix?: string): Promise<string[]>;
  getObject(key: string): Promise<Buffer>;
  /** Writes an object behind the tool's back (a damaged copy, a stray file). */
  putObject(key: string, body: Buffer | string): Promise<void>;
  /** Removes an object behind the tool's back. */
  deleteObject(key: string): Promise<void>;
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  bucket?: string;
  /** Milliseconds each UploadPart waits before s3rver takes it. */
  slowParts?: number;
  /** Milliseconds each GetObject waits before s3rver answers it. */
  slowGets?: number;
  /** DeleteObject and DeleteObjects answer AccessDenied (aborting a multipart upload still works). */
  denyDeletes?: boolean;
}

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3TestServer> {
  const bucket = options.bucket ?? 'pulse-offsite';
  const directory = mkdtempSync(join(tmpdir(), 'pulse-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  answerOnceWritten((server as unknown as { store: FilesystemStore }).store);
  const uploadsFolder = (name: string) => join(directory, name, '._S3rver_uploads');
  const pendingUploads = (name = bucket) => {
    let ids: string[];
    try {
      ids = readdirSync(uploadsFolder(name));
    } catch {
      return [];
    }
    return ids.flatMap((uploadId) => {
      const folder = join(uploadsFolder(name), uploadId);
      try {
        const parts = readdirSync(folder).filter((file) => /^\d+$/.test(file)).length;
        return [{ key: readFileSync(join(folder, 'key'), 'utf8'), uploadId, parts, initiated: statSync(join(folder, 'key')).mtime }];
      } catch {
        // One being begun (its key not written yet) or just completed.
        return [];
      }
    });
  };
  // Before s3rver's router (the last of its middleware): the two calls it lacks, and the slowing down.
  server.middleware.splice(server.middleware.length - 1, 0, async (context, next) => {
    const [, name, ...keyParts] = context.path.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    if (options.slowParts && context.method === 'PUT' && 'uploadId' in context.query && 'partNumber' in context.query) {
      await new Promise((resolve) => setTimeout(resolve, options.slowParts));
      // Aborted meanwhile: S3 refuses the part (s3rver would store it in a folder of its own, an upload without a key).
      if (name && typeof context.query.uploadId === 'string' && !existsSync(join(uploadsFolder(name), context.query.uploadId, 'key'))) {
        context.status = 404;
        context.type = 'application/xml';
        context.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
        return;
      }
    }
    if (options.slowGets && context.method === 'GET' && key !== '') await new Promise((resolve) => setTimeout(resolve, options.slowGets));
    const deletion = (context.method === 'DELETE' && key !== '' && !('uploadId' in context.query)) || (context.method === 'POST' && 'delete' in context.query);
    if (options.denyDeletes && deletion) {
      context.status = 403;
      context.type = 'application/xml';
      context.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`;
      return;
    }
    const calls =
      (context.method === 'GET' && key === '' && 'uploads' in context.query) || (context.method === 'DELETE' && key !== '' && typeof context.query.uploadId === 'string');
    const signedBy = /Credential=([^/]+)\//.exec(String(context.headers.authorization ?? ''))?.[1];
    if (calls && signedBy !== S3_ACCESS_KEY_ID) {
      context.status = 403;
      context.type = 'application/xml';
      context.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`;
      return;
    }
    if (context.method === 'GET' && key === '' && 'uploads' in context.query && name) {
      const prefix = typeof context.query.prefix === 'string' ? context.query.prefix : '';
      const uploads = pendingUploads(name).filter((upload) => upload.key.startsWith(prefix));
      context.type = 'application/xml';
      context.body = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
        `<Bucket>${name}</Bucket><Prefix>${escapeXml(prefix)}</Prefix><IsTruncated>false</IsTruncated>`,
        ...uploads.map(
          (upload) => `<Upload><Key>${escapeXml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId><Initiated>${upload.initiated.toISOString()}</Initiated></Upload>`,
        ),
        '</ListMultipartUploadsResult>',
      ].join('');
      return;
    }
    const uploadId = context.query.uploadId;
    if (context.method === 'DELETE' && key !== '' && typeof uploadId === 'string' && name) {
      const folder = join(uploadsFolder(name), uploadId);
      let known: boolean;
      try {
        known = readFileSync(join(folder, 'key'), 'utf8') === key;
      } catch {
        known = false;
      }
      if (!known) {
        context.status = 404;
        context.type = 'application/xml';
        context.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
        return;
      }
      rmSync(folder, { recursive: true, force: true });
      context.status = 204;
      context.body = '';
      return;
    }
    await next();
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const homeless = mkdtempSync(join(tmpdir(), 'pulse-s3-home-'));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY } });
  return {
    endpoint,
    bucket,
    directory,
    pendingUploads: () => pendingUploads().map(({ key, uploadId, parts }) => ({ key, uploadId, parts })),
    env: (overrides = {}) => ({
      AWS_ACCESS_KEY_ID: S3_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: S3_SECRET_ACCESS_KEY,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(homeless, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(homeless, 'credentials'),
      ...overrides,
    }),
    flags: () => ['--endpoint', endpoint],
    url: (prefix) => `s3://${bucket}/${prefix}`,
    async keys(prefix = '') {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (page.Contents ?? []).flatMap((item) => (item.Key ? [item.Key] : [])).sort();
    },
    async getObject(key) {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    },
    async putObject(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async deleteObject(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
      rmSync(homeless, { recursive: true, force: true });
    },
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The parts of s3rver's file store that answerOnceWritten wraps. */
interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, kind: 'object' | 'uploads'): string;
  putObject(object: { bucket: string; key: string }): Promise<{ size: number }>;
  putPart(bucket: string, uploadId: string, partNumber: number, content: unknown): Promise<{ size: number }>;
}

/**
 * s3rver answers a PutObject or an UploadPart once the bytes have passed
 * its hash, before its write stream has put them all in the file: a
 * HeadObject, or the completion that joins the parts, can then read a file
 * cut short (under load, a few 16 KiB chunks in). S3 answers once the
 * object is stored; so does this server, waiting for the file to hold what
 * was received.
 */
function answerOnceWritten(store: FilesystemStore): void {
  const whole = async (path: string, size: number) => {
    for (let waited = 0; waited < 10_000; waited += 5) {
      if ((statSync(path, { throwIfNoEntry: false })?.size ?? -1) >= size) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const putObject = store.putObject.bind(store);
  store.putObject = async (object) => {
    const stored = await putObject(object);
    await whole(store.getResourcePath(object.bucket, object.key, 'object'), stored.size);
    return stored;
  };
  const putPart = store.putPart.bind(store);
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const stored = await putPart(bucket, uploadId, partNumber, content);
    await whole(join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber)), stored.size);
    return stored;
  };
}
