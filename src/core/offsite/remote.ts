/**
 * Where a remote copy lives, and the one remote layout: the set `P_TS` under
 * `s3://BUCKET/PREFIX/` is the objects `PREFIX/P_TS/<file name>` — its three
 * dump files (`….sql`, or `….sql.age` when encrypted) and its manifest
 * `PREFIX/P_TS/P_TS.manifest.json`, written last. Pure: parsing, keys, and
 * reading keys back into sets, unit-tested on plain strings.
 */
import { PulseError } from '../errors';
import { commandLineOnly, hint, option, run } from '../hint';
import { isValidTimestamp, manifestNameFor, parseSetId } from '../sets/naming';

export interface RemoteLocation {
  bucket: string;
  /** The key prefix without slashes at either end; '' for the bucket's top. */
  prefix: string;
}

// S3's bucket rules (3–63 characters, lower-case letters, digits, dots and hyphens), loose enough for R2, B2 and MinIO.
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Reads `s3://bucket/prefix` (the prefix optional); anything else is a usage error that shows the shape. */
export function parseRemoteUrl(url: string): RemoteLocation {
  const match = /^s3:\/\/([^/?#]+)(?:\/([^?#]*))?$/.exec(url.trim());
  const bucket = match?.[1];
  if (!match || bucket === undefined) {
    throw new PulseError('usage', `"${withoutSecrets(url)}" is not an s3:// URL`, { hint: 'write it as s3://BUCKET/PREFIX, e.g. s3://my-backups/factory-pulse' });
  }
  if (bucket.includes('@')) {
    throw new PulseError('usage', 'the s3:// URL holds credentials before the bucket', {
      hint: hint`write it as s3://BUCKET/PREFIX, ${commandLineOnly(hint`and the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile`, hint`and keep the keys in secret storage: ${run('setOffsiteCredentials')}`)}`,
    });
  }
  if (!BUCKET_PATTERN.test(bucket)) {
    throw new PulseError('usage', `"${bucket}" is not a bucket name`, {
      hint: 'bucket names are 3 to 63 lower-case letters, digits, dots and hyphens; write the URL as s3://BUCKET/PREFIX',
    });
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/');
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new PulseError('usage', `the prefix "${prefix}" has a . or .. segment`, { hint: 'write the URL as s3://BUCKET/PREFIX with plain folder names' });
  }
  return { bucket, prefix };
}

/** A mistyped URL as it can be shown: a user and password before a host, and a query or fragment (a signed URL's signature), left out. */
function withoutSecrets(url: string): string {
  const cut = url.search(/[?#]/);
  return (cut === -1 ? url : `${url.slice(0, cut)}?…`).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1…@');
}

export function remoteUrl(location: RemoteLocation, setId?: string, fileName?: string): string {
  return `s3://${location.bucket}/${[location.prefix, setId, fileName].filter((part) => part !== undefined && part !== '').join('/')}`;
}

/** `PREFIX/` (or '' at the bucket's top): what every key of the remote starts with. */
export function keyPrefix(location: RemoteLocation): string {
  return location.prefix === '' ? '' : `${location.prefix}/`;
}

/** `PREFIX/P_TS/`: the folder of one set. */
export function setKeyPrefix(location: RemoteLocation, setId: string): string {
  return `${keyPrefix(location)}${setId}/`;
}

export function objectKey(location: RemoteLocation, setId: string, fileName: string): string {
  return `${setKeyPrefix(location, setId)}${fileName}`;
}

export function manifestKey(location: RemoteLocation, setId: string): string {
  const parsed = parseSetId(setId);
  if (!parsed) throw new PulseError('usage', `"${setId}" is not a set id`, { hint: 'a set id is PREFIX_YYYYMMDD_HHMMSS, as list shows it' });
  return objectKey(location, setId, manifestNameFor(parsed.prefix, parsed.timestamp));
}

export interface KeyInSet {
  setId: string;
  /** The object's name inside the set's folder. */
  name: string;
  isManifest: boolean;
}

/** Which set a key belongs to; undefined for keys that are not in a set's folder (other files under the prefix). */
export function setOfKey(location: RemoteLocation, key: string): KeyInSet | undefined {
  const start = keyPrefix(location);
  if (!key.startsWith(start)) return undefined;
  const [setId, name, ...rest] = key.slice(start.length).split('/');
  if (setId === undefined || name === undefined || name === '' || rest.length > 0) return undefined;
  const parsed = parseSetId(setId);
  if (!parsed || !isValidTimestamp(parsed.timestamp)) return undefined;
  return { setId, name, isManifest: name === manifestNameFor(parsed.prefix, parsed.timestamp) };
}

/** The endpoint as a person reads it: the service's own for AWS, the URL given otherwise, never with credentials in it. */
export function describeEndpoint(endpoint: string | undefined, region: string | undefined): string {
  if (endpoint === undefined) return `AWS S3${region ? ` (${region})` : ''}`;
  try {
    const url = new URL(endpointWithoutCredentials(endpoint));
    url.search = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return 'the endpoint given';
  }
}

/** The endpoint URL as given, less a user and password in it (the keys come from the environment or a profile); a text that is no URL, as it is. */
export function endpointWithoutCredentials(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    if (url.username === '' && url.password === '') return endpoint;
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return endpoint;
  }
}

/** The endpoint option, for hints that ask for it. */
export const endpointOption = option('offsiteEndpoint');
export const regionHint = (region: string) => hint`pass ${option('offsiteRegion', region)}`;
