import { cliHint } from '../../src/core/commandLineWords';
import { strict as assert } from 'node:assert';
import { helpText, nearest, parseCommandLine, usageOf } from '../../src/cli/args';
import { COMMANDS } from '../../src/cli/commands';
import { buildPgDumpArgs } from '../../src/core/backup/backup';
import { PulseError } from '../../src/core/errors';

function usageErrorOf(argv: string[]): PulseError {
  try {
    parseCommandLine(argv, COMMANDS);
  } catch (error) {
    assert.ok(error instanceof PulseError);
    assert.equal(error.code, 'usage');
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail(`expected a usage error for ${argv.join(' ')}`);
}

describe('command line', () => {
  it('reads a backup command with every flag it takes', () => {
    const parsed = parseCommandLine(
      [
        'backup',
        '--db',
        'postgresql://u@h/d',
        '--dir',
        'out',
        '--prefix',
        'factory_pulse',
        '--pg-bin-dir',
        '/opt/pg/bin',
        '--profile',
        'supabase',
        '--schema',
        'public',
        '--schema',
        'app_*',
        '--exclude-schema',
        'scratch',
        '--exclude-table-data',
        'public.audit_log',
        '--compress',
        'gzip',
        '--keep-safety',
        '0',
        '--offsite',
        's3://team-backups/factory',
        '--endpoint',
        'http://127.0.0.1:9000',
        '--region',
        'eu-central-1',
        '--path-style',
        '--aws-profile',
        'backups',
        '--json',
      ],
      COMMANDS,
    );
    assert.equal(parsed.command, 'backup');
    assert.deepEqual(parsed.flags, {
      db: 'postgresql://u@h/d',
      dir: 'out',
      prefix: 'factory_pulse',
      pgBinDir: '/opt/pg/bin',
      json: true,
      mode: undefined,
      clean: false,
      yes: false,
      noSafetyBackup: false,
      noTablespaces: false,
      allowRemote: false,
      reset: false,
      keep: undefined,
      keepRules: {},
      keepSafety: 0,
      lockTimeout: undefined,
      dryRun: false,
      format: undefined,
      out: undefined,
      profile: 'supabase',
      schemas: ['public', 'app_*'],
      excludeSchemas: ['scratch'],
      excludeTableData: ['public.audit_log'],
      prove: false,
      scratchDb: undefined,
      only: undefined,
      to: undefined,
      from: undefined,
      remote: undefined,
      offsite: 's3://team-backups/factory',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-central-1',
      pathStyle: true,
      awsProfile: 'backups',
      compress: 'gzip',
      encrypt: false,
      passphraseFile: undefined,
      recipients: [],
      recipientsFile: undefined,
      identityFile: undefined,
      jobs: undefined,
      passwordFile: undefined,
      runIfBackupFails: false,
      every: undefined,
      cron: false,
      systemd: false,
    });
  });

  it('push needs --to and pull needs --from; list and prune take --remote; the storage flags are theirs alone', () => {
    const push = parseCommandLine(['push', 'app_20250901_173948', '--to', 's3://b-1/p', '--keep', '3'], COMMANDS);
    assert.deepEqual([push.command, push.positionals, push.flags.to, push.flags.keep, push.flags.pathStyle], ['push', ['app_20250901_173948'], 's3://b-1/p', 3, false]);
    const pull = parseCommandLine(['pull', 'app_20250901_173948', '--from', 's3://b-1/p', '--endpoint', 'https://s.example'], COMMANDS);
    assert.deepEqual([pull.flags.from, pull.flags.endpoint], ['s3://b-1/p', 'https://s.example']);
    assert.equal(parseCommandLine(['list', '--remote', 's3://b-1'], COMMANDS).flags.remote, 's3://b-1');
    assert.equal(parseCommandLine(['prune', '--remote', 's3://b-1', '--keep', '2'], COMMANDS).flags.remote, 's3://b-1');
    assert.match(usageErrorOf(['push', 'app_20250901_173948']).message, /push needs --to/);
    assert.match(usageErrorOf(['pull', 'app_20250901_173948', '--to', 's3://b-1']).message, /pull does not take --to/);
    assert.match(usageErrorOf(['restore', 'app_20250901_173948', '--endpoint', 'https://s.example']).message, /restore does not take --endpoint/);
  });

  it('reads the retention rules of backup and prune, and refuses --keep with --keep-last, or a rule below 0', () => {
    const parsed = parseCommandLine(['prune', '--keep-daily', '7', '--keep-weekly', '4', '--keep-last', '0'], COMMANDS);
    assert.deepEqual(parsed.flags.keepRules, { last: 0, daily: 7, weekly: 4 });
    assert.equal(parsed.flags.keep, undefined);
    assert.deepEqual(parseCommandLine(['backup', '--keep-monthly', '12', '--keep-yearly', '3', '--keep-hourly', '24'], COMMANDS).flags.keepRules, {
      hourly: 24,
      monthly: 12,
      yearly: 3,
    });
    assert.match(usageErrorOf(['prune', '--keep', '3', '--keep-last', '3']).message, /give --keep or --keep-last, not both/);
    assert.match(usageErrorOf(['backup', '--keep-daily', '-1']).message, /--keep-daily/);
    assert.match(usageErrorOf(['prune', '--keep', '0']).message, /--keep takes a whole number of at least 1/);
  });

  it('prove takes a scratch server and one way; backup takes --prove', () => {
    const prove = parseCommandLine(['prove', 'app_20250901_173948', '--scratch-db', 'postgresql://supabase_admin@127.0.0.1:54322/postgres', '--only', 'complete'], COMMANDS);
    assert.equal(prove.command, 'prove');
    assert.deepEqual(prove.positionals, ['app_20250901_173948']);
    assert.equal(prove.flags.scratchDb, 'postgresql://supabase_admin@127.0.0.1:54322/postgres');
    assert.equal(prove.flags.only, 'complete');
    assert.equal(parseCommandLine(['backup', '--prove'], COMMANDS).flags.prove, true);
    assert.equal(usageErrorOf(['prove', 'app_20250901_173948', '--only', 'data']).message, '--only must be one of complete, schema-then-data, not "data"');
    assert.equal(usageErrorOf(['list', '--prove']).message, 'list does not take --prove');
  });

  it("a value that starts with a dash gets the flag's own words, not the parser's", () => {
    assert.equal(usageErrorOf(['prune', '--keep', '-1']).message, '--keep takes a whole number of at least 1');
    assert.equal(usageErrorOf(['backup', '--keep-safety', '-2']).message, '--keep-safety takes a whole number of at least 0');
    assert.equal(usageErrorOf(['backup', '--dir', '-x']).message, '--dir needs a value (one that starts with "-" is written --dir=VALUE)');
    assert.equal(usageErrorOf(['prune', '--keep=-1']).message, '--keep takes a whole number of at least 1, not "-1"');
    assert.equal(parseCommandLine(['backup', '--dir=-odd'], COMMANDS).flags.dir, '-odd');
  });

  it('refuses an unknown profile and an empty pattern', () => {
    assert.match(usageErrorOf(['backup', '--profile', 'firebase']).message, /--profile must be one of auto, supabase, plain/);
    assert.equal(usageErrorOf(['backup', '--compress', 'bzip2']).message, '--compress must be one of gzip, zstd, not "bzip2"');
    assert.match(usageErrorOf(['backup', '--schema', 'public', '--schema', '']).message, /--schema needs a value/);
  });

  it('reads a set id for show', () => {
    assert.deepEqual(parseCommandLine(['show', 'factory_pulse_20250901_173948'], COMMANDS).positionals, ['factory_pulse_20250901_173948']);
  });

  it('refuses unknown commands, unknown flags, flags of other commands, missing values and stray arguments', () => {
    assert.match(usageErrorOf(['bakup']).message, /unknown command "bakup"/);
    assert.match(usageErrorOf(['backup', '--verbose']).message, /unknown flag --verbose/);
    assert.match(usageErrorOf(['list', '--db', 'x']).message, /list does not take --db/);
    assert.match(usageErrorOf(['backup', '--db']).message, /needs a value/);
    assert.match(usageErrorOf(['backup', '--dir', '']).message, /--dir needs a value/);
    assert.match(usageErrorOf(['list', 'extra']).message, /unexpected argument "extra"/);
    assert.match(usageErrorOf(['show']).message, /show needs <SET_ID>/);
    assert.match(usageErrorOf(['restore', '', '--mode', 'complete']).message, /restore needs <SET_ID>/);
    assert.match(cliHint(usageErrorOf(['show']).hint ?? []), /usage: pulse-backup show <SET_ID>/);
  });

  it('names the command or flag a typo most likely meant, and only when one is clearly nearest', () => {
    assert.equal(usageErrorOf(['bakup']).message, 'unknown command "bakup" (did you mean backup?)');
    assert.equal(usageErrorOf(['restor', 'x']).message, 'unknown command "restor" (did you mean restore?)');
    assert.equal(usageErrorOf(['frobnicate']).message, 'unknown command "frobnicate"');
    assert.equal(usageErrorOf(['backup', '--job', '2']).message, 'unknown flag --job (did you mean --jobs?)');
    assert.equal(usageErrorOf(['schedule', 'print', '--evry', 'daily']).message, 'unknown flag --evry (did you mean --every?)');
    // A flag of another command is named as such, not guessed at.
    assert.equal(usageErrorOf(['list', '--keep', '3']).message, 'list does not take --keep');
    assert.equal(nearest('keep-dayly', ['keep-daily', 'keep-weekly']), 'keep-daily');
    assert.equal(nearest('pul', ['pull', 'pulp']), undefined);
    assert.equal(nearest('x', ['pin', 'list']), undefined);
  });

  it("says in a command's help what its SET_ID may be: latest too, except for pull, whose sets are the remote's", () => {
    assert.match(helpText(COMMANDS, 'verify'), /\nSET_ID: .* or latest: the newest finished backup in the folder, not a safety set\n/);
    assert.match(helpText(COMMANDS, 'pull'), /\nSET_ID: a set as pulse-backup list --remote URL shows it/);
    assert.doesNotMatch(helpText(COMMANDS, 'pull'), /latest/);
    assert.doesNotMatch(helpText(COMMANDS, 'backup'), /SET_ID:/);
  });

  it('gives a short usage line with a pointer to the help for commands with many flags, the whole line for the rest', () => {
    const backup = cliHint(usageErrorOf(['backup', '--keep', '0']).hint ?? []);
    assert.equal(backup, 'usage: pulse-backup backup [FLAGS]; pulse-backup help backup lists the flags');
    assert.equal(
      cliHint(usageErrorOf(['restore', 'x', '--mode', 'all']).hint ?? []),
      'usage: pulse-backup restore <SET_ID> --mode MODE [FLAGS]; pulse-backup help restore lists the flags',
    );
    assert.equal(cliHint(usageErrorOf(['guard']).hint ?? []), 'usage: pulse-backup guard [FLAGS] -- COMMAND...; pulse-backup help guard lists the flags');
    assert.equal(cliHint(usageErrorOf(['pin']).hint ?? []), 'usage: pulse-backup pin <SET_ID> [--dir DIR] [--json]');
  });

  it("guard takes everything after -- as its command, flags of the command's own included, and needs one", () => {
    const parsed = parseCommandLine(['guard', '--prefix', 'app', '--run-if-backup-fails', '--', 'supabase', 'db', 'reset', '--debug', '--', 'x'], COMMANDS);
    assert.equal(parsed.command, 'guard');
    assert.deepEqual(parsed.rest, ['supabase', 'db', 'reset', '--debug', '--', 'x']);
    assert.deepEqual(parsed.positionals, []);
    assert.equal(parsed.flags.prefix, 'app');
    assert.equal(parsed.flags.runIfBackupFails, true);
    assert.equal(usageErrorOf(['guard', '--prefix', 'app']).message, 'guard needs the command to run after --, e.g. pulse-backup guard -- supabase db reset');
    assert.equal(
      usageErrorOf(['guard', '--', '', 'db', 'reset']).message,
      'the command after -- is empty (an unset shell variable?): name the program to run, e.g. pulse-backup guard -- supabase db reset',
    );
    assert.deepEqual(parseCommandLine(['guard', '--', 'sh', '-c', 'true', ''], COMMANDS).rest, ['sh', '-c', 'true', ''], 'an empty argument after the program is its own');
    assert.equal(usageErrorOf(['guard', 'supabase', 'db', 'reset']).message, 'unexpected argument "supabase"');
    assert.equal(usageErrorOf(['guard', '--keep', '3', '--', 'true']).message, 'guard does not take --keep');
    assert.equal(usageErrorOf(['backup', '--', 'true']).message, 'unexpected argument "true"');
    assert.match(usageOf(COMMANDS.find((command) => command.name === 'guard')!), / -- COMMAND\.\.\.$/);
  });

  it('reads schedule print as one command of two words, and keeps the flags as given to pass them on', () => {
    const parsed = parseCommandLine(['schedule', 'print', '--cron', '--every', '*/30 * * * *', '--schema', 'public', '--schema', 'app', '--prove', '--keep-daily', '7'], COMMANDS);
    assert.equal(parsed.command, 'schedule print');
    assert.equal(parsed.flags.cron, true);
    assert.equal(parsed.flags.every, '*/30 * * * *');
    assert.deepEqual(parsed.given, { cron: true, every: '*/30 * * * *', schema: ['public', 'app'], prove: true, 'keep-daily': '7' });
    assert.equal(usageErrorOf(['schedule']).message, 'schedule needs print');
    assert.match(cliHint(usageErrorOf(['schedule']).hint ?? []), /usage: pulse-backup schedule print \[FLAGS\]; pulse-backup help schedule print lists the flags/);
    assert.equal(usageErrorOf(['schedule', 'show']).message, 'schedule needs print');
    assert.equal(usageErrorOf(['schedule', 'print', '--json']).message, 'schedule print does not take --json');
    assert.deepEqual(parseCommandLine(['schedule', 'print', '--help'], COMMANDS).positionals, ['schedule print']);
    assert.match(helpText(COMMANDS, 'schedule print'), /^pulse-backup schedule print \[--cron\]/);
    assert.match(helpText(COMMANDS, 'schedule'), /^pulse-backup schedule print /);
  });

  it('treats no arguments, help and --help as a request for help', () => {
    assert.equal(parseCommandLine([], COMMANDS).command, 'help');
    assert.equal(parseCommandLine(['--help'], COMMANDS).command, 'help');
    assert.deepEqual(parseCommandLine(['backup', '--help'], COMMANDS).positionals, ['backup']);
    assert.equal(parseCommandLine(['--version'], COMMANDS).command, 'version');
  });

  it('lists every command and flag in the help', () => {
    const text = helpText(COMMANDS);
    for (const command of COMMANDS) assert.ok(text.includes(`pulse-backup ${command.name}`), command.name);
    assert.match(helpText(COMMANDS, 'backup'), /--pg-bin-dir DIR/);
  });
});

describe('pg_dump command line', () => {
  it('dumps plain SQL from the exported snapshot, never prompts, and carries no connection details', () => {
    const args = buildPgDumpArgs('00000003-0000001B-1');
    assert.deepEqual(args, ['--format=plain', '--snapshot=00000003-0000001B-1', '--no-password', '--lock-wait-timeout=60s']);
    assert.ok(!args.some((arg) => /password=|postgres(ql)?:\/\/|^-[hpUdW]$|--(host|port|username|dbname)/.test(arg)));
  });
});
