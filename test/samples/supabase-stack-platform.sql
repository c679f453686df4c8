-- The project's own stand-in for the platform that `supabase start` loads
-- (used when ../shared/fixtures/supabase-platform is not beside the
-- repository): run as the bootstrap superuser supabase_admin on a fresh
-- cluster, it leaves what the Docker stack suite relies on — the platform's
-- roles, `postgres` owning the database but no longer a superuser, the
-- platform schemas with the auth and storage tables the application uses
-- (the columns GoTrue and the storage service have today), their migration
-- histories, grants as the platform gives them, and the permission supautils
-- gives postgres to set session_replication_role.
\set ON_ERROR_STOP 1

-- Roles are the cluster's: a reset recreates the database, not them.
DO $roles$
DECLARE
  role record;
BEGIN
  FOR role IN SELECT * FROM (VALUES
      ('postgres', 'LOGIN SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS PASSWORD ''postgres'''),
      ('anon', 'NOLOGIN NOINHERIT'), ('authenticated', 'NOLOGIN NOINHERIT'), ('service_role', 'NOLOGIN NOINHERIT BYPASSRLS'),
      ('authenticator', 'LOGIN NOINHERIT'), ('supabase_auth_admin', 'LOGIN NOINHERIT CREATEROLE'),
      ('supabase_storage_admin', 'LOGIN NOINHERIT CREATEROLE'), ('supabase_realtime_admin', 'NOLOGIN NOINHERIT'),
      ('dashboard_user', 'NOSUPERUSER CREATEDB CREATEROLE REPLICATION')) AS wanted (name, attributes)
  LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role.name) THEN
      EXECUTE format('CREATE ROLE %I %s', role.name, role.attributes);
    END IF;
  END LOOP;
END
$roles$;
DO $owner$ BEGIN EXECUTE format('ALTER DATABASE %I OWNER TO postgres', current_database()); END $owner$;
GRANT anon, authenticated, service_role TO authenticator;
ALTER ROLE supabase_admin PASSWORD 'postgres';

CREATE SCHEMA extensions AUTHORIZATION postgres;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS TO postgres, anon, authenticated, service_role;
-- The platform's own defaults in public, as its initial schema sets them: only
-- a member of supabase_admin may set these again.
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON TABLES TO postgres, anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON SEQUENCES TO postgres, anon, authenticated, service_role;
-- Realtime's publication, owned by postgres: a project adds its tables to it.
CREATE PUBLICATION supabase_realtime;
ALTER PUBLICATION supabase_realtime OWNER TO postgres;
CREATE SCHEMA graphql_public AUTHORIZATION supabase_admin;
CREATE SCHEMA realtime AUTHORIZATION supabase_admin;
CREATE TABLE realtime.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));
INSERT INTO realtime.schema_migrations VALUES (20211116024918, now()), (20211116045059, now());
-- As the platform grants them: postgres reads realtime's tables (a backup as postgres dumps them all).
GRANT USAGE ON SCHEMA realtime, graphql_public TO postgres, anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA realtime TO postgres;
CREATE SCHEMA supabase_migrations AUTHORIZATION postgres;
CREATE TABLE supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY, statements text[], name text);
ALTER TABLE supabase_migrations.schema_migrations OWNER TO postgres;

-- auth, owned by GoTrue's role
CREATE SCHEMA auth AUTHORIZATION supabase_admin;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role, postgres;
GRANT ALL ON SCHEMA auth TO supabase_auth_admin, dashboard_user;
GRANT CREATE ON SCHEMA auth TO postgres;
SET ROLE supabase_auth_admin;
CREATE TABLE auth.schema_migrations (version varchar(255) NOT NULL PRIMARY KEY);
CREATE TABLE auth.users (
  instance_id uuid, id uuid NOT NULL PRIMARY KEY, aud varchar(255), role varchar(255), email varchar(255),
  encrypted_password varchar(255), email_confirmed_at timestamptz, last_sign_in_at timestamptz,
  raw_app_meta_data jsonb, raw_user_meta_data jsonb, is_super_admin boolean, created_at timestamptz, updated_at timestamptz,
  phone text UNIQUE DEFAULT NULL, banned_until timestamptz, deleted_at timestamptz, is_anonymous boolean NOT NULL DEFAULT false
);
CREATE INDEX users_instance_id_idx ON auth.users (instance_id);
CREATE TABLE auth.identities (
  provider_id text NOT NULL, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, identity_data jsonb NOT NULL,
  provider text NOT NULL, last_sign_in_at timestamptz, created_at timestamptz, updated_at timestamptz,
  email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  CONSTRAINT identities_provider_id_provider_unique UNIQUE (provider_id, provider)
);
CREATE TABLE auth.sessions (id uuid NOT NULL PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, created_at timestamptz, updated_at timestamptz);
CREATE TABLE auth.refresh_tokens (
  instance_id uuid, id bigserial PRIMARY KEY, token varchar(255) UNIQUE, user_id varchar(255), revoked boolean,
  created_at timestamptz, updated_at timestamptz, parent varchar(255), session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE
);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
  AS $fn$ SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $fn$;
GRANT ALL ON ALL TABLES IN SCHEMA auth TO dashboard_user;
GRANT ALL ON ALL TABLES IN SCHEMA auth TO postgres WITH GRANT OPTION;
GRANT ALL ON ALL SEQUENCES IN SCHEMA auth TO postgres, dashboard_user;
GRANT EXECUTE ON FUNCTION auth.uid() TO PUBLIC;
INSERT INTO auth.schema_migrations SELECT '20' || lpad(g::text, 12, '0') FROM generate_series(1, 60) g;
RESET ROLE;

-- storage, owned by the storage service's role
CREATE SCHEMA storage AUTHORIZATION supabase_admin;
GRANT USAGE ON SCHEMA storage TO anon, authenticated, service_role;
GRANT ALL ON SCHEMA storage TO supabase_storage_admin, postgres, dashboard_user;
SET ROLE supabase_storage_admin;
CREATE TABLE storage.migrations (id integer PRIMARY KEY, name varchar(100) UNIQUE NOT NULL, hash varchar(40) NOT NULL, executed_at timestamp DEFAULT current_timestamp);
CREATE TABLE storage.buckets (
  id text NOT NULL PRIMARY KEY, name text NOT NULL, owner uuid, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  public boolean DEFAULT false, file_size_limit bigint, allowed_mime_types text[], owner_id text
);
CREATE UNIQUE INDEX bname ON storage.buckets USING btree (name);
CREATE TABLE storage.objects (
  id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, bucket_id text REFERENCES storage.buckets (id), name text, owner uuid,
  created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(), last_accessed_at timestamptz DEFAULT now(),
  metadata jsonb, path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED, version text, owner_id text, user_metadata jsonb
);
CREATE UNIQUE INDEX bucketid_objname ON storage.objects USING btree (bucket_id, name);
CREATE FUNCTION storage.update_updated_at_column() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN NEW.updated_at = now(); RETURN NEW; END $fn$;
CREATE TRIGGER update_objects_updated_at BEFORE UPDATE ON storage.objects FOR EACH ROW EXECUTE FUNCTION storage.update_updated_at_column();
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
GRANT ALL ON ALL TABLES IN SCHEMA storage TO anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA storage TO postgres WITH GRANT OPTION;
INSERT INTO storage.migrations (id, name, hash) SELECT g, 'storage-step-' || g, md5('s' || g) FROM generate_series(0, 40) g;
RESET ROLE;

-- As the image does: postgres acts for the services' roles (its policies on their tables)…
GRANT supabase_auth_admin, supabase_storage_admin TO postgres;
-- …and its last migration makes postgres no longer a superuser.
ALTER ROLE postgres NOSUPERUSER;
-- supautils lets postgres set it on the real stack.
GRANT SET ON PARAMETER session_replication_role TO postgres;
