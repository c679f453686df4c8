/**
 * A hint's actions are data, and each front door words them: the CLI names
 * the flag and the environment variable of the one table, VS Code the
 * setting or the command. Nothing VS Code shows names a CLI flag.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { commandLineWords } from '../../src/core/commandLineWords';
import { formatError, PulseError, toPulseError } from '../../src/core/errors';
import { actionsOf, commandLineOnly, hint, option, run, seeDetails, seeSets, setOption, startServer, wordHint, type Action } from '../../src/core/hint';
import { COMMANDS, OPTIONS, type CommandName, type OptionName } from '../../src/core/options';
import { restoreHint } from '../../src/core/restore/failures';
import { diskSpaceCheck, psqlCheck } from '../../src/core/verify/checks';
import { checkLine } from '../../src/core/verify/results';
import { parsePgVersion } from '../../src/core/pg/tools';
import { actionsFor, extensionLine, extensionWords, forExtension, sentenceOf } from '../../src/extension/hints';
import { cliError } from '../../src/core/commandLineWords';
import { remoteFailure, type FailureContext } from '../../src/core/offsite/failures';

const FLAG = /(^|[^\w-])--[a-z]/;
const vscodeWords = extensionWords();

/** Every action the table and the commands allow, each kind once at least. */
function everyAction(): Action[] {
  const options = Object.keys(OPTIONS) as OptionName[];
  const commands = Object.keys(COMMANDS) as CommandName[];
  return [
    ...options.flatMap((name) => [option(name), option(name, '10'), setOption(name)]),
    ...commands.map((name) => run(name)),
    run('verify', 'shop_20250101_000000'),
    seeSets('/tmp/backups'),
    startServer(),
    seeDetails(),
    seeDetails("psql's output"),
    commandLineOnly(hint`; ${option('lockTimeout', 'SECONDS')} waits longer`),
    commandLineOnly(hint`pass ${option('allowRemote')}`, hint`use the command line`),
  ];
}

describe('hints: actions as data, worded by each front door', () => {
  it('words every option of the table as its flag (and variable) on the command line, and never as a flag in VS Code', () => {
    for (const action of everyAction()) {
      const vscode = wordHint([action], vscodeWords);
      assert.ok(!FLAG.test(vscode), `${JSON.stringify(action)} reads "${vscode}" in VS Code`);
      if (action.kind === 'option' || action.kind === 'set') {
        const spec: { flag?: string; env?: string } = OPTIONS[action.option];
        const cli = wordHint([action], commandLineWords);
        if (spec.flag) assert.ok(cli.includes(`--${spec.flag}`), `${action.option}: ${cli}`);
        else assert.ok(cli.includes(spec.env ?? '?'), `${action.option}: ${cli}`);
      }
    }
  });

  it('says the client tools folder as --pg-bin-dir DIR / PULSE_BACKUP_PG_BIN_DIR on the command line and as the setting in VS Code', () => {
    const advice = hint`install the PostgreSQL 17 client tools or ${setOption('clientToolsFolder')}`;
    assert.equal(wordHint(advice, commandLineWords), 'install the PostgreSQL 17 client tools or pass --pg-bin-dir DIR (or set PULSE_BACKUP_PG_BIN_DIR)');
    assert.equal(wordHint(advice, vscodeWords), 'install the PostgreSQL 17 client tools or set "Pulse Backup: Client Tools Folder" in the settings');
    const example = hint`keep at least 1 set, e.g. ${option('keepLast', '10')}`;
    assert.equal(wordHint(example, commandLineWords), 'keep at least 1 set, e.g. --keep-last 10');
    assert.equal(wordHint(example, vscodeWords), 'keep at least 1 set, e.g. the setting "Pulse Backup: Retention: Keep Last" set to 10');
  });

  it('names the command in VS Code and pulse-backup on the command line', () => {
    const advice = hint`the folder has no backup sets; ${run('backup')} first`;
    assert.equal(wordHint(advice, commandLineWords), 'the folder has no backup sets; run pulse-backup backup first');
    assert.equal(wordHint(advice, vscodeWords), 'the folder has no backup sets; run Pulse Backup: Back Up Database first');
    assert.equal(wordHint([seeSets('/tmp/my backups')], commandLineWords), "run pulse-backup list --dir '/tmp/my backups' to see the sets");
    assert.equal(wordHint([seeSets('/tmp/b')], vscodeWords), 'see the sets in the Backups view');
    assert.equal(
      wordHint(hint`check the connection (${option('connection')}), or ${seeDetails()}`, vscodeWords),
      'check the connection (Pulse Backup: Configure Connection), or see Pulse Backup: Show Log for details',
    );
    assert.equal(
      wordHint(hint`check the connection (${option('connection')}), or ${seeDetails()}`, commandLineWords),
      'check the connection (--db), or run again with PULSE_BACKUP_DEBUG=1 for details',
    );
  });

  it('words a role that may not create scratch databases with the Scratch Server URL setting in VS Code, --scratch-db on the command line', () => {
    const url = 'postgresql://supabase_admin@127.0.0.1:54322/postgres';
    const advice = hint`supabase_admin can: ${commandLineOnly(hint`pass ${option('scratchDatabase', url)} (its password in PGPASSWORD or ~/.pgpass)`, hint`${setOption('scratchDatabase')} to ${url} (its password in ~/.pgpass)`)}, or ALTER ROLE app CREATEDB`;
    assert.equal(
      wordHint(advice, vscodeWords),
      `supabase_admin can: set "Pulse Backup: Scratch Server URL" in the settings to ${url} (its password in ~/.pgpass), or ALTER ROLE app CREATEDB`,
    );
    assert.equal(wordHint(advice, commandLineWords), `supabase_admin can: pass --scratch-db ${url} (its password in PGPASSWORD or ~/.pgpass), or ALTER ROLE app CREATEDB`);
  });

  it('leaves command-line-only advice out of VS Code, punctuation and all', () => {
    const advice = hint`run the backup again when that session has finished${commandLineOnly(hint`; ${option('lockTimeout', 'SECONDS')} waits longer`)}`;
    assert.equal(wordHint(advice, commandLineWords), 'run the backup again when that session has finished; --lock-timeout SECONDS waits longer');
    assert.equal(wordHint(advice, vscodeWords), 'run the backup again when that session has finished');
  });

  it('keeps the space at the edges of command-line-only advice, so it never runs into the words beside it', () => {
    const cases: [ReturnType<typeof hint>, string, string][] = [
      [
        hint`run the backup again${commandLineOnly(hint` with ${option('jobs', '1')}`)}, and report this`,
        'run the backup again with --jobs 1, and report this',
        'run the backup again, and report this',
      ],
      [
        hint`${commandLineOnly(hint`pass ${option('clean')} to replace them, or `)}restore into an empty database`,
        'pass --clean to replace them, or restore into an empty database',
        'restore into an empty database',
      ],
      [
        hint`wait${commandLineOnly(hint` (${option('lockTimeout', 'SECONDS')} waits longer)`)}; nothing was changed`,
        'wait (--lock-timeout SECONDS waits longer); nothing was changed',
        'wait; nothing was changed',
      ],
      [hint`try again${commandLineOnly(hint` with ${option('allowRemote')}`, hint` from the command line`)}`, 'try again with --allow-remote', 'try again from the command line'],
    ];
    for (const [advice, cli, vscode] of cases) {
      assert.equal(wordHint(advice, commandLineWords), cli);
      assert.equal(wordHint(advice, vscodeWords), vscode);
    }
  });

  it('tells a plain folder to start its PostgreSQL server, and only a Supabase project to run supabase start', () => {
    const refused = new PulseError('connection-refused', 'cannot connect to PostgreSQL at 127.0.0.1:5432: connection refused', {
      hint: hint`${startServer()}, or ${setOption('connection')} if it runs elsewhere`,
    });
    assert.equal(
      extensionLine(refused),
      'cannot connect to PostgreSQL at 127.0.0.1:5432: connection refused: start the PostgreSQL server, or run Pulse Backup: Configure Connection if it runs elsewhere',
    );
    assert.match(extensionLine(refused, { supabase: true }), /start the Supabase stack \(supabase start\), or run Pulse Backup: Configure Connection/);
    assert.equal(sentenceOf(forExtension(refused)).charAt(0), 'C');
    assert.match(
      formatError(refused, commandLineWords),
      /start the database \(supabase start, or your PostgreSQL service\), or pass --db URL \(or set PULSE_BACKUP_DB_URL\) if it runs elsewhere$/,
    );
  });

  it('a folder where one of its files belongs (a history, a pin marker) is one line naming that path, not an unexpected error', () => {
    const renamed = toPulseError(Object.assign(new Error('is a dir'), { code: 'EISDIR', syscall: 'rename', path: '/b/.h.json.1.partial', dest: '/b/h.json' }));
    assert.equal(formatError(renamed, commandLineWords), 'a folder is where a file belongs (/b/h.json): remove or rename that folder if nothing of yours is in it, then run again');
    assert.equal(toPulseError(Object.assign(new Error('is a dir'), { code: 'EISDIR', syscall: 'unlink', path: '/b/p' })).message, 'a folder is where a file belongs (/b/p)');
  });

  it("words the engine's own errors, checks and restore advice in both front doors, with no flag in VS Code", () => {
    const errors = [
      toPulseError(Object.assign(new Error('no space'), { code: 'ENOSPC', path: '/b' })),
      toPulseError(Object.assign(new Error('denied'), { code: 'EACCES', path: '/b' })),
      toPulseError(Object.assign(new Error('not a dir'), { code: 'ENOTDIR', path: '/b' })),
      toPulseError(new Error('boom')),
    ];
    for (const error of errors) {
      assert.ok(!FLAG.test(extensionLine(error)), extensionLine(error));
      assert.notEqual(formatError(error, commandLineWords), extensionLine(error));
    }
    assert.match(formatError(errors[0], commandLineWords), /with --dir$/);
    assert.match(extensionLine(errors[0]), /with the setting "Pulse Backup: Backups Folder"$/);
    // A symbolic link the folder would not take (the lock's entry) is named by the link, never by what it points to.
    const symlinkRefused = toPulseError(Object.assign(new Error('denied'), { code: 'EACCES', syscall: 'symlink', path: 'v1 4242 pid-record', dest: '/b/.pulse-backup.lock.1' }));
    assert.equal(symlinkRefused.message, 'permission denied (/b/.pulse-backup.lock.1)');
    const readOnly = toPulseError(Object.assign(new Error('read-only'), { code: 'EROFS', syscall: 'open', path: '/b/x' }));
    assert.equal(formatError(readOnly, commandLineWords), 'the file system is read-only (/b/x): choose a backups folder on a disk you can write to with --dir');

    const old = { path: '/opt/pg15.13/bin/psql', version: parsePgVersion('psql (PostgreSQL) 15.13')! };
    const newer = { path: '/usr/lib/postgresql/17/bin/psql', version: parsePgVersion('psql (PostgreSQL) 17.6')! };
    const checks = [
      psqlCheck({
        candidates: [old, newer],
        preferred: old,
        filesWithRestrict: ['a.sql'],
        serverVersion: newer.version,
        binDirHint: hint`point ${option('clientToolsFolder')} at it`,
      }),
      psqlCheck({ candidates: [], filesWithRestrict: [], binDirHint: hint`point ${option('clientToolsFolder')} at it` }),
      diskSpaceCheck({ folder: '/b', freeBytes: 1, setBytes: 1000 }),
    ];
    for (const check of checks) {
      assert.ok(check.hint, check.id);
      assert.ok(FLAG.test(checkLine(check, commandLineWords)), checkLine(check, commandLineWords));
      assert.ok(!FLAG.test(checkLine(check, vscodeWords)), checkLine(check, vscodeWords));
    }
    assert.match(checkLine(checks[0], vscodeWords), /can: give its folder as the setting "Pulse Backup: Client Tools Folder"$/);

    for (const message of [
      'operator === already exists',
      'duplicate key value violates unique constraint',
      'invalid command \\restrict',
      'role "supabase_auth_admin" does not exist',
      'syntax error',
    ]) {
      const advice = restoreHint(message, undefined);
      assert.ok(!FLAG.test(wordHint(advice, vscodeWords)), wordHint(advice, vscodeWords));
      assert.ok(actionsOf(advice).length > 0, message);
    }
  });

  it('keeps the message, the code and the details when it rewords, and leaves plain hints alone', () => {
    const plain = new PulseError('connection-refused', 'could not connect to 127.0.0.1:1', { hint: 'is the server running?', details: 'ECONNREFUSED' });
    assert.equal(forExtension(plain), plain);
    const reworded = forExtension(
      new PulseError('disk-full', 'the disk is full', { hint: hint`choose another backups folder with ${option('backupsFolder')}`, details: 'ENOSPC' }),
    );
    assert.equal(reworded.code, 'disk-full');
    assert.equal(reworded.details, 'ENOSPC');
    assert.equal(formatError(reworded, commandLineWords), 'the disk is full: choose another backups folder with the setting "Pulse Backup: Backups Folder"');
    assert.ok(forExtension(new Error('boom')) instanceof PulseError);
  });

  it('has no flag written into the prose of an engine hint: flags are actions', () => {
    const files: string[] = [];
    const walk = (folder: string): void => {
      for (const name of readdirSync(folder)) {
        const path = join(folder, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts') && name !== 'commandLineWords.ts') files.push(path);
      }
    };
    walk(join(__dirname, '../../src/core'));
    const offenders = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, index) => ({ line, where: `${file}:${index + 1}` }))
        .filter(({ line }) => /\bhint:\s*['`"][^'`"]*(--[a-z]|PULSE_BACKUP_)/.test(line) || /\bhint`[^`]*?(?<!\$\{[^}]*)--[a-z]/.test(line)),
    );
    assert.deepEqual(
      offenders.map(({ where, line }) => `${where}: ${line.trim()}`),
      [],
    );
  });

  describe('offsite storage', () => {
    const context: FailureContext = { bucket: 'team-backups', key: 'factory/app_1/app.sql', where: 'http://127.0.0.1:9000', region: 'us-east-1', secrets: [] };
    const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
      Object.assign(new Error(name), { name, Code: name, $metadata: { httpStatusCode: status }, ...extra });
    const failures = {
      'no credentials': remoteFailure(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), context),
      'rejected keys': remoteFailure(sdkError('InvalidAccessKeyId', 403), context),
      'access denied': remoteFailure(sdkError('AccessDenied', 403), context),
      'no bucket': remoteFailure(sdkError('NoSuchBucket', 404), context),
      'wrong region': remoteFailure(sdkError('PermanentRedirect', 301, { $response: { statusCode: 301, headers: { 'x-amz-bucket-region': 'eu-west-1' } } }), context),
      'no region': remoteFailure(new Error('Region is missing'), context),
      'clock skew': remoteFailure(sdkError('RequestTimeTooSkewed', 403), context),
      unreachable: remoteFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), context),
    };

    it("words every failure of the storage in VS Code's words: settings and commands, never a flag or the CLI's variables", () => {
      for (const [what, failure] of Object.entries(failures)) {
        const line = extensionLine(failure);
        assert.ok(!FLAG.test(line), `${what}: ${line}`);
        assert.ok(!/AWS_[A-Z_]+|~\/\.aws/.test(line), `${what}: ${line}`);
      }
      assert.equal(
        extensionLine(failures['no credentials']),
        'cannot sign in to http://127.0.0.1:9000 for s3://team-backups: no AWS credentials were found: run Pulse Backup: Set Offsite Credentials…',
      );
      assert.match(extensionLine(failures['rejected keys']), /\(InvalidAccessKeyId\): run Pulse Backup: Set Offsite Credentials… with this storage's current keys$/);
      assert.match(extensionLine(failures['wrong region']), /: set "Pulse Backup: Offsite: Region" in the settings to eu-west-1$/);
      assert.match(extensionLine(failures['no bucket']), /check the bucket's name in the s3:\/\/ URL and the setting "Pulse Backup: Offsite: Endpoint"$/);
    });

    it('keeps the command line its own words: the environment, profiles and flags', () => {
      assert.match(cliError(failures['no credentials']), /: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile of ~\/\.aws\/credentials with --aws-profile NAME$/);
      assert.match(
        cliError(failures['rejected keys']),
        /: check that AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(or the keys of the profile named with --aws-profile\) are this storage's and current$/,
      );
      assert.match(cliError(failures['wrong region']), /: pass --region eu-west-1$/);
      assert.match(cliError(failures['no region']), /: pass --region REGION \(the bucket's region, e\.g\. eu-west-1\)$/);
    });

    it('offers the command that helps: the keys for credentials, the offsite settings for the bucket, region and endpoint', () => {
      assert.deepEqual(
        actionsFor(failures['no credentials'].code).map((action) => action.title),
        ['Set Offsite Credentials…', 'Show Log'],
      );
      assert.deepEqual(
        actionsFor(failures['rejected keys'].code).map((action) => action.title),
        ['Set Offsite Credentials…', 'Show Log'],
      );
      for (const failure of [failures['no bucket'], failures['wrong region'], failures.unreachable])
        assert.deepEqual(
          actionsFor(failure.code).map((action) => action.title),
          ['Open Offsite Settings', 'Show Log'],
        );
    });
  });
});
