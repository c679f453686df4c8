/**
 * The command line of `pulse-backup`, parsed into plain values. Every flag is
 * declared once here; each command says which ones it takes. Anything else
 * is a usage error (exit code 2) with the command's usage as the hint.
 */
import { parseArgs } from 'node:util';
import { PulseError } from '../core/errors';
import { printable } from '../core/format';
import { OPTIONS, optionOfFlag } from '../core/options';
import { COMPRESSIONS, type Compression } from '../core/codecs/types';
import { PARALLEL_MIN_TABLE_BYTES } from '../core/backup/parallel';

interface FlagSpec {
  type: 'string' | 'boolean';
  value?: string;
  help: string;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** A whole number of at least this much. */
  minimum?: number;
  /** May be given more than once; every value counts. */
  multiple?: boolean;
}

export const FLAGS = {
  db: {
    type: 'string',
    value: OPTIONS.connection.value,
    help: `database URL, without the password (give that in PGPASSWORD or ~/.pgpass, or the whole URL in ${OPTIONS.connection.env}; on a terminal you are asked) (default: ${OPTIONS.connection.env}, DATABASE_URL, PG* variables, then postgresql://postgres:postgres@127.0.0.1:54322/postgres)`,
  },
  dir: { type: 'string', value: OPTIONS.backupsFolder.value, help: `backups folder (default: ${OPTIONS.backupsFolder.env} or ./backups)` },
  prefix: { type: 'string', value: OPTIONS.filePrefix.value, help: "file name prefix (default: a Supabase project's project_id, else the current folder's name, in snake_case)" },
  'pg-bin-dir': {
    type: 'string',
    value: OPTIONS.clientToolsFolder.value,
    help: `folder with pg_dump and psql (default: ${OPTIONS.clientToolsFolder.env}, PATH, the usual install places)`,
  },
  json: { type: 'boolean', help: 'machine-readable output on stdout, nothing else there' },
  mode: { type: 'string', value: 'MODE', choices: ['complete', 'schema', 'data'], help: 'what to restore: complete, schema (definitions only) or data (rows only)' },
  clean: { type: 'boolean', help: "restore: replace what the backup recreates (complete, schema) or empty the backup's tables first (data)" },
  yes: { type: 'boolean', help: 'do not ask for confirmation (needed when there is no terminal)' },
  'no-safety-backup': { type: 'boolean', help: 'restore: skip the backup of the target taken before it changes' },
  'allow-remote': { type: 'boolean', help: 'restore, prove: allow a target (prove: a scratch server) that is not on this machine' },
  'no-tablespaces': {
    type: 'boolean',
    help: "restore: create the set's tables and indexes in the target database's default tablespace, not in the tablespaces they were in (for a server without those)",
  },
  reset: { type: 'boolean', help: 'restore --mode data in a Supabase project: run supabase db reset --local first, after the safety backup' },
  'lock-timeout': {
    type: 'string',
    value: 'SECONDS',
    minimum: 1,
    help: 'how long to wait for a lock another session holds before giving up, changing nothing (restore: default 10; backup, diff: default 60)',
  },
  jobs: {
    type: 'string',
    value: OPTIONS.jobs.value,
    minimum: 1,
    // The backup's part last: the VS Code setting the help appends is the backup's.
    help: `restore --mode complete into an empty database: load rows and build indexes in N sessions side by side; not one transaction, so a failure drops what it created and the database is empty again (default 1: one transaction); backup: pg_dump sessions that dump the rows of big tables side by side, all from the one snapshot (default: half the cores, at most 4; tables under ${PARALLEL_MIN_TABLE_BYTES / 1024 / 1024} MB stay with the main session, so a small database takes one; a compressed or encrypted set takes one)`,
  },
  keep: {
    type: 'string',
    value: 'N',
    minimum: 1,
    help: 'keep the last N backups of this prefix (the same as --keep-last N; default 10 when no --keep-* is given; safety sets do not count)',
  },
  'keep-last': { type: 'string', value: OPTIONS.keepLast.value, minimum: 0, help: 'keep the last N backups' },
  'keep-hourly': { type: 'string', value: OPTIONS.keepHourly.value, minimum: 0, help: 'keep the newest backup of each of the last N hours that have one' },
  'keep-daily': { type: 'string', value: OPTIONS.keepDaily.value, minimum: 0, help: 'keep the newest backup of each of the last N days that have one' },
  'keep-weekly': { type: 'string', value: OPTIONS.keepWeekly.value, minimum: 0, help: 'keep the newest backup of each of the last N weeks (ISO weeks) that have one' },
  'keep-monthly': { type: 'string', value: OPTIONS.keepMonthly.value, minimum: 0, help: 'keep the newest backup of each of the last N months that have one' },
  'keep-yearly': { type: 'string', value: OPTIONS.keepYearly.value, minimum: 0, help: 'keep the newest backup of each of the last N years that have one' },
  'keep-safety': {
    type: 'string',
    value: OPTIONS.keepSafety.value,
    minimum: 0,
    help: 'how many safety sets (taken before a restore, or by guard before its command) of this prefix to keep besides them (default 3)',
  },
  'dry-run': { type: 'boolean', help: 'prune: say what would be removed, remove nothing' },
  format: { type: 'string', value: 'FORMAT', choices: ['md', 'html', 'json'], help: 'summary: md, html or json (default: from the --out file name, else md)' },
  out: { type: 'string', value: 'FILE', help: 'summary: write to FILE instead of stdout' },
  profile: {
    type: 'string',
    value: 'PROFILE',
    choices: ['auto', 'supabase', 'plain'],
    help: "backup: what the set holds: supabase (the application without the platform's own schemas), plain (everything), auto (supabase when the database has the Supabase platform; default)",
  },
  schema: { type: 'string', value: 'PATTERN', multiple: true, help: "backup: only schemas matching PATTERN (pg_dump's --schema; may be repeated)" },
  'exclude-schema': { type: 'string', value: 'PATTERN', multiple: true, help: "backup: leave out schemas matching PATTERN (pg_dump's --exclude-schema; may be repeated)" },
  'exclude-table-data': {
    type: 'string',
    value: 'PATTERN',
    multiple: true,
    help: "backup: keep the definition but not the rows of tables matching PATTERN (pg_dump's --exclude-table-data; may be repeated)",
  },
  prove: { type: 'boolean', help: 'backup: prove the new set restorable right after it is written (see prove); guard: its command runs only once the safety set is proved' },
  'scratch-db': {
    type: 'string',
    value: 'URL',
    help: "prove: the server (and role) for the scratch databases, as postgresql://user@host:port/database, the database being one to connect to (default: --db's server and role)",
  },
  to: { type: 'string', value: OPTIONS.offsiteTarget.value, help: 'push: where the copy goes, as s3://BUCKET/PREFIX (the set is stored under PREFIX/SET_ID/)' },
  from: { type: 'string', value: OPTIONS.offsiteSource.value, help: 'pull: the remote the set is copied from, as s3://BUCKET/PREFIX' },
  remote: {
    type: 'string',
    value: OPTIONS.remoteListing.value,
    help: 'list, prune: the remote sets under s3://BUCKET/PREFIX instead of the local ones (prune: keeps the newest --keep N complete sets of each file name prefix there, or of --prefix NAME only)',
  },
  offsite: {
    type: 'string',
    value: OPTIONS.offsiteAfterBackup.value,
    help: 'backup: push the new set to s3://BUCKET/PREFIX once it is written (a failed push is a warning; the local set stays)',
  },
  endpoint: {
    type: 'string',
    value: OPTIONS.offsiteEndpoint.value,
    help: `S3-compatible storage other than AWS S3: its endpoint URL, e.g. https://ACCOUNT_ID.r2.cloudflarestorage.com (default: ${OPTIONS.offsiteEndpoint.env}, AWS_ENDPOINT_URL, else AWS S3)`,
  },
  region: {
    type: 'string',
    value: OPTIONS.offsiteRegion.value,
    help: `the bucket's region (default: ${OPTIONS.offsiteRegion.env}, AWS_DEFAULT_REGION, the profile's; us-east-1 with --endpoint)`,
  },
  'path-style': { type: 'boolean', help: 'put the bucket in the URL path, not the host name (default: on with --endpoint, off for AWS S3)' },
  'aws-profile': {
    type: 'string',
    value: OPTIONS.awsProfile.value,
    help: `the profile of ~/.aws/config and ~/.aws/credentials whose keys to use (default: ${OPTIONS.awsProfile.env}, else the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, else the default profile)`,
  },
  only: {
    type: 'string',
    value: 'WAY',
    choices: ['complete', 'schema-then-data'],
    help: 'prove: only one way of restoring: complete (the complete file) or schema-then-data (default: both)',
  },
  compress: {
    type: 'string',
    value: OPTIONS.compress.value,
    choices: COMPRESSIONS,
    help: "backup: write the set's files compressed with gzip (….sql.gz) or zstd (….sql.zst; needs the zstd command installed); with --encrypt compressed, then encrypted (….sql.gz.age): they restore by hand with gunzip -c FILE | psql or zstd -dc FILE | psql (default: plain SQL)",
  },
  encrypt: {
    type: 'boolean',
    help: `backup: write the set's files encrypted in the age format (….sql.age); push: encrypt only the remote copy so; with a passphrase (${OPTIONS.passphrase.env}, --passphrase-file, or asked on a terminal) or to --recipient / --recipients-file`,
  },
  'passphrase-file': {
    type: 'string',
    value: OPTIONS.passphrase.value,
    help: `the encryption passphrase: the first line of FILE (default: ${OPTIONS.passphrase.env}, else asked on a terminal; never on the command line)`,
  },
  recipient: {
    type: 'string',
    value: OPTIONS.recipient.value,
    multiple: true,
    help: 'backup --encrypt, push --encrypt: encrypt to this age public key (age1…, from age-keygen) instead of a passphrase (may be repeated)',
  },
  'recipients-file': { type: 'string', value: OPTIONS.recipientsFile.value, help: 'backup --encrypt, push --encrypt: encrypt to the age public keys in FILE (age1…, one a line)' },
  'identity-file': {
    type: 'string',
    value: OPTIONS.identityFile.value,
    help: 'the age identity (AGE-SECRET-KEY-1…, in a file as age-keygen writes it) that decrypts a set encrypted to its recipient',
  },
  'password-file': {
    type: 'string',
    value: OPTIONS.passwordFile.value,
    help: 'read the database password from the first line of FILE (which only you may read: chmod 600 FILE) instead of the URL, PGPASSWORD or ~/.pgpass; schedule print: the scheduled backup reads it each time it runs',
  },
  'run-if-backup-fails': {
    type: 'boolean',
    help: 'guard: run the command even when the safety backup (or, with --prove, its proof) fails; without it the command does not run',
  },
  every: {
    type: 'string',
    value: OPTIONS.schedule.value,
    help: "schedule print: when to back up: hourly, daily@HH:MM (local time) or a five-field cron expression such as '30 2 * * 1-5' (default: daily@03:00)",
  },
  cron: { type: 'boolean', help: 'schedule print: a crontab line' },
  systemd: { type: 'boolean', help: 'schedule print: a systemd user service and timer' },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** Parsed flag values, by camel-cased name. */
export interface Flags {
  db?: string;
  dir?: string;
  prefix?: string;
  pgBinDir?: string;
  json: boolean;
  mode?: 'complete' | 'schema' | 'data';
  clean: boolean;
  yes: boolean;
  noSafetyBackup: boolean;
  allowRemote: boolean;
  noTablespaces: boolean;
  reset: boolean;
  lockTimeout?: number;
  jobs?: number;
  keep?: number;
  /** --keep-last, --keep-hourly, ... by rule; absent rules were not given. */
  keepRules: Partial<Record<'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly', number>>;
  keepSafety?: number;
  dryRun: boolean;
  format?: 'md' | 'html' | 'json';
  out?: string;
  profile?: 'auto' | 'supabase' | 'plain';
  schemas: string[];
  excludeSchemas: string[];
  excludeTableData: string[];
  prove: boolean;
  scratchDb?: string;
  only?: 'complete' | 'schema-then-data';
  to?: string;
  from?: string;
  remote?: string;
  offsite?: string;
  endpoint?: string;
  region?: string;
  pathStyle: boolean;
  awsProfile?: string;
  compress?: Compression;
  encrypt: boolean;
  passphraseFile?: string;
  recipients: string[];
  recipientsFile?: string;
  identityFile?: string;
  passwordFile?: string;
  runIfBackupFails: boolean;
  every?: string;
  cron: boolean;
  systemd: boolean;
}

/** A flag's value as it was given: a string, true, or every value of a flag given more than once. */
export type GivenValue = string | true | string[];

export interface CommandSpec {
  /** One word, or a command and its action ("schedule print"). */
  name: string;
  /** Flags this command accepts. */
  flags: readonly FlagName[];
  /** Names of the positional arguments, all required (e.g. ['SET_ID']). */
  positionals: readonly string[];
  /** Flags that must be given (shown without brackets in the usage). */
  requiredFlags?: readonly FlagName[];
  /** The name of what follows `--`, taken as it is (guard's COMMAND); required when set. */
  rest?: string;
  summary: string;
}

export interface CommandLine {
  /** A command's name, or 'help' / 'version'. */
  command: string;
  positionals: string[];
  /** Everything after `--`, for a command that takes it. */
  rest: string[];
  flags: Flags;
  /** The flags given, by name, as given: what a command passes on to another command line (schedule print). */
  given: Partial<Record<FlagName, GivenValue>>;
}

export function usageOf(spec: CommandSpec): string {
  const positionals = spec.positionals.map((name) => ` <${name}>`).join('');
  const flags = spec.flags
    .map((name) => {
      const text = flagUsage(name);
      return spec.requiredFlags?.includes(name) ? ` ${text}` : ` [${text}]`;
    })
    .join('');
  const rest = spec.rest === undefined ? '' : ` -- ${spec.rest}...`;
  return `pulse-backup ${spec.name}${positionals}${flags}${rest}`;
}

/** How a flag reads in a usage line: --dir DIR, --yes. */
function flagUsage(name: FlagName): string {
  const flag: FlagSpec = FLAGS[name];
  return flag.type === 'boolean' ? `--${name}` : `--${name} ${flag.value ?? 'VALUE'}`;
}

/** The command a command line names: the longest name whose words start it ("schedule print" before "schedule"). */
function findCommand(argv: readonly string[], commands: readonly CommandSpec[]): CommandSpec | undefined {
  const matching = commands.filter((command) => command.name.split(' ').every((word, index) => argv[index] === word));
  return matching.sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)[0];
}

export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): CommandLine {
  const empty: Flags = {
    json: false,
    clean: false,
    yes: false,
    noSafetyBackup: false,
    allowRemote: false,
    noTablespaces: false,
    reset: false,
    dryRun: false,
    keepRules: {},
    schemas: [],
    excludeSchemas: [],
    excludeTableData: [],
    prove: false,
    pathStyle: false,
    encrypt: false,
    recipients: [],
    runIfBackupFails: false,
    cron: false,
    systemd: false,
  };
  const first = argv[0];
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    return { command: 'help', positionals: argv.slice(1), rest: [], flags: empty, given: {} };
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    return { command: 'version', positionals: [], rest: [], flags: empty, given: {} };
  }
  const spec = findCommand(argv, commands);
  if (!spec) {
    const actions = commands.filter((command) => command.name.startsWith(`${first} `));
    if (actions.length > 0) {
      const names = actions.map((command) => command.name.slice(first.length + 1));
      throw usageError(`${first} needs ${names.join(' or ')}`, actions[0]);
    }
    if (first.startsWith('-')) throw usageError(`expected a command before ${first}`);
    const guess = nearest(first, [...new Set(commands.map((command) => command.name.split(' ')[0]))]);
    throw usageError(`unknown command "${first}"${guess === undefined ? '' : ` (did you mean ${guess}?)`}`);
  }
  const words = spec.name.split(' ').length;

  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, flag] of Object.entries(FLAGS) as [string, FlagSpec][]) options[name] = { type: flag.type, ...(flag.multiple ? { multiple: true } : {}) };
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  let rest: string[] = [];
  try {
    const all = parseArgs({ args: argv.slice(words), options, allowPositionals: true, strict: true, tokens: true });
    // What follows `--` is the command's own (guard's COMMAND): never read as flags or positionals of ours.
    const terminator = all.tokens.find((token) => token.kind === 'option-terminator');
    const before = terminator === undefined ? all.tokens : all.tokens.filter((token) => token.index < terminator.index);
    parsed = { values: all.values, positionals: before.flatMap((token) => (token.kind === 'positional' ? [token.value] : [])) };
    if (terminator !== undefined) rest = argv.slice(words + terminator.index + 1);
  } catch (error) {
    throw usageError(describeParseError(error, spec), spec);
  }
  const values = parsed.values;
  if (values.help === true) return { command: 'help', positionals: [spec.name], rest: [], flags: empty, given: {} };
  for (const name of Object.keys(values)) {
    if (name !== 'help' && !(spec.flags as readonly string[]).includes(name)) throw usageError(`${spec.name} does not take --${name}`, spec);
  }
  if (parsed.positionals.length < spec.positionals.length || parsed.positionals.some((value) => value.trim() === '')) {
    throw usageError(`${spec.name} needs ${spec.positionals.map((name) => `<${name}>`).join(' ')}`, spec);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    throw usageError(`unexpected argument "${parsed.positionals[spec.positionals.length]}"`, spec);
  }
  for (const name of spec.requiredFlags ?? []) {
    if (values[name] === undefined) throw usageError(`${spec.name} needs --${name}`, spec);
  }
  if (spec.rest !== undefined && rest.length === 0) {
    throw usageError(`${spec.name} needs the ${spec.rest.toLowerCase()} to run after --, e.g. pulse-backup ${spec.name} -- supabase db reset`, spec);
  }
  // An unset shell variable (guard -- "$RESET_COMMAND") names no program: said before anything runs.
  if (spec.rest !== undefined && rest[0] === '') {
    throw usageError(
      `the ${spec.rest.toLowerCase()} after -- is empty (an unset shell variable?): name the program to run, e.g. pulse-backup ${spec.name} -- supabase db reset`,
      spec,
    );
  }
  if (spec.rest === undefined && rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`, spec);
  for (const [name, given] of Object.entries(values)) {
    const flag = (FLAGS as Record<string, FlagSpec | undefined>)[name];
    for (const value of Array.isArray(given) ? given : [given]) {
      if (!flag || typeof value !== 'string') continue;
      if (value === '') throw usageError(`--${name} needs a value`, spec);
      if (flag.choices && !flag.choices.includes(value)) {
        throw usageError(`--${name} must be one of ${flag.choices.join(', ')}, not "${value}"`, spec);
      }
      if (flag.minimum !== undefined && !(/^\d+$/.test(value) && Number(value) >= flag.minimum)) {
        throw usageError(`--${name} takes a whole number of at least ${flag.minimum}, not "${value}"`, spec);
      }
    }
  }
  const text = (name: FlagName): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  if (values.keep !== undefined && values['keep-last'] !== undefined) throw usageError('give --keep or --keep-last, not both (they are the same rule)', spec);
  const keepRules: Flags['keepRules'] = {};
  for (const rule of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    const value = text(`keep-${rule}`);
    if (value !== undefined) keepRules[rule] = Number(value);
  }
  const list = (name: FlagName): string[] => {
    const value = values[name];
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  };
  const given: CommandLine['given'] = {};
  for (const [name, value] of Object.entries(values)) {
    if (name === 'help' || value === undefined || value === false) continue;
    given[name as FlagName] = Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : value;
  }
  return {
    command: spec.name,
    positionals: parsed.positionals,
    rest,
    given,
    flags: {
      db: text('db'),
      dir: text('dir'),
      prefix: text('prefix'),
      pgBinDir: text('pg-bin-dir'),
      json: values.json === true,
      mode: text('mode') as Flags['mode'],
      clean: values.clean === true,
      yes: values.yes === true,
      noSafetyBackup: values['no-safety-backup'] === true,
      allowRemote: values['allow-remote'] === true,
      noTablespaces: values['no-tablespaces'] === true,
      reset: values.reset === true,
      lockTimeout: text('lock-timeout') === undefined ? undefined : Number(text('lock-timeout')),
      jobs: text('jobs') === undefined ? undefined : Number(text('jobs')),
      keep: text('keep') === undefined ? undefined : Number(text('keep')),
      keepRules,
      keepSafety: text('keep-safety') === undefined ? undefined : Number(text('keep-safety')),
      dryRun: values['dry-run'] === true,
      format: text('format') as Flags['format'],
      out: text('out'),
      profile: text('profile') as Flags['profile'],
      schemas: list('schema'),
      excludeSchemas: list('exclude-schema'),
      excludeTableData: list('exclude-table-data'),
      prove: values.prove === true,
      scratchDb: text('scratch-db'),
      only: text('only') as Flags['only'],
      to: text('to'),
      from: text('from'),
      remote: text('remote'),
      offsite: text('offsite'),
      endpoint: text('endpoint'),
      region: text('region'),
      pathStyle: values['path-style'] === true,
      awsProfile: text('aws-profile'),
      compress: text('compress') as Flags['compress'],
      encrypt: values.encrypt === true,
      passphraseFile: text('passphrase-file'),
      recipients: list('recipient'),
      recipientsFile: text('recipients-file'),
      identityFile: text('identity-file'),
      passwordFile: text('password-file'),
      runIfBackupFails: values['run-if-backup-fails'] === true,
      every: text('every'),
      cron: values.cron === true,
      systemd: values.systemd === true,
    },
  };
}

function describeParseError(error: unknown, spec: CommandSpec): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    const guess = unknown[1].startsWith('--') ? nearest(unknown[1].slice(2), spec.flags) : undefined;
    return `unknown flag ${unknown[1]}${guess === undefined ? '' : ` (did you mean --${guess}?)`}`;
  }
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1].replace(/^-\w, /, '')} needs a value`;
  const unexpected = /Unexpected argument '([^']+)'/.exec(message);
  if (unexpected) return `unexpected argument "${unexpected[1]}"`;
  // A value that starts with "-" (--keep -1) reads as another flag.
  const ambiguous = /Option '--([^' ]+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const flag = (FLAGS as Record<string, FlagSpec | undefined>)[ambiguous[1]];
    if (flag?.minimum !== undefined) return `--${ambiguous[1]} takes a whole number of at least ${flag.minimum}`;
    return `--${ambiguous[1]} needs a value (one that starts with "-" is written --${ambiguous[1]}=VALUE)`;
  }
  return message.split('\n', 1)[0] ?? message;
}

/** Past this many characters a usage line is no help on one line: the message gives the command's shape and points to its help. */
const LONGEST_USAGE = 160;

function usageError(message: string, spec?: CommandSpec): PulseError {
  if (!spec) return new PulseError('usage', message, { hint: 'run pulse-backup help to see the commands' });
  const full = usageOf(spec);
  if (full.length <= LONGEST_USAGE) return new PulseError('usage', message, { hint: `usage: ${full}` });
  const required = (spec.requiredFlags ?? []).map((name) => ` ${flagUsage(name)}`).join('');
  const shape = `pulse-backup ${spec.name}${spec.positionals.map((name) => ` <${name}>`).join('')}${required} [FLAGS]${spec.rest === undefined ? '' : ` -- ${spec.rest}...`}`;
  return new PulseError('usage', message, { hint: `usage: ${shape}; pulse-backup help ${spec.name} lists the flags` });
}

/**
 * The one candidate a mistyped word most likely meant: within two edits of it (one for words of up to four letters),
 * and nearer than any other; undefined when none is, or when two are as near.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length <= 4 ? 1 : 2;
  const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(word.toLowerCase(), candidate) })).filter((entry) => entry.distance <= limit);
  scored.sort((a, b) => a.distance - b.distance);
  if (scored.length === 0 || (scored.length > 1 && scored[1].distance === scored[0].distance)) return undefined;
  return scored[0].candidate;
}

/** Levenshtein distance: insertions, deletions and substitutions of one character each count one. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

const SET_ID_HELP = 'SET_ID: a set as pulse-backup list shows it (e.g. factory_pulse_20250901_173948), or latest: the newest finished backup in the folder, not a safety set';
const SET_ID_REMOTE_HELP = 'SET_ID: a set as pulse-backup list --remote URL shows it (e.g. factory_pulse_20250901_173948)';

/** What a flag's default comes to in the current folder ("factory_pulse, from supabase/config.toml's project_id"), for the help. */
export type DefaultsHere = Partial<Record<FlagName, string>>;

export function helpText(commands: readonly CommandSpec[], commandName?: string, here: DefaultsHere = {}): string {
  const spec = commands.find((command) => command.name === commandName) ?? commands.find((command) => command.name.startsWith(`${commandName} `));
  if (spec) {
    const flagLines = spec.flags.map((name) => flagHelp(name, here));
    const setId = spec.positionals.includes('SET_ID') ? `\n${spec.name === 'pull' ? SET_ID_REMOTE_HELP : SET_ID_HELP}\n` : '';
    return `${usageOf(spec)}\n\n${spec.summary}\n${setId}${flagLines.length > 0 ? `\nFlags:\n${flagLines.join('\n')}\n` : ''}`;
  }
  const lines = commands.map((command) => `  ${usageOf(command)}\n      ${command.summary}`);
  const allFlags = (Object.keys(FLAGS) as FlagName[]).map((name) => flagHelp(name, here));
  return `pulse-backup: back up and restore PostgreSQL databases\n\nCommands:\n${lines.join('\n')}\n  pulse-backup help [COMMAND]\n  pulse-backup --version\n\nFlags:\n${allFlags.join('\n')}\n`;
}

function flagHelp(name: FlagName, here: DefaultsHere): string {
  const flag: FlagSpec = FLAGS[name];
  const left = flag.type === 'boolean' ? `--${name}` : `--${name} ${flag.value ?? 'VALUE'}`;
  const inThisFolder = here[name] === undefined ? '' : `; here: ${printable(here[name])}`;
  const setting = optionOfFlag(name)?.setting;
  const inVsCode = setting === undefined ? '' : `; in VS Code: the setting "Pulse Backup: ${setting.title}"`;
  return `  ${left.padEnd(22)} ${flag.help}${inThisFolder}${inVsCode}`;
}
