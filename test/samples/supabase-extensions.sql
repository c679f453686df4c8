-- pg_cron, pgmq and database hooks (supabase_functions) as the Supabase
-- platform makes them: the schemas, tables, sequences and pg_cron's own
-- policies their extensions create (pg_cron 1.6, pgmq 1.4; the extensions
-- themselves are not installed here), the queue a project's migration makes
-- with pgmq.create('work_order_events'), and the hooks' migration history.
-- Run as a superuser (supabase_admin on a stack), once per database; used by
-- supabase.sql and by the Docker stack suite.

-- pg_cron 1.6: its schema, sequences (not owned by the columns that use
-- them), tables with row-level security and its own policies, and schedule().
CREATE SCHEMA IF NOT EXISTS cron AUTHORIZATION supabase_admin;
CREATE SEQUENCE cron.jobid_seq;
CREATE TABLE cron.job (
  jobid bigint PRIMARY KEY DEFAULT nextval('cron.jobid_seq'),
  schedule text NOT NULL,
  command text NOT NULL,
  nodename text NOT NULL DEFAULT 'localhost',
  nodeport int NOT NULL DEFAULT 5432,
  database text NOT NULL DEFAULT current_database(),
  username text NOT NULL DEFAULT current_user,
  active boolean NOT NULL DEFAULT true,
  jobname text,
  CONSTRAINT jobname_username_uniq UNIQUE (jobname, username)
);
CREATE SEQUENCE cron.runid_seq;
CREATE TABLE cron.job_run_details (
  jobid bigint,
  runid bigint PRIMARY KEY DEFAULT nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
ALTER TABLE cron.job ENABLE ROW LEVEL SECURITY;
ALTER TABLE cron.job_run_details ENABLE ROW LEVEL SECURITY;
CREATE POLICY cron_job_policy ON cron.job USING (username = current_user);
CREATE POLICY cron_job_run_details_policy ON cron.job_run_details USING (username = current_user);
CREATE FUNCTION cron.schedule(job_name text, schedule text, command text) RETURNS bigint LANGUAGE sql
  AS $fn$ INSERT INTO cron.job (jobname, schedule, command) VALUES (job_name, schedule, command) RETURNING jobid $fn$;
ALTER SEQUENCE cron.jobid_seq OWNER TO supabase_admin;
ALTER SEQUENCE cron.runid_seq OWNER TO supabase_admin;
ALTER TABLE cron.job OWNER TO supabase_admin;
ALTER TABLE cron.job_run_details OWNER TO supabase_admin;
ALTER FUNCTION cron.schedule(text, text, text) OWNER TO supabase_admin;

-- pgmq 1.4: the queue registry, and what pgmq.create('work_order_events') makes.
CREATE SCHEMA IF NOT EXISTS pgmq AUTHORIZATION supabase_admin;
CREATE TABLE pgmq.meta (
  queue_name varchar NOT NULL UNIQUE,
  is_partitioned boolean NOT NULL,
  is_unlogged boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE pgmq.q_work_order_events (
  msg_id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  read_ct integer NOT NULL DEFAULT 0,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  vt timestamptz NOT NULL,
  message jsonb
);
CREATE INDEX q_work_order_events_vt_idx ON pgmq.q_work_order_events (vt ASC);
CREATE TABLE pgmq.a_work_order_events (
  msg_id bigint PRIMARY KEY,
  read_ct integer NOT NULL DEFAULT 0,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz NOT NULL DEFAULT now(),
  vt timestamptz NOT NULL,
  message jsonb
);
ALTER TABLE pgmq.meta OWNER TO supabase_admin;
ALTER TABLE pgmq.q_work_order_events OWNER TO supabase_admin;
ALTER TABLE pgmq.a_work_order_events OWNER TO supabase_admin;

-- Database webhooks (supabase_functions), with their migration history.
CREATE SCHEMA IF NOT EXISTS supabase_functions AUTHORIZATION supabase_admin;
CREATE TABLE supabase_functions.migrations (version text PRIMARY KEY, inserted_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE supabase_functions.hooks (
  id bigserial PRIMARY KEY,
  hook_table_id integer NOT NULL,
  hook_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  request_id bigint
);
ALTER TABLE supabase_functions.migrations OWNER TO supabase_admin;
ALTER TABLE supabase_functions.hooks OWNER TO supabase_admin;
GRANT USAGE ON SCHEMA cron, pgmq, supabase_functions TO postgres;
GRANT ALL ON ALL TABLES IN SCHEMA cron, pgmq, supabase_functions TO postgres;
GRANT ALL ON ALL SEQUENCES IN SCHEMA cron, pgmq, supabase_functions TO postgres;

INSERT INTO supabase_functions.migrations (version, inserted_at) VALUES ('initial', '2025-01-01'), ('20210809183423_update_grants', '2025-01-01');
INSERT INTO pgmq.meta (queue_name, is_partitioned, is_unlogged, created_at) VALUES ('work_order_events', false, false, '2025-03-10');
