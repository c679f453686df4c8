import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DESTRUCTIVE_COMMANDS, destructiveCommandIn } from '../../src/core/process/destructiveCommands';

describe('the commands the guard watches for', () => {
  it('finds each one as people type it', () => {
    const cases: Array<[string, string | undefined]> = [
      ['supabase db reset', 'supabase db reset'],
      ['npx supabase db reset --local', 'supabase db reset'],
      ['cd app && supabase db reset', 'supabase db reset'],
      ['supabase migration up', 'supabase migration up'],
      ['pnpm supabase migration down --last 1', 'supabase migration down'],
      ['npx prisma migrate reset --force', 'prisma migrate reset'],
      ['npm run db:reset', 'npm run db:reset'],
      ['yarn db:reset', 'npm run db:reset'],
      ['pulse-backup guard -- supabase db reset', undefined],
      ['npx pulse-backup guard --prove -- npm run db:reset', undefined],
      ['supabase db push', undefined],
      ['echo supabase-db-reset', undefined],
      ['git commit -m "supabase db resets"', undefined],
      ['npm run db:reset-docs', undefined],
      ['prisma migrate deploy', undefined],
    ];
    for (const [line, expected] of cases) assert.equal(destructiveCommandIn(line)?.command, expected, line);
  });

  it('is the list of guard recipes in docs/schedules.md', () => {
    const docs = readFileSync(join(__dirname, '../../docs/schedules.md'), 'utf8');
    for (const entry of DESTRUCTIVE_COMMANDS)
      assert.ok(
        docs.includes(`pulse-backup guard -- ${entry.command}\``) || docs.includes(`pulse-backup guard -- npx ${entry.command}\``),
        `docs/schedules.md has a recipe for ${entry.command}`,
      );
  });
});
