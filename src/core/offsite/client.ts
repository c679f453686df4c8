/**
 * A connection to S3-compatible storage: the AWS SDK loaded on first use,
 * the endpoint, region and path style resolved, and the credentials either
 * given (the extension's secret storage) or found by the SDK's standard
 * chain (environment, shared config and credentials files and their
 * profiles, SSO, the container's or instance's role). They are resolved
 * once, up front, so that missing ones are the first error, and every
 * secret that came with them is known to the redaction of what is printed.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { PulseError } from '../errors';
import { commandLineOnly, hint, option, run } from '../hint';
import { describeEndpoint, remoteUrl, type RemoteLocation } from './remote';
import { remoteFailure, type RemoteWrites } from './failures';

export type OffsiteSdk = typeof import('./sdk');

export interface RemoteCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RemoteConnection {
  location: RemoteLocation;
  /** A custom endpoint (R2, B2, MinIO, Supabase Storage); absent: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS S3. */
  endpoint?: string;
  /** Absent: AWS_REGION, AWS_DEFAULT_REGION, the profile's; us-east-1 for a custom endpoint that names none. */
  region?: string;
  /** true: bucket in the path; absent (auto): in the path for a custom endpoint, in the host name for AWS S3. */
  pathStyle?: boolean;
  /** A profile of ~/.aws/config and ~/.aws/credentials (else AWS_PROFILE, else default). */
  profile?: string;
  /** Given by the caller; absent: the SDK's standard chain. */
  credentials?: RemoteCredentials;
  /** Where the endpoint and region variables are read (the SDK reads its own from the process). */
  env?: NodeJS.ProcessEnv;
  /** The person's stop (Ctrl-C, a cancelled task): a request that fails after it was cancelled, not a storage that failed. */
  signal?: AbortSignal;
}

export interface Remote {
  readonly sdk: OffsiteSdk;
  readonly s3: S3Client;
  readonly location: RemoteLocation;
  /** "https://….r2.cloudflarestorage.com" or "AWS S3 (eu-west-1)", never with credentials. */
  readonly where: string;
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
  /** Every secret these credentials hold: never in a message, a log or a report. */
  readonly secrets: readonly string[];
  url(setId?: string, fileName?: string): string;
  /** The SDK's error as one line naming the bucket and the key, with what to do. */
  failure(error: unknown, key?: string): PulseError;
}

/** The commands that change the storage, by the kind of change a failure after them reports. */
const WRITES: Record<string, RemoteWrites> = {
  PutObjectCommand: 'uploads',
  CreateMultipartUploadCommand: 'uploads',
  UploadPartCommand: 'uploads',
  CompleteMultipartUploadCommand: 'uploads',
  DeleteObjectCommand: 'removals',
  DeleteObjectsCommand: 'removals',
  AbortMultipartUploadCommand: 'aborted-uploads',
};

let loading: Promise<OffsiteSdk> | undefined;

/** The SDK, loaded once, on first use (see sdk.ts for why it is a bundle of its own). */
export function loadOffsiteSdk(): Promise<OffsiteSdk> {
  // The SDK warns on every start under Node 20 about its own future support; that is no news for a person running a backup.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  loading ??= import('./sdk');
  return loading;
}

/** A connection to open fails fast and says why: 10 s to connect, and the SDK's three tries with backoff. */
const CONNECT_TIMEOUT_MS = 10_000;
const MAX_ATTEMPTS = 3;
/**
 * How long a connection may carry nothing either way before its request is
 * given up (and tried again, as the SDK tries a timed-out request): a
 * server that accepts and never answers would otherwise be waited on for
 * ever. It counts silence, not the request's length, so a large part on a
 * slow link, whose bytes keep moving, is never cut; S3 keeps a long
 * CompleteMultipartUpload alive with whitespace.
 */
export const IDLE_TIMEOUT_SECONDS = 60;
export const IDLE_TIMEOUT_VARIABLE = 'PULSE_BACKUP_OFFSITE_IDLE_SECONDS';

export async function openRemote(connection: RemoteConnection): Promise<Remote> {
  const env = connection.env ?? process.env;
  const endpoint = resolveEndpoint(connection.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL));
  const region = connection.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? (endpoint === undefined ? undefined : 'us-east-1');
  const sdk = await loadOffsiteSdk();
  const s3 = new sdk.S3Client({
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    forcePathStyle: connection.pathStyle ?? endpoint !== undefined,
    ...(connection.profile === undefined ? {} : { profile: connection.profile }),
    ...(connection.credentials === undefined ? {} : { credentials: connection.credentials }),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: idleTimeoutMs(env) },
  });
  const where = describeEndpoint(endpoint, region);
  const secrets: string[] = [];
  // What this connection has asked the storage to change, so that a failure never says "nothing was changed there" after a write.
  let writes: RemoteWrites | undefined;
  s3.middlewareStack.add(
    (next, context) => (args) => {
      const kind = WRITES[context.commandName ?? ''];
      // The latest change speaks (a push that removed a damaged copy's manifest is then uploading; a push's --keep then removing),
      // but aborting uploads never hides a change: an upload's own abort after its parts does not make them "only abandoned uploads".
      if (kind !== undefined && (kind !== 'aborted-uploads' || writes === undefined)) writes = kind;
      return next(args);
    },
    { step: 'initialize', name: 'pulseBackupWrites' },
  );
  const remote: Remote = {
    sdk,
    s3,
    location: connection.location,
    where,
    endpoint,
    region,
    secrets,
    url: (setId, fileName) => remoteUrl(connection.location, setId, fileName),
    failure: (error, key) =>
      remoteFailure(error, {
        bucket: connection.location.bucket,
        key,
        where,
        region,
        ...(connection.profile ? { profile: connection.profile } : {}),
        secrets,
        cancelled: connection.signal?.aborted === true,
        ...(writes === undefined ? {} : { writes }),
      }),
  };
  try {
    const resolved = await s3.config.credentials();
    for (const secret of [resolved.secretAccessKey, resolved.sessionToken]) if (secret) secrets.push(secret);
  } catch (error) {
    s3.destroy();
    throw remote.failure(error);
  }
  return remote;
}

function resolveEndpoint(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new PulseError('usage', 'the endpoint is not an http(s) URL', {
      hint: hint`write ${option('offsiteEndpoint')} as https://HOST, e.g. https://ACCOUNT_ID.r2.cloudflarestorage.com`,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new PulseError('usage', 'the endpoint URL holds credentials', {
      hint: hint`give the endpoint without them, ${commandLineOnly(hint`and the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile`, hint`and keep the keys in secret storage: ${run('setOffsiteCredentials')}`)}`,
    });
  }
  return endpoint.replace(/\/+$/, '');
}

/** PULSE_BACKUP_OFFSITE_IDLE_SECONDS when it is a positive number, else a minute. */
function idleTimeoutMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(nonEmpty(env[IDLE_TIMEOUT_VARIABLE]));
  return Math.round((Number.isFinite(seconds) && seconds > 0 ? seconds : IDLE_TIMEOUT_SECONDS) * 1000);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
