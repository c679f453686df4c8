/**
 * What the storage's answers mean, in one line that names the bucket and
 * the key and says what to do: no credentials, wrong ones, access denied,
 * no such bucket, the wrong region, a clock too far off, no way to reach
 * the endpoint. Pure: it reads the SDK's error as data (its name, code,
 * HTTP status and headers, a network error's code), so every case is
 * unit-tested without a server. Nothing the SDK says is passed on without
 * `redactRemoteText`: a signed URL or a secret never reaches a person.
 */
import { PulseError, type PulseErrorCode } from '../errors';
import { commandLineOnly, hint, option, run, seeDetails, setOption, type Hint } from '../hint';

export interface FailureContext {
  bucket: string;
  key?: string;
  /** The endpoint as `describeEndpoint` words it. */
  where: string;
  region?: string;
  profile?: string;
  /** Secrets to blank wherever they appear. */
  secrets: readonly string[];
  /** The person stopped the run: whatever the SDK says of the request it cut, it was cancelled. */
  cancelled?: boolean;
  /** What the run had already asked the storage to change when this failed; absent: nothing. */
  writes?: RemoteWrites;
}

/**
 * The changes a run had sent when it failed, the latest kind: objects
 * written (a push), objects removed (a prune, or a push's --keep), or only
 * abandoned multipart uploads aborted. A request sent counts: one whose
 * answer was lost may have been carried out.
 */
export type RemoteWrites = 'uploads' | 'removals' | 'aborted-uploads';

/** What a failure leaves at the storage: "nothing was changed there" only when nothing was asked to change. */
function aftermath(writes: RemoteWrites | undefined): string {
  switch (writes) {
    case undefined:
      return 'nothing was changed there';
    case 'aborted-uploads':
      return 'only abandoned uploads were cleaned there';
    case 'uploads':
      return 'push it again to finish the copy: anything it left there is listed INCOMPLETE, never as good, until then';
    case 'removals':
      return 'prune the remote again: a set it removed in part lost its manifest first, so it is listed INCOMPLETE, never as good, and goes with the first prune once its objects are a day old';
  }
}

interface ErrorFacts {
  name: string;
  code: string;
  status: number | undefined;
  message: string;
  /** x-amz-bucket-region: where the bucket really is. */
  bucketRegion: string | undefined;
  /** The network error's code (ECONNREFUSED, ENOTFOUND, …), where it is one. */
  networkCode: string | undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);
const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  TimeoutError: 'timed out',
};

export function remoteFailure(error: unknown, context: FailureContext): PulseError {
  if (error instanceof PulseError) return error;
  const facts = factsOf(error);
  const object = `s3://${context.bucket}${context.key ? `/${context.key}` : ''}`;
  const make = (code: PulseErrorCode, message: string, advice: Hint) =>
    new PulseError(code, redactRemoteText(message, context.secrets), {
      hint: advice,
      details: redactRemoteText(`${facts.name} ${facts.code} HTTP ${facts.status ?? '-'}: ${facts.message}`, context.secrets),
      cause: error,
    });

  // The SDK's AbortError, or whatever a request cut by the person's stop ends in: a cancellation (exit 130), not the storage's fault.
  if (context.cancelled === true || facts.name === 'AbortError') {
    return make('cancelled', `cancelled before ${context.where} answered for ${object}`, hint`${aftermath(context.writes)}`);
  }
  if (facts.name === 'CredentialsProviderError' || /could not load credentials|credential is missing|resolved credential object is not valid/i.test(facts.message)) {
    const profile = context.profile ? `the profile "${context.profile}" has no usable keys` : 'no AWS credentials were found';
    return make('offsite-no-credentials', `cannot sign in to ${context.where} for s3://${context.bucket}: ${profile}`, credentialsAdvice());
  }
  if (/region is missing/i.test(facts.message)) {
    return make('offsite-wrong-region', `no region for s3://${context.bucket}`, hint`${regionAdvice('REGION')} (the bucket's region, e.g. eu-west-1)`);
  }
  const tls = tlsProblem(facts);
  if (tls !== undefined) {
    // Never advice to turn verification off: a storage that cannot prove who it is gets no backups.
    return make('offsite-unreachable', `cannot reach ${context.where} for ${object}: ${tls.why}`, hint`${tls.advice}; ${aftermath(context.writes)}`);
  }
  if (facts.networkCode !== undefined || facts.name === 'TimeoutError' || /socket hang up|getaddrinfo/i.test(facts.message)) {
    const why = NETWORK_WORDS[facts.networkCode ?? facts.name] ?? 'no answer';
    return make(
      'offsite-unreachable',
      `cannot reach ${context.where} (${why}) for ${object}`,
      context.writes === undefined || context.writes === 'aborted-uploads'
        ? hint`check the network and ${option('offsiteEndpoint')}, then run it again; ${aftermath(context.writes)}`
        : hint`check the network and ${option('offsiteEndpoint')}, then ${aftermath(context.writes)}`,
    );
  }
  if (facts.code === 'RequestTimeTooSkewed') {
    return make(
      'offsite-clock-skew',
      `${context.where} refused ${object}: this machine's clock is too far off`,
      hint`set the clock right (turn on network time), then run it again`,
    );
  }
  const wrongRegion =
    facts.bucketRegion !== undefined && facts.bucketRegion !== context.region
      ? facts.bucketRegion
      : /^(PermanentRedirect|AuthorizationHeaderMalformed|IllegalLocationConstraintException)$/.test(facts.code) || facts.status === 301
        ? ([...facts.message.matchAll(/'([a-z]{2}(?:-[a-z]+)+-\d)'/g)]
            .map((match) => match[1])
            .filter((region) => region !== context.region)
            .pop() ?? '')
        : undefined;
  if (wrongRegion !== undefined) {
    const inRegion = wrongRegion === '' ? 'in another region' : `in ${wrongRegion}`;
    return make(
      'offsite-wrong-region',
      `the bucket ${context.bucket} is ${inRegion}, not ${context.region ?? 'the one given'}`,
      regionAdvice(wrongRegion === '' ? 'REGION' : wrongRegion),
    );
  }
  if (facts.code === 'NoSuchBucket' || (facts.status === 404 && context.key === undefined)) {
    return make(
      'offsite-bucket-not-found',
      `the bucket ${context.bucket} does not exist at ${context.where}`,
      hint`create it, or check the bucket's name in the s3:// URL and ${option('offsiteEndpoint')}`,
    );
  }
  if (/^(InvalidAccessKeyId|SignatureDoesNotMatch|InvalidToken|ExpiredToken|TokenRefreshRequired|InvalidClientTokenId|UnrecognizedClientException)$/.test(facts.code)) {
    return make(
      'offsite-access-denied',
      `${context.where} rejected the credentials for ${object} (${facts.code})`,
      hint`${commandLineOnly(
        hint`check that AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the keys of the profile named with ${option('awsProfile')}) are this storage's and current`,
        hint`${run('setOffsiteCredentials')} with this storage's current keys`,
      )}`,
    );
  }
  if (facts.code === 'AccessDenied' || facts.code === 'AllAccessDisabled' || facts.status === 403) {
    return make(
      'offsite-access-denied',
      `access denied to ${object} at ${context.where}`,
      hint`give these credentials s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on the bucket, or use other credentials`,
    );
  }
  const answer = [facts.code || facts.name, facts.status ? `HTTP ${facts.status}` : ''].filter(Boolean).join(', ');
  const after = context.writes === undefined ? [] : hint`; ${aftermath(context.writes)}`;
  return make('offsite-failed', `${context.where} answered ${answer || 'with an error'} for ${object}`, hint`run it again; if it keeps failing, ${seeDetails()}${after}`);
}

/**
 * A server at the endpoint that answers, but not as S3 storage: a web
 * console, a proxy's or a router's page answering 200 to every path. The
 * SDK reads such an answer as an empty one, which would pass for a remote
 * without sets, or fail later on a "manifest" that is a web page.
 */
export function notS3Storage(context: Pick<FailureContext, 'bucket' | 'where'>): PulseError {
  return new PulseError('offsite-unreachable', `${context.where} did not answer as S3 storage for s3://${context.bucket}`, {
    hint: hint`check ${option('offsiteEndpoint')}: it must be the storage's S3 API, not its web console or another server's page; nothing was changed there`,
  });
}

/** An answer to a listing (ListObjectsV2, ListMultipartUploads) that holds none of the fields S3 always sends: not S3's. */
export function shapelessListing(page: { IsTruncated?: unknown; KeyCount?: unknown; MaxKeys?: unknown; MaxUploads?: unknown; Name?: unknown; Bucket?: unknown }): boolean {
  return (
    page.IsTruncated === undefined &&
    page.KeyCount === undefined &&
    page.MaxKeys === undefined &&
    page.MaxUploads === undefined &&
    page.Name === undefined &&
    page.Bucket === undefined
  );
}

const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** What a TLS failure means and what to do, from Node's error code (or OpenSSL's words for a port that speaks no TLS). */
function tlsProblem(facts: ErrorFacts): { why: string; advice: Hint } | undefined {
  const code = facts.code;
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return {
      why: `its certificate is not trusted here (${code}: self-signed, or signed by a private authority)`,
      advice: hint`if the storage's certificate comes from your own authority, give that authority's certificate to Node: NODE_EXTRA_CA_CERTS=/path/to/ca.pem`,
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      why: `its certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}`,
      advice: hint`renew the storage's certificate, or check this machine's clock`,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return { why: 'its certificate is for another host name', advice: hint`give ${option('offsiteEndpoint')} by the host name its certificate names` };
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || /wrong version number|packet length too long|unknown protocol/i.test(facts.message)) {
    return { why: 'it does not speak TLS there', advice: hint`if that port serves plain HTTP, write ${option('offsiteEndpoint')} as http://HOST:PORT` };
  }
  return undefined;
}

/** The environment and profiles on the command line; in VS Code, the keys it keeps in secret storage. */
function credentialsAdvice(first = 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'): Hint {
  return hint`${commandLineOnly(hint`${first}, or name a profile of ~/.aws/credentials with ${option('awsProfile', 'NAME')}`, hint`${run('setOffsiteCredentials')}`)}`;
}

/** "pass --region eu-west-1" on the command line; in VS Code, the setting. */
function regionAdvice(region: string): Hint {
  return hint`${commandLineOnly(hint`pass ${option('offsiteRegion', region)}`, hint`${setOption('offsiteRegion')}${region === 'REGION' ? '' : ` to ${region}`}`)}`;
}

function factsOf(error: unknown): ErrorFacts {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const metadata = (record.$metadata ?? {}) as { httpStatusCode?: unknown };
  const response = (record.$response ?? {}) as { statusCode?: unknown; headers?: Record<string, unknown> };
  const headers = response.headers ?? {};
  const status = typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : typeof response.statusCode === 'number' ? response.statusCode : undefined;
  const ownCode = text(record.code) ?? text(record.errno);
  const cause = record.cause as Record<string, unknown> | undefined;
  const causeCode = cause && typeof cause === 'object' ? text(cause.code) : undefined;
  const networkCode = [ownCode, causeCode].find((code) => code !== undefined && NETWORK_CODES.has(code));
  return {
    name: text(record.name) ?? 'Error',
    code: text(record.Code) ?? (ownCode && !NETWORK_CODES.has(ownCode) ? ownCode : undefined) ?? text(record.name) ?? '',
    status,
    message: text(record.message) ?? String(error),
    bucketRegion: text(headers['x-amz-bucket-region']) ?? text(record.BucketRegion) ?? text(record.Region),
    networkCode,
  };
}

/**
 * Text from the SDK or a server made safe to print: a signed URL's query
 * (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token), an
 * Authorization header's signature, credentials in a URL, and every known
 * secret, blanked.
 */
export function redactRemoteText(text: string, secrets: readonly string[] = []): string {
  let safe = text
    .replace(/(https?:\/\/[^\s"'<>]*?)\?[^\s"'<>]*X-Amz-[^\s"'<>]*/gi, '$1?****')
    .replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"'<>]+/gi, '$1****')
    .replace(/(Signature=)[0-9a-f]{16,}/gi, '$1****')
    .replace(/(Credential=)[^,\s]+/gi, '$1****')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1****@');
  for (const secret of secrets) if (secret.length >= 4) safe = safe.split(secret).join('****');
  return safe;
}
