import { strict as assert } from 'node:assert';
import { commandSummary, describeCommand, guardedEnvironment, relaysSignal, SAFETY_SET_VARIABLE, shellExitCode } from '../../src/core/process/guardedCommand';

describe("guard's command", () => {
  it("gets the person's environment, less our URL that may hold a password, plus the safety set's id", () => {
    const env = guardedEnvironment(
      { PATH: '/usr/bin', DATABASE_URL: 'postgresql://app:secret@h/d', PGPASSWORD: 'theirs', PULSE_BACKUP_DB_URL: 'postgresql://app:secret@h/d', PULSE_BACKUP_DIR: 'b' },
      'plant_20260101_030000',
    );
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      DATABASE_URL: 'postgresql://app:secret@h/d',
      PGPASSWORD: 'theirs',
      PULSE_BACKUP_DIR: 'b',
      [SAFETY_SET_VARIABLE]: 'plant_20260101_030000',
    });
    assert.equal(guardedEnvironment({ [SAFETY_SET_VARIABLE]: 'an outer guard’s' }, undefined)[SAFETY_SET_VARIABLE], undefined, 'no safety set: none named');
  });

  it('passes SIGTERM on always, and the keys of a terminal only where there is no terminal to send them', () => {
    for (const signal of ['SIGINT', 'SIGQUIT', 'SIGHUP'] as const) {
      assert.equal(relaysSignal(signal, true), false, `${signal} in a terminal`);
      assert.equal(relaysSignal(signal, false), true, `${signal} without one`);
    }
    assert.equal(relaysSignal('SIGTERM', true), true);
    assert.equal(relaysSignal('SIGTERM', false), true);
  });

  it("reports the exit as a shell's $? does", () => {
    assert.equal(shellExitCode(0, null), 0);
    assert.equal(shellExitCode(7, null), 7);
    assert.equal(shellExitCode(null, 'SIGTERM'), 143);
    assert.equal(shellExitCode(null, 'SIGINT'), 130);
    assert.equal(shellExitCode(null, 'SIGKILL'), 137);
  });

  it('records the program and its plain first words, never an option, a URL or quoted text', () => {
    assert.equal(commandSummary(['supabase', 'db', 'reset']), 'supabase db reset');
    assert.equal(commandSummary(['/usr/local/bin/npm', 'run', 'db:reset']), 'npm run db:reset');
    assert.equal(commandSummary(['npx', 'prisma', 'migrate', 'reset', '--force']), 'npx prisma migrate reset');
    assert.equal(commandSummary(['supabase', 'migration', 'up', '--db-url', 'postgresql://u:secret@h/d']), 'supabase migration up');
    assert.equal(commandSummary(['psql', 'postgresql://u:secret@h/d', '-c', 'drop table x']), 'psql');
    assert.equal(commandSummary(['mysql', '-pSecret']), 'mysql');
    assert.equal(commandSummary(['deploy', 'Hunter2Secret']), 'deploy', 'a word with capitals is not a plain subcommand');
  });

  it('shows the command for a person on one line, quoted for a shell, without a password', () => {
    assert.equal(describeCommand(['sh', '-c', 'psql "$URL" -c \'drop table x\'']), `sh -c 'psql "$URL" -c '\\''drop table x'\\'''`);
    assert.equal(describeCommand(['psql', 'postgresql://u:secret@h/d']), 'psql postgresql://u:****@h/d');
    assert.equal(describeCommand(['psql', '--password', 'plant', '-c', 'select 1']), "psql --password plant -c 'select 1'", "psql's --password is a switch");
    assert.equal(describeCommand(['supabase', 'db', 'push', '--password', 'S3cret', '--linked']), "supabase db push --password '****' --linked");
    assert.equal(
      describeCommand(['tool', '--DB-PASSWORD', 's', '-p', '5432', '--passwd', 'x', '--password=y']),
      "tool --DB-PASSWORD '****' -p 5432 --passwd '****' --password=****",
    );
    assert.equal(describeCommand(['echo', 'x'.repeat(200)]).length, 100);
  });

  it("hides the Supabase CLI's -p password, also as a package runner starts it, and leaves other programs' -p alone", () => {
    assert.equal(describeCommand(['supabase', 'link', '--project-ref', 'abc', '-p', 'S3cret']), "supabase link --project-ref abc -p '****'");
    assert.equal(describeCommand(['npx', 'supabase', 'db', 'push', '-pS3cret']), "npx supabase db push '-p****'");
    assert.equal(describeCommand(['pnpm', 'dlx', 'supabase@2.20.0', 'link', '-p=S3cret']), "pnpm dlx supabase@2.20.0 link '-p=****'");
    assert.equal(describeCommand(['/usr/local/bin/supabase', 'db', 'push', '-p', 'S3cret']), "/usr/local/bin/supabase db push -p '****'");
    assert.equal(describeCommand(['psql', '-d', 'supabase', '-p', '54322']), 'psql -d supabase -p 54322', 'a database named supabase is not the CLI');
    assert.equal(describeCommand(['supabase', 'start', '-x', 'vector']), 'supabase start -x vector');
    assert.equal(describeCommand(['npm', 'exec', 'supabase', '--', 'link', '-p', 'S3cret']), "npm exec supabase -- link -p '****'");
    assert.equal(describeCommand(['bun', 'x', 'supabase', 'link', '-p', 'S3cret']), "bun x supabase link -p '****'");
    assert.equal(describeCommand(['npx', '-p', 'supabase', 'supabase', 'link', '-p', 'S3cret']), "npx -p supabase supabase link -p '****'");
    assert.equal(describeCommand(['npx', '--package=supabase@2', 'supabase', 'db', 'push', '-pS3cret']), "npx --package=supabase@2 supabase db push '-p****'");
  });
});
