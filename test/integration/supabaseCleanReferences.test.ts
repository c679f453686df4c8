/**
 * A --clean restore of a Supabase set empties the platform tables it brings
 * rows for (auth.users, storage.buckets, …) with DELETE, foreign keys quiet:
 * a table the set does not hold whose rows point into them (an app's table
 * added since the backup, for a user who signed up since) stops it before
 * anything changes, in one line naming the constraint and what to do, and
 * again inside its transaction when the row comes after the pre-flight.
 * The platform's own references among the tables the set holds
 * (auth.identities and auth.sessions on auth.users, storage.objects on
 * storage.buckets) never do. On Supabase's own platform when
 * ../shared/fixtures is beside the repository, and always on the project's
 * sample of it, as the stack's own non-superuser postgres.
 */
import { strict as assert } from 'node:assert';
import { executeRestore } from '../../src/core/restore/load';
import { planRestore } from '../../src/core/restore/plan';
import { parseConnectionUrl } from '../../src/core/connection/target';
import type { PulseError } from '../../src/core/errors';
import { assertOneLineError, runCli } from '../support/cli';
import { assertSameContent, diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { useTempFolders } from '../support/integration';
import { supabasePlatformAvailable, useSupabaseAppSet } from '../support/supabasePlatform';

const hintText = (error: PulseError) => (error.hint ?? []).map((part) => (typeof part === 'string' ? part : '')).join('');

/** A user who signed up after the backup, and the app's table (which the set does not hold) with a row of theirs. */
const SIGNED_UP_SINCE = `
  SET ROLE postgres;
  CREATE TABLE public.later (id serial PRIMARY KEY, user_id uuid REFERENCES auth.users (id) ON DELETE CASCADE, note text);
  INSERT INTO auth.users (instance_id, id, aud, role, email, created_at, updated_at)
  VALUES ('00000000-0000-0000-0000-000000000000', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'authenticated', 'authenticated', 'new@example.test', now(), now());
  INSERT INTO public.later (user_id, note) VALUES ('aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa', 'a note of theirs');
  RESET ROLE`;

const REFUSED =
  /^pulse-backup: rows of 1 table the backup does not have point into the platform tables --clean would empty, which would leave them pointing at what the backup may not have: constraint later_user_id_fkey on table public\.later \(on table auth\.users\)/;
const ADVICE = /empty that table \(DELETE FROM public\.later;\) or drop it first, or restore into a fresh stack \(after supabase db reset\) instead; nothing was changed$/;

for (const platform of ['supabase', 'sample'] as const) {
  const suite = platform === 'sample' || supabasePlatformAvailable() ? describe : describe.skip;
  suite(
    `--clean of a Supabase set and the rows that point into the platform tables it empties (${platform === 'supabase' ? "Supabase's own platform" : "the project's sample of it"})`,
    function () {
      const newFolder = useTempFolders('pulse-backup-supabase-clean-references-');
      const source = 'app';
      const appSet = useSupabaseAppSet(source, newFolder, platform === 'sample' ? { platform } : {});

      /** A copy of the source, as the stack's postgres owns it. */
      async function copyOfSource(name: string, sql?: string): Promise<string> {
        await appSet.stack.server.createDatabase(name, { template: source, owner: 'postgres' });
        if (sql) await appSet.stack.server.query(name, sql);
        return name;
      }

      const restore = (target: string, mode: string) =>
        runCli(['restore', appSet.manifest.id, '--mode', mode, '--clean', '--db', appSet.stack.asPostgres(target), '--dir', appSet.folder, '--yes', '--no-safety-backup']);

      for (const mode of ['data', 'complete']) {
        it(`${mode} --clean is refused in one line before anything changes, and goes through once that table is emptied`, async function () {
          assert.equal(appSet.stack.platform, platform);
          const target = await copyOfSource(`signed_up_${mode}`, SIGNED_UP_SINCE);
          const before = await fingerprintDatabase(appSet.stack.server.url(target));
          const refused = await restore(target, mode);
          assertOneLineError(refused);
          assert.match(refused.stderr, REFUSED);
          assert.match(refused.stderr, ADVICE);
          assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(appSet.stack.server.url(target))), []);
          // The advice, followed: the restore goes through and leaves the table the set does not hold as it was (empty).
          await appSet.stack.server.query(target, 'DELETE FROM public.later');
          const followed = await restore(target, mode);
          assert.equal(followed.code, 0, followed.stderr);
          await appSet.stack.server.query(target, 'DROP TABLE public.later');
          await assertSameContent(appSet.stack.server.url(source), appSet.stack.server.url(target));
        });

        it(`${mode} --clean: a row written after the pre-flight fails the restore inside its transaction, in the same words, and it rolls back`, async function () {
          const target = await copyOfSource(
            `signed_up_late_${mode}`,
            'SET ROLE postgres; CREATE TABLE public.later (id serial PRIMARY KEY, user_id uuid REFERENCES auth.users (id), note text); RESET ROLE',
          );
          const plan = await planRestore({
            folder: appSet.folder,
            setId: appSet.manifest.id,
            mode: mode as 'data' | 'complete',
            target: parseConnectionUrl(appSet.stack.asPostgres(target)),
            env: {},
            clean: true,
            allowRemote: false,
          });
          // Between the confirmation and the load, a user signs up and the app stores a row for them.
          await appSet.stack.server.query(target, SIGNED_UP_SINCE.replace(/\n\s*CREATE TABLE[^\n]*/, ''));
          const changed = await fingerprintDatabase(appSet.stack.server.url(target));
          await assert.rejects(executeRestore(plan, { safetyBackup: false }), (error: PulseError) => {
            assert.match(
              error.message,
              /^restore stopped and was rolled back: since the pre-flight, rows of 1 table the backup does not have point into the platform tables --clean would empty, which would leave them pointing at what the backup may not have: constraint later_user_id_fkey on table public\.later \(on table auth\.users\)$/,
            );
            assert.match(hintText(error), /empty that table \(DELETE FROM public\.later;\) or drop it first, .*; the target is unchanged$/);
            return true;
          });
          assert.deepEqual(diffFingerprints(changed, await fingerprintDatabase(appSet.stack.server.url(target))), []);
        });
      }

      it("data and complete --clean go through over the platform's own references, and a table outside the set with no row pointing anywhere", async function () {
        for (const mode of ['data', 'complete']) {
          // Since the backup: sessions for its users (auth.sessions, which the set holds, on auth.users), a user gone with
          // their identity, and an app table the set does not hold whose rows point nowhere.
          const target = await copyOfSource(
            `platform_own_${mode}`,
            `INSERT INTO auth.sessions (id, user_id, created_at, updated_at) SELECT gen_random_uuid(), id, now(), now() FROM auth.users ORDER BY id LIMIT 3;
           SET session_replication_role = replica;
           DELETE FROM auth.identities WHERE user_id = (SELECT id FROM auth.users ORDER BY id DESC LIMIT 1);
           RESET session_replication_role;
           SET ROLE postgres;
           CREATE TABLE public.notes (id serial PRIMARY KEY, user_id uuid REFERENCES auth.users (id), note text);
           INSERT INTO public.notes (note) VALUES ('nobody''s');
           CREATE TABLE public.empty_later (user_id uuid REFERENCES auth.users (id));
           RESET ROLE`,
          );
          const result = await restore(target, mode);
          assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
          await appSet.stack.server.query(target, 'DROP TABLE public.notes, public.empty_later');
          await assertSameContent(appSet.stack.server.url(source), appSet.stack.server.url(target));
        }
      });
    },
  );
}
