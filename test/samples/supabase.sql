-- Pulse Backup's own Supabase-shaped sample: what a local Supabase database of
-- the Factory Pulse app looks like to a backup, without the Docker stack.
--
-- The platform part: the roles the stack creates, the schemas it owns (auth,
-- storage, extensions, graphql_public, realtime, supabase_migrations) with
-- its tables, functions and migration histories.
-- pg_cron, pgmq and database hooks are modelled as their extensions and the
-- platform create them (the extensions themselves are not installed here):
-- the cron, pgmq and supabase_functions schemas with their tables, sequences,
-- and pg_cron's own policies; the application schedules jobs, queues
-- messages and registers a hook, whose rows a reset would lose.
-- The application part (the stack suite's migration, supabase-stack-app.sql,
-- and a little more): tables in public that reference auth.users, row-level
-- security calling auth.uid(), an "operator profile for every new user"
-- trigger on auth.users (it would insert a second profile if a data restore
-- left triggers on), and policies the application put on storage.objects.
--
-- Load as a superuser into an empty database:
--   psql -X -v ON_ERROR_STOP=1 -d DB -f supabase.sql
-- Roles are cluster-wide; they are created only when missing.

BEGIN;

DO $roles$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['anon', 'authenticated', 'service_role', 'authenticator', 'supabase_admin',
                                   'supabase_auth_admin', 'supabase_storage_admin', 'supabase_realtime_admin', 'dashboard_user']
  LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
    END IF;
  END LOOP;
END
$roles$;

-- Platform ---------------------------------------------------------------

CREATE SCHEMA extensions AUTHORIZATION supabase_admin;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
CREATE SCHEMA auth AUTHORIZATION supabase_admin;
CREATE SCHEMA storage AUTHORIZATION supabase_admin;
CREATE SCHEMA realtime AUTHORIZATION supabase_admin;
CREATE SCHEMA graphql_public AUTHORIZATION supabase_admin;
CREATE SCHEMA supabase_migrations AUTHORIZATION supabase_admin;
GRANT USAGE ON SCHEMA auth, storage TO anon, authenticated, service_role;
GRANT ALL ON SCHEMA auth TO supabase_auth_admin;
GRANT ALL ON SCHEMA storage TO supabase_storage_admin;
GRANT ALL ON SCHEMA realtime TO supabase_realtime_admin;

CREATE TABLE auth.users (
  instance_id uuid,
  id uuid NOT NULL PRIMARY KEY,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  created_at timestamptz,
  updated_at timestamptz,
  last_sign_in_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON auth.users (email);
CREATE TABLE auth.identities (
  provider_id text NOT NULL,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  identity_data jsonb NOT NULL,
  provider text NOT NULL,
  created_at timestamptz,
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid() PRIMARY KEY,
  UNIQUE (provider_id, provider)
);
-- A platform table the application never needs back: sessions die with a reset.
CREATE TABLE auth.sessions (
  id uuid NOT NULL PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at timestamptz
);
CREATE TABLE auth.schema_migrations (version varchar(255) NOT NULL PRIMARY KEY);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
  AS $fn$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $fn$;
ALTER TABLE auth.users OWNER TO supabase_auth_admin;
ALTER TABLE auth.identities OWNER TO supabase_auth_admin;
ALTER TABLE auth.sessions OWNER TO supabase_auth_admin;
ALTER TABLE auth.schema_migrations OWNER TO supabase_auth_admin;
ALTER FUNCTION auth.uid() OWNER TO supabase_auth_admin;

CREATE TABLE storage.buckets (
  id text NOT NULL PRIMARY KEY,
  name text NOT NULL,
  public boolean DEFAULT false,
  file_size_limit bigint,
  created_at timestamptz DEFAULT now()
);
CREATE TABLE storage.objects (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid() PRIMARY KEY,
  bucket_id text REFERENCES storage.buckets (id),
  name text,
  owner uuid,
  metadata jsonb,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now()
);
CREATE TABLE storage.migrations (id integer PRIMARY KEY, name varchar(100) NOT NULL UNIQUE, hash varchar(40) NOT NULL, executed_at timestamp DEFAULT current_timestamp);
CREATE FUNCTION storage.touch_updated_at() RETURNS trigger LANGUAGE plpgsql
  AS $fn$ BEGIN NEW.updated_at := now(); RETURN NEW; END $fn$;
-- The platform's own trigger on its table: never the application's.
CREATE TRIGGER objects_touch_updated_at BEFORE UPDATE ON storage.objects FOR EACH ROW EXECUTE FUNCTION storage.touch_updated_at();
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.buckets OWNER TO supabase_storage_admin;
ALTER TABLE storage.objects OWNER TO supabase_storage_admin;
ALTER TABLE storage.migrations OWNER TO supabase_storage_admin;

CREATE TABLE realtime.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));
ALTER TABLE realtime.schema_migrations OWNER TO supabase_realtime_admin;
CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);
ALTER TABLE supabase_migrations.schema_migrations OWNER TO supabase_admin;

-- pg_cron, pgmq and database hooks, as the platform makes them.
\ir supabase-extensions.sql

-- Application ------------------------------------------------------------

-- The project's migration, as the stack suite applies it; then what this
-- sample has on top: a column added later, a sequence, one more policy on
-- each of its tables and on storage.objects, and the grant on the schema.
\ir supabase-stack-app.sql
ALTER TABLE public.operators ADD COLUMN badge_photo text;
CREATE SEQUENCE public.ticket_numbers START 9000;
CREATE POLICY "operators edit themselves" ON public.operators FOR UPDATE TO authenticated USING (auth.uid() = id);
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
CREATE POLICY "badge photos by their owner" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'badges' AND owner = auth.uid());

-- Data -------------------------------------------------------------------

INSERT INTO auth.schema_migrations SELECT '2024' || lpad(g::text, 10, '0') FROM generate_series(1, 15) g;
INSERT INTO storage.migrations (id, name, hash) SELECT g, 'storage-step-' || g, md5('s' || g) FROM generate_series(0, 7) g;
INSERT INTO realtime.schema_migrations SELECT 20240000000000 + g, '2024-01-01' FROM generate_series(1, 5) g;
INSERT INTO supabase_migrations.schema_migrations VALUES
  ('20250110090000', ARRAY['create table operators'], 'operators'),
  ('20250214120000', ARRAY['create table work_orders'], 'work_orders');

-- Each user gets an operator through the trigger, then one is renamed by hand.
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
SELECT '00000000-0000-0000-0000-000000000000', md5('operator-' || g)::uuid, 'authenticated', 'authenticated',
       'operator' || g || '@plant.test', '$2a$10$' || md5('secret' || g),
       '{"provider": "email"}', jsonb_build_object('name', 'Operator ' || g),
       timestamptz '2025-03-01 06:00:00+00' + g * interval '7 hours', timestamptz '2025-03-02 06:00:00+00' + g * interval '7 hours'
FROM generate_series(1, 30) g;
UPDATE public.operators SET shift = 'night', display_name = display_name || ' (nights)' WHERE joined_at > timestamptz '2025-03-08';
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, id)
SELECT u.id::text, u.id, jsonb_build_object('sub', u.id, 'email', u.email), 'email', u.created_at, md5('identity-' || u.email)::uuid FROM auth.users u;
INSERT INTO auth.sessions SELECT md5('session-' || g)::uuid, md5('operator-' || g)::uuid, '2025-04-01' FROM generate_series(1, 10) g;

INSERT INTO storage.buckets (id, name, public, file_size_limit, created_at) VALUES
  ('drawings', 'drawings', false, 52428800, '2025-03-01'), ('badges', 'badges', true, NULL, '2025-03-01');
INSERT INTO storage.objects (id, bucket_id, name, owner, metadata, created_at, updated_at)
SELECT md5('object-' || g)::uuid, CASE WHEN g % 3 = 0 THEN 'badges' ELSE 'drawings' END, 'file-' || g || '.pdf',
       md5('operator-' || (1 + g % 30))::uuid, jsonb_build_object('size', g * 2048), timestamptz '2025-03-05' + g * interval '1 hour', timestamptz '2025-03-05' + g * interval '1 hour'
FROM generate_series(1, 45) g;

INSERT INTO public.work_orders (title, assigned_to, drawing, status, opened_at)
SELECT 'Order ' || g, md5('operator-' || (1 + g % 30))::uuid, CASE WHEN g % 4 = 0 THEN NULL ELSE md5('object-' || (1 + g % 45))::uuid END,
       CASE WHEN g % 5 = 0 THEN 'done' ELSE 'open' END, timestamptz '2025-03-10' + g * interval '30 minutes'
FROM generate_series(1, 140) g;
SELECT setval('public.ticket_numbers', 9042);

-- The application's jobs, queued messages and hooks.
SELECT cron.schedule('nightly-rollup', '0 3 * * *', 'REFRESH MATERIALIZED VIEW CONCURRENTLY public.order_totals');
SELECT cron.schedule('purge-sessions', '*/30 * * * *', $cmd$DELETE FROM auth.sessions WHERE created_at < now() - interval '7 days'$cmd$);
SELECT cron.schedule('retired-job', '0 0 1 1 *', 'SELECT 1');
DELETE FROM cron.job WHERE jobname = 'retired-job';
INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
SELECT 1 + g % 2, 4000 + g, 'postgres', 'postgres', 'scheduled run', CASE WHEN g % 7 = 0 THEN 'failed' ELSE 'succeeded' END, 'DELETE ' || g,
       timestamptz '2025-04-01 03:00:00+00' + g * interval '30 minutes', timestamptz '2025-04-01 03:00:02+00' + g * interval '30 minutes'
FROM generate_series(1, 12) g;
INSERT INTO pgmq.q_work_order_events (read_ct, enqueued_at, vt, message)
SELECT g % 3, timestamptz '2025-04-02 08:00:00+00' + g * interval '1 minute', timestamptz '2025-04-02 08:00:30+00' + g * interval '1 minute',
       jsonb_build_object('work_order', g, 'event', CASE WHEN g % 2 = 0 THEN 'opened' ELSE 'assigned' END)
FROM generate_series(1, 25) g;
-- Archived messages leave gaps in the queue's ids, as pgmq.archive() does.
INSERT INTO pgmq.a_work_order_events (msg_id, read_ct, enqueued_at, archived_at, vt, message)
SELECT msg_id, read_ct + 1, enqueued_at, enqueued_at + interval '5 minutes', vt, message FROM pgmq.q_work_order_events WHERE msg_id % 5 = 0;
DELETE FROM pgmq.q_work_order_events WHERE msg_id % 5 = 0;
INSERT INTO supabase_functions.hooks (hook_table_id, hook_name, created_at, request_id)
SELECT 16400 + g % 2, CASE WHEN g % 2 = 0 THEN 'notify_shift_lead' ELSE 'sync_erp' END, timestamptz '2025-04-03' + g * interval '1 hour', 100 + g
FROM generate_series(1, 6) g;

COMMIT;
ANALYZE;
