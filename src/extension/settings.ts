/**
 * What the pulseBackup.* settings mean, without VS Code: their names and
 * defaults, how a folder setting's variables expand, the prefix and keep
 * rules, and how a connection URL is written without its password.
 * settingsStore.ts reads the values from VS Code; this module decides what
 * they say, so it can be tested in plain Node.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConnectionUrl, type ConnectionTarget } from '../core/connection/target';
import { PulseError, toPulseError } from '../core/errors';
import { parseRemoteUrl, type RemoteLocation } from '../core/offsite/remote';
import { defaultPrefix, isValidPrefix } from '../core/sets/naming';
import { PROFILE_CHOICES, type ProfileChoice } from '../core/backup/profile';
import { COMPRESSIONS, type Compression } from '../core/codecs/types';
import type { Manifest } from '../core/sets/manifest';
import { provesAutomatically } from '../core/prove/plan';
import { readSupabaseProject, supabasePrefix, type SupabaseProject } from '../core/supabase/project';
import { parseEvery, type BackupTimes } from '../core/schedule/when';
import { DEFAULT_KEEP, makePolicy, POLICY_RULES, type PolicyRule, type RetentionPolicy } from '../core/retention/policy';

export const SETTINGS_SECTION = 'pulseBackup';

/**
 * Setting names under pulseBackup., as package.json declares them. VS Code
 * titles a setting from its name: connectionURL reads "Connection URL",
 * retention.keepLast "Retention: Keep Last".
 */
export const SETTING = {
  connectionURL: 'connectionURL',
  backupsFolder: 'backupsFolder',
  filePrefix: 'filePrefix',
  clientToolsFolder: 'clientToolsFolder',
  staleAfterHours: 'staleAfterHours',
  safetyBackupBeforeRestore: 'safetyBackupBeforeRestore',
  profile: 'profile',
  proveAfterBackup: 'proveAfterBackup',
  scratchServerURL: 'scratchServerURL',
  offsiteURL: 'offsite.URL',
  offsiteEndpoint: 'offsite.endpoint',
  offsiteRegion: 'offsite.region',
  offsitePathStyle: 'offsite.pathStyle',
  offsitePushAfterBackup: 'offsite.pushAfterBackup',
  offsiteKeep: 'offsite.keep',
  offsiteEncrypt: 'offsite.encrypt',
  schedule: 'schedule',
  guard: 'guard',
  compress: 'compress',
  jobs: 'jobs',
} as const;

/** pulseBackup.schedule, read: off, a schedule the engine understands, or a value it does not (with why). */
export type ScheduleSetting = { kind: 'off' } | { kind: 'on'; text: string; times: BackupTimes } | { kind: 'invalid'; text: string; error: PulseError };

/** Off (the default, and an empty value), hourly, daily@HH:MM or a cron expression, read by the engine's own parser (as `--every`). */
export function readScheduleSetting(value: string | undefined): ScheduleSetting {
  const text = (value ?? '').trim();
  if (text === '' || text.toLowerCase() === 'off') return { kind: 'off' };
  try {
    return { kind: 'on', text, times: parseEvery(text) };
  } catch (error) {
    const pulseError = error instanceof PulseError ? error : new PulseError('usage', String(error));
    // The engine words it as the CLI's flag; here it is the setting.
    const message = pulseError.message.replace(/^--every "[^"]*" is not hourly/, `the setting pulseBackup.schedule ("${text}") is not off, hourly`);
    return {
      kind: 'invalid',
      text,
      error: new PulseError('usage', message, { hint: 'e.g. "hourly", "daily@03:30" or "30 3 * * 1-5" (minute hour day-of-month month day-of-week), or "off"' }),
    };
  }
}

/** When Back Up Database proves the new set: under the engine's size threshold (auto), every time, or never. */
export type ProveAfterBackup = 'auto' | 'always' | 'never';
export const PROVE_AFTER_BACKUP_CHOICES: readonly ProveAfterBackup[] = ['auto', 'always', 'never'];

/** Whether a backup just written is proved before retention runs. */
export function provesAfterBackup(choice: ProveAfterBackup, manifest: Pick<Manifest, 'files'>): boolean {
  if (choice === 'always') return true;
  if (choice === 'never') return false;
  return provesAutomatically(manifest);
}

/** The retention rules' settings: pulseBackup.retention.keepLast, .keepHourly, ... */
export const RETENTION_SETTINGS: Readonly<Record<PolicyRule, string>> = {
  last: 'retention.keepLast',
  hourly: 'retention.keepHourly',
  daily: 'retention.keepDaily',
  weekly: 'retention.keepWeekly',
  monthly: 'retention.keepMonthly',
  yearly: 'retention.keepYearly',
};

/** Earlier names, still read when the new one is not set anywhere. */
export const DEPRECATED_SETTING = {
  connectionUrl: 'connectionUrl',
  retentionKeep: 'retentionKeep',
} as const;

export const DEFAULT_BACKUPS_FOLDER = '${workspaceFolder}/backups';
export const DEFAULT_STALE_AFTER_HOURS = 24;
/** pulseBackup.jobs' maximum in package.json: a larger value typed into settings.json is read as this. */
export const MAX_JOBS_SETTING = 16;
export { DEFAULT_KEEP };

/** The raw values of one workspace folder's settings, as VS Code returns them (undefined: not set by anyone). */
export interface RawFolderSettings {
  connectionUrl?: string;
  backupsFolder?: string;
  filePrefix?: string;
  /** Each retention rule a person set; the deprecated retentionKeep counts as `last`. */
  retention?: Partial<Record<PolicyRule, number | undefined>>;
  clientToolsFolder?: string;
  staleAfterHours?: number;
  safetyBackupBeforeRestore?: boolean;
  profile?: string;
  proveAfterBackup?: string;
  scratchServerUrl?: string;
  offsite?: RawOffsiteSettings;
  schedule?: string;
  compress?: string;
  jobs?: number;
}

export interface RawOffsiteSettings {
  url?: string;
  endpoint?: string;
  region?: string;
  pathStyle?: string;
  pushAfterBackup?: boolean;
  keep?: number;
  encrypt?: boolean;
}

/**
 * Where a folder's offsite copies go (the pulseBackup.offsite.* settings),
 * present once the URL is set. The URL is checked when it is used, so a
 * wrong one shows on the Remote group and never hides the local sets.
 */
export interface OffsiteSettings {
  /** s3://BUCKET/PREFIX, as written. */
  url: string;
  endpoint: string | undefined;
  region: string | undefined;
  /** undefined: auto (in the path for an endpoint, in the host name for AWS S3). */
  pathStyle: boolean | undefined;
  pushAfterBackup: boolean;
  /** Remote retention after a push: keep the newest N complete sets there; undefined: remove nothing. */
  keep: number | undefined;
  /** The remote copy in the age format with the folder's passphrase (the local set stays as it is). */
  encrypt: boolean;
}

/** One workspace folder's settings, checked and with every path absolute. */
export interface FolderSettings {
  /** The workspace folder's own path. */
  workspaceFolder: string;
  /** The URL as set (no password, see connectionUrlWithoutPassword); undefined falls back to the environment. */
  connectionUrl: string | undefined;
  backupsFolder: string;
  prefix: string;
  retention: RetentionPolicy;
  clientToolsFolder: string | undefined;
  staleAfterHours: number;
  safetyBackupBeforeRestore: boolean;
  /** What a backup holds (see the engine's profile.ts). */
  profile: ProfileChoice;
  /** The folder's Supabase project (supabase/config.toml), whose database and project_id are the defaults. */
  supabase: SupabaseProject | undefined;
  proveAfterBackup: ProveAfterBackup;
  /** Where proofs create their scratch databases, when not on the backed-up database's server as its role (a role with CREATEDB). */
  scratchServerUrl: string | undefined;
  /** Undefined while pulseBackup.offsite.URL is empty: no offsite copies. */
  offsite: OffsiteSettings | undefined;
  /** When backups run by themselves while the window is open. */
  schedule: ScheduleSetting;
  /** How backups store their dump files: compressed, or plain SQL when undefined ("none"). */
  compress: Compression | undefined;
  /** pg_dump sessions a backup may use (`--jobs N`); undefined (the setting's 0): the engine's default, half the cores. */
  jobs: number | undefined;
}

export interface ExpandContext {
  workspaceFolder: string;
  env: NodeJS.ProcessEnv;
  homeDir?: string;
}

/**
 * Expands ${workspaceFolder}, ${workspaceFolderBasename}, ${userHome},
 * ${env:NAME} and a leading ~, then makes the path absolute against the
 * workspace folder, the way VS Code's own folder settings read.
 */
export function expandFolderPath(value: string, context: ExpandContext): string {
  const home = context.homeDir ?? os.homedir();
  let text = value.trim();
  if (text === '~' || text.startsWith('~/') || text.startsWith('~\\')) text = home + text.slice(1);
  text = text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name === 'workspaceFolder' || name === 'workspaceRoot') return context.workspaceFolder;
    if (name === 'workspaceFolderBasename') return path.basename(context.workspaceFolder);
    if (name === 'userHome') return home;
    if (name.startsWith('env:')) return context.env[name.slice('env:'.length)] ?? '';
    return whole;
  });
  return path.resolve(context.workspaceFolder, text);
}

export function readFolderSettings(raw: RawFolderSettings, context: ExpandContext): FolderSettings {
  const backupsFolder = nonBlank(raw.backupsFolder) ?? DEFAULT_BACKUPS_FOLDER;
  const toolsFolder = nonBlank(raw.clientToolsFolder);
  const supabase = readSupabaseProject(context.workspaceFolder);
  return {
    workspaceFolder: context.workspaceFolder,
    connectionUrl: nonBlank(raw.connectionUrl),
    backupsFolder: expandFolderPath(backupsFolder, context),
    prefix: folderPrefix(raw.filePrefix, context.workspaceFolder, supabase),
    retention: retentionPolicy(raw.retention ?? {}),
    clientToolsFolder: toolsFolder === undefined ? undefined : expandFolderPath(toolsFolder, context),
    staleAfterHours: typeof raw.staleAfterHours === 'number' && raw.staleAfterHours > 0 ? raw.staleAfterHours : DEFAULT_STALE_AFTER_HOURS,
    safetyBackupBeforeRestore: raw.safetyBackupBeforeRestore ?? true,
    profile: (PROFILE_CHOICES as readonly string[]).includes(raw.profile ?? '') ? (raw.profile as ProfileChoice) : 'auto',
    supabase,
    proveAfterBackup: (PROVE_AFTER_BACKUP_CHOICES as readonly string[]).includes(raw.proveAfterBackup ?? '') ? (raw.proveAfterBackup as ProveAfterBackup) : 'auto',
    scratchServerUrl: nonBlank(raw.scratchServerUrl),
    offsite: readOffsiteSettings(raw.offsite ?? {}),
    schedule: readScheduleSetting(raw.schedule),
    compress: (COMPRESSIONS as readonly string[]).includes(raw.compress ?? '') ? (raw.compress as Compression) : undefined,
    jobs: typeof raw.jobs === 'number' && Number.isInteger(raw.jobs) && raw.jobs >= 1 ? Math.min(raw.jobs, MAX_JOBS_SETTING) : undefined,
  };
}

export function readOffsiteSettings(raw: RawOffsiteSettings): OffsiteSettings | undefined {
  const url = nonBlank(raw.url)?.trim();
  if (url === undefined) return undefined;
  return {
    url,
    endpoint: nonBlank(raw.endpoint)?.trim(),
    region: nonBlank(raw.region)?.trim(),
    pathStyle: raw.pathStyle === 'on' ? true : raw.pathStyle === 'off' ? false : undefined,
    pushAfterBackup: raw.pushAfterBackup === true,
    keep: typeof raw.keep === 'number' && Number.isInteger(raw.keep) && raw.keep >= 1 ? raw.keep : undefined,
    encrypt: raw.encrypt === true,
  };
}

/** The folder's remote, parsed: a URL that is not s3://BUCKET/PREFIX is an error naming the setting. */
export function offsiteLocation(offsite: Pick<OffsiteSettings, 'url'>): RemoteLocation {
  try {
    return parseRemoteUrl(offsite.url);
  } catch (error) {
    const pulseError = toPulseError(error);
    throw new PulseError('offsite-not-configured', `the setting pulseBackup.${SETTING.offsiteURL}: ${pulseError.message}`, pulseError.hint ? { hint: pulseError.hint } : {});
  }
}

/**
 * Where a folder's offsite keys are kept in SecretStorage: one entry per
 * endpoint and bucket, so that keys stored for one storage are never sent
 * to another (a workspace that names another endpoint gets none of them).
 * The endpoint is the one requests go to: the setting, else the
 * environment's, else AWS S3.
 */
export function offsiteCredentialsKey(offsite: Pick<OffsiteSettings, 'url' | 'endpoint'>, env: NodeJS.ProcessEnv): string {
  const endpoint = offsite.endpoint ?? nonBlank(env.AWS_ENDPOINT_URL_S3) ?? nonBlank(env.AWS_ENDPOINT_URL);
  return `pulseBackup.offsiteCredentials:${endpoint === undefined ? 'aws' : endpoint.trim().replace(/\/+$/, '').toLowerCase()}/${offsiteLocation(offsite).bucket}`;
}

/** The file prefix: the setting, else a Supabase project's project_id, else the workspace folder's name, in snake_case, as the CLI does for its folder. */
export function folderPrefix(setting: string | undefined, workspaceFolder: string, supabase?: SupabaseProject): string {
  const prefix = nonBlank(setting)?.trim() ?? (supabase && supabasePrefix(supabase)) ?? defaultPrefix(workspaceFolder);
  if (!isValidPrefix(prefix)) {
    throw new PulseError('usage', `the setting pulseBackup.filePrefix ("${prefix}") is not a valid prefix`, {
      hint: 'use letters, digits, underscores and hyphens, starting and ending with a letter or digit (e.g. factory_pulse), or clear it to use the folder name',
    });
  }
  return prefix;
}

/** The folder's policy from the pulseBackup.retention.* settings a person set; none set: keep the last 10. */
export function retentionPolicy(given: Partial<Record<PolicyRule, number | undefined>>): RetentionPolicy {
  const set = Object.fromEntries(POLICY_RULES.filter((rule) => given[rule] !== undefined && given[rule] !== null).map((rule) => [rule, given[rule]]));
  // A bucket rule alone keeps the default last 10 as well: the setting's default is a value people see.
  if (set.last === undefined && Object.keys(set).length > 0) set.last = DEFAULT_KEEP;
  return makePolicy(set, (rule) => `the setting pulseBackup.${RETENTION_SETTINGS[rule]}`);
}

/**
 * The URL as written, minus its password (in the user info or a password=
 * parameter), and that password: what Configure Connection saves in the
 * settings, which are plain text and often committed, and what it moves
 * into secret storage. The URL must be valid (parseConnectionUrl's rules).
 */
export function splitPassword(url: string): { url: string; password?: string } {
  const parsed = parseConnectionUrl(url, { env: {} });
  const text = url.trim();
  const scheme = /^postgres(?:ql)?:\/\//i.exec(text);
  if (!scheme) return { url: text };
  const rest = text.slice(scheme[0].length);
  const queryStart = rest.indexOf('?');
  const beforeQuery = queryStart === -1 ? rest : rest.slice(0, queryStart);
  const query = queryStart === -1 ? undefined : rest.slice(queryStart + 1);
  const at = beforeQuery.lastIndexOf('@');
  let authority = beforeQuery;
  if (at !== -1) {
    const userInfo = beforeQuery.slice(0, at);
    const colon = userInfo.indexOf(':');
    authority = `${colon === -1 ? userInfo : userInfo.slice(0, colon)}@${beforeQuery.slice(at + 1)}`;
  }
  const keptQuery = query?.split('&').filter((pair) => pair !== '' && safeDecode(pair.slice(0, pair.indexOf('=') === -1 ? pair.length : pair.indexOf('='))) !== 'password');
  const queryText = keptQuery && keptQuery.length > 0 ? `?${keptQuery.join('&')}` : '';
  return { url: `${scheme[0]}${authority}${queryText}`, ...(parsed.password !== undefined ? { password: parsed.password } : {}) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Where the password of a target is kept in SecretStorage: one entry per
 * user, server and database, so pointing the setting at another server
 * never sends it the old server's password.
 */
export function passwordKey(target: Pick<ConnectionTarget, 'user' | 'host' | 'port' | 'database'>): string {
  return `pulseBackup.password:${target.user}@${target.host}:${target.port}/${target.database}`;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Inside the workspace folder as ${workspaceFolder}/…, so the setting travels with the project; elsewhere the path. */
export function settingValue(chosen: string, workspaceFolder: string): string {
  const relative = path.relative(workspaceFolder, chosen);
  if (relative === '') return '${workspaceFolder}';
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) return `\${workspaceFolder}/${relative.split(path.sep).join('/')}`;
  return chosen;
}
