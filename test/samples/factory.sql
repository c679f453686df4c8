-- Pulse Backup's own sample database: a small manufacturing app in the spirit
-- of Factory Pulse (organizations, people, projects, work orders, inventory,
-- messages, notifications, an activity log, a shop floor with machines).
--
-- Load into an empty database as a superuser (PostgreSQL 15 or later):
--   psql -X -v ON_ERROR_STOP=1 [-v scale=N] -d DBNAME -f test/samples/factory.sql
--
-- Every row is a pure function of :scale (default 1), so two loads with the
-- same scale hold the same content. Row counts grow linearly with the scale,
-- about 0.7 MB of database per step (measured with pg_database_size):
--   scale 1    0.35 MB data-only dump; 10 MB database, 7.5 MB of it the empty
--              catalog every database has; loads in under a second
--   scale 140  the benchmark size: 109 MB database on PostgreSQL 15.18
--              (110 MB on 18.4), a 50 MB plain dump; loads in 12-16 s
--
-- What it is here to make hard for a backup tool, on purpose:
--   * users.last_message_id -> messages and messages.sender_id -> users, with
--     sender_id NOT NULL and no deferrable constraint: no table order can load
--     a data-only dump of these two with foreign keys checked;
--   * self-references: users.mentor_id, messages.reply_to_id,
--     inventory_categories.parent_id;
--   * a trigger that rewrites the sender in users on every message insert, and
--     an audit trigger that adds activity_log rows on every work order change:
--     a data load with triggers enabled changes rows and adds rows;
--   * a disabled trigger, which must come back disabled;
--   * sequences set ahead of their rows (and one not yet called);
--   * a populated materialized view and one created WITH NO DATA;
--   * identity columns (ALWAYS and BY DEFAULT) and stored generated columns;
--   * row-level security, forced, with a permissive and a restrictive policy;
--   * two large objects with fixed OIDs, a comment and a grant;
--   * odd identifiers: a schema with a space, mixed case, quotes, non-ASCII
--     letters, reserved words as table and column names;
--   * text with newlines, tabs, backslashes, a COPY end marker and lines that
--     look like the comments pg_dump writes, and a function whose body holds
--     such a line;
--   * a CHECK constraint added NOT VALID over old rows that break it: pg_dump
--     creates it after the data, and a restore that creates it before the
--     data fails, triggers off or not;
--   * a partitioned table with a default partition, an empty table, an enum,
--     domains, a SQL-standard function body, comments, and column and
--     default privileges for a role of our own.

\if :{?scale}
\else
  \set scale 1
\endif

SET client_min_messages = warning;

-- Roles belong to the cluster, not the database: create ours only when it is
-- missing, so the file loads into any number of databases on one server.
-- Outside the main transaction so a parallel load does not wait for ours.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pulse_sample_reader') THEN
    CREATE ROLE pulse_sample_reader NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another load created it between our check and our CREATE
END
$$;

BEGIN;

-- ---------------------------------------------------------------------------
-- Types

CREATE TYPE public.member_role AS ENUM ('owner', 'planner', 'machinist', 'auditor');
CREATE TYPE public.work_order_status AS ENUM ('draft', 'released', 'running', 'on_hold', 'done', 'cancelled');
COMMENT ON TYPE public.work_order_status IS 'Life cycle of a work order on the shop floor.';

CREATE DOMAIN public.email_address AS text
  CONSTRAINT email_address_has_at CHECK (VALUE ~ '^[^@[:space:]]+@[^@[:space:]]+$');
CREATE DOMAIN public.part_count AS integer
  CONSTRAINT part_count_not_negative CHECK (VALUE >= 0);
COMMENT ON DOMAIN public.part_count IS 'A number of physical parts: never negative.';

-- ---------------------------------------------------------------------------
-- People and organizations

CREATE TABLE public.organizations (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  slug        text NOT NULL UNIQUE,
  founded_on  date NOT NULL
);

CREATE TABLE public.users (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id  integer NOT NULL REFERENCES public.organizations (id),
  email            public.email_address NOT NULL UNIQUE,
  full_name        text NOT NULL,
  role             public.member_role NOT NULL DEFAULT 'machinist',
  mentor_id        bigint REFERENCES public.users (id),
  last_message_id  bigint,
  message_count    integer NOT NULL DEFAULT 0,
  last_active_at   timestamptz,
  joined_at        timestamptz NOT NULL
);
CREATE INDEX users_email_lower_idx ON public.users (lower(email));
COMMENT ON TABLE public.users IS 'Everyone who signs in; last_message_id and message_count are kept by a trigger on messages.';
COMMENT ON COLUMN public.users.last_message_id IS 'Closes the users <-> messages foreign-key cycle.';

CREATE TABLE public."WorkCenters" (
  "WorkCenterId"   integer PRIMARY KEY,
  "DisplayName"    text NOT NULL,
  "HourlyRate"     numeric(8, 2) NOT NULL,
  "Größenklasse"   char(1) NOT NULL
);

-- ---------------------------------------------------------------------------
-- Projects and work orders

CREATE SEQUENCE public.invoice_number_seq START 100000;

CREATE TABLE public.projects (
  id               serial PRIMARY KEY,
  organization_id  integer NOT NULL REFERENCES public.organizations (id),
  code             text NOT NULL UNIQUE,
  title            text NOT NULL,
  owner_id         bigint REFERENCES public.users (id),
  budget           numeric(12, 2),
  tags             text[] NOT NULL DEFAULT '{}',
  due_on           date,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX projects_tags_idx ON public.projects USING gin (tags);
CREATE INDEX projects_due_on_idx ON public.projects (due_on) WHERE due_on IS NOT NULL;

CREATE TABLE public.work_orders (
  id              integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  project_id      integer NOT NULL REFERENCES public.projects (id) ON DELETE CASCADE,
  work_center_id  integer REFERENCES public."WorkCenters" ("WorkCenterId"),
  status          public.work_order_status NOT NULL DEFAULT 'draft',
  quantity        integer NOT NULL CHECK (quantity > 0),
  unit_price      numeric(10, 2) NOT NULL,
  line_total      numeric(14, 2) GENERATED ALWAYS AS (quantity * unit_price) STORED,
  invoice_number  bigint UNIQUE,
  specification   jsonb NOT NULL DEFAULT '{}',
  updated_at      timestamptz NOT NULL
);
CREATE INDEX work_orders_open_idx ON public.work_orders (project_id) WHERE status NOT IN ('done', 'cancelled');

CREATE TABLE public.activity_log (
  id          bigserial PRIMARY KEY,
  table_name  text NOT NULL,
  row_id      bigint NOT NULL,
  action      text NOT NULL,
  snapshot    jsonb NOT NULL,
  logged_at   timestamptz NOT NULL
);

-- Kept empty: a backup must still create it, and restore it empty.
CREATE TABLE public.customer_returns (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  work_order_id  integer NOT NULL REFERENCES public.work_orders (id),
  reason         text NOT NULL,
  returned_on    date NOT NULL
);

-- ---------------------------------------------------------------------------
-- Inventory

CREATE TABLE public.inventory_categories (
  id         smallint PRIMARY KEY,
  parent_id  smallint REFERENCES public.inventory_categories (id),
  name       text NOT NULL
);

CREATE TABLE public.inventory_items (
  id             serial PRIMARY KEY,
  category_id    smallint NOT NULL REFERENCES public.inventory_categories (id),
  sku            text COLLATE "C" NOT NULL UNIQUE,
  description    text NOT NULL,
  on_hand        public.part_count NOT NULL,
  reorder_level  integer NOT NULL DEFAULT 10,
  needs_reorder  boolean GENERATED ALWAYS AS (on_hand < reorder_level) STORED,
  weight_kg      real,
  drawing        bytea
);

CREATE TABLE public.stock_movements (
  id             bigserial PRIMARY KEY,
  item_id        integer NOT NULL REFERENCES public.inventory_items (id),
  work_order_id  integer REFERENCES public.work_orders (id),
  delta          integer NOT NULL,
  moved_at       timestamptz NOT NULL,
  note           text
);
CREATE INDEX stock_movements_item_idx ON public.stock_movements (item_id, moved_at);

-- ---------------------------------------------------------------------------
-- Messages and notifications

CREATE TABLE public.messages (
  id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  project_id   integer REFERENCES public.projects (id),
  sender_id    bigint NOT NULL REFERENCES public.users (id),
  reply_to_id  bigint REFERENCES public.messages (id),
  body         text NOT NULL,
  sent_at      timestamptz NOT NULL
);
CREATE INDEX messages_project_idx ON public.messages (project_id, sent_at DESC);

ALTER TABLE public.users
  ADD CONSTRAINT users_last_message_id_fkey FOREIGN KEY (last_message_id) REFERENCES public.messages (id);

CREATE TABLE public.notifications (
  id          bigserial PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES public.users (id),
  kind        text NOT NULL,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  read_at     timestamptz
);
ALTER TABLE public.notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY notifications_for_recipient ON public.notifications
  FOR SELECT TO pulse_sample_reader
  USING (user_id = nullif(current_setting('pulse.user_id', true), '')::bigint);
CREATE POLICY notifications_hide_archived ON public.notifications AS RESTRICTIVE
  FOR SELECT TO pulse_sample_reader
  USING (kind <> 'archived');
COMMENT ON POLICY notifications_for_recipient ON public.notifications IS 'A reader sees only the notifications addressed to pulse.user_id.';

-- Large objects are referenced by OID from an ordinary table, which pg_dump
-- does not know about: the OIDs must survive a restore.
CREATE TABLE public.documents (
  id         integer PRIMARY KEY,
  title      text NOT NULL,
  file_oid   oid NOT NULL,
  mime_type  text NOT NULL
);

-- ---------------------------------------------------------------------------
-- The shop floor: odd names on purpose

CREATE SCHEMA "shop floor";
COMMENT ON SCHEMA "shop floor" IS 'Machines and the people who run them.';
-- Before the tables, so every table created below gets the grant.
ALTER DEFAULT PRIVILEGES IN SCHEMA "shop floor" GRANT SELECT ON TABLES TO pulse_sample_reader;

CREATE TABLE "shop floor".machine_events (
  machine_code                text NOT NULL,
  recorded_at                 timestamptz NOT NULL,
  "temperature °C"            numeric(5, 1),
  "Operator ""Nickname"""     text,
  readings                    jsonb
) PARTITION BY RANGE (recorded_at);
CREATE TABLE "shop floor".machine_events_2024_h1 PARTITION OF "shop floor".machine_events
  FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-07-01 00:00:00+00');
CREATE TABLE "shop floor".machine_events_2024_h2 PARTITION OF "shop floor".machine_events
  FOR VALUES FROM ('2024-07-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');
CREATE TABLE "shop floor".machine_events_later PARTITION OF "shop floor".machine_events DEFAULT;
CREATE INDEX machine_events_machine_idx ON "shop floor".machine_events (machine_code, recorded_at);

CREATE TABLE "shop floor"."Shift Notes" (
  id          integer PRIMARY KEY,
  written_by  bigint REFERENCES public.users (id),
  note        text NOT NULL
);

CREATE TABLE public."group" (
  id        integer PRIMARY KEY,
  "user"    bigint NOT NULL REFERENCES public.users (id),
  "order"   integer NOT NULL,
  "select"  text
);

CREATE TABLE public."Qualitätsprüfungen" (
  id             integer PRIMARY KEY,
  work_order_id  integer NOT NULL REFERENCES public.work_orders (id),
  "Prüfer"       bigint REFERENCES public.users (id),
  bestanden      boolean NOT NULL,
  messwerte      numeric[] NOT NULL,
  geprüft_am     timestamptz NOT NULL
);

-- ---------------------------------------------------------------------------
-- Functions and triggers

CREATE FUNCTION public.note_sender_activity() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE public.users
     SET last_message_id = NEW.id,
         message_count = message_count + 1,
         last_active_at = greatest(last_active_at, NEW.sent_at)
   WHERE id = NEW.sender_id;
  RETURN NEW;
END
$$;

CREATE FUNCTION public.record_activity() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.activity_log (table_name, row_id, action, snapshot, logged_at)
  VALUES (TG_TABLE_NAME, NEW.id, lower(TG_OP), to_jsonb(NEW), NEW.updated_at);
  RETURN NEW;
END
$$;

CREATE FUNCTION public.warn_when_stock_runs_low() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.needs_reorder AND NOT OLD.needs_reorder THEN
    INSERT INTO public.notifications (user_id, kind, payload, created_at)
    SELECT u.id, 'inventory', jsonb_build_object('item', NEW.id), now()
      FROM public.users AS u WHERE u.role = 'planner';
  END IF;
  RETURN NEW;
END
$$;

-- Which table fires which function. The last one was switched off by the
-- factory's admins: a restore must bring it back switched off.
CREATE TRIGGER messages_note_sender_activity AFTER INSERT ON public.messages
  FOR EACH ROW EXECUTE FUNCTION public.note_sender_activity();
CREATE TRIGGER work_orders_record_activity AFTER INSERT OR UPDATE ON public.work_orders
  FOR EACH ROW EXECUTE FUNCTION public.record_activity();
CREATE TRIGGER inventory_items_warn_when_stock_runs_low AFTER UPDATE OF on_hand ON public.inventory_items
  FOR EACH ROW EXECUTE FUNCTION public.warn_when_stock_runs_low();
ALTER TABLE public.inventory_items DISABLE TRIGGER inventory_items_warn_when_stock_runs_low;

-- The body holds lines that look exactly like pg_dump's section comments; a
-- tool that splits a dump on such lines would cut this function in half.
CREATE FUNCTION public.project_digest(wanted_project integer) RETURNS text
LANGUAGE sql STABLE AS $body$
--
-- Data for Name: messages; Type: TABLE DATA; Schema: public; Owner: -
--
SELECT p.code || ': ' || p.title || E'\n'
       || count(m.id) || ' messages, last on ' || coalesce(max(m.sent_at)::date::text, 'never')
  FROM public.projects AS p
  LEFT JOIN public.messages AS m ON m.project_id = p.id
 WHERE p.id = wanted_project
 GROUP BY p.id
$body$;
COMMENT ON FUNCTION public.project_digest(integer) IS 'One paragraph about a project, for the weekly e-mail.';

CREATE FUNCTION "shop floor"."Fahrenheit from °C"(celsius numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN round(celsius * 9 / 5 + 32, 1);

-- ---------------------------------------------------------------------------
-- Data: every value is computed from the row number g, never from random() or now().

INSERT INTO public.organizations (name, slug, founded_on)
SELECT 'Organization ' || g, 'org-' || g, date '1990-01-01' + g * 97
FROM generate_series(1, 2 * :scale) AS g;

INSERT INTO public.users (id, organization_id, email, full_name, role, mentor_id, joined_at)
OVERRIDING SYSTEM VALUE
SELECT g,
       1 + (g - 1) % (2 * :scale),
       'user' || g || '@factory.example',
       (ARRAY['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Edsger', 'Frances'])[1 + g % 8]
         || ' ' || (ARRAY['Lovelace', 'Hopper', 'Hamilton', 'Thompson', 'Liskov', 'Allen', 'Dijkstra'])[1 + g % 7],
       (ARRAY['owner', 'planner', 'machinist', 'machinist', 'auditor']::public.member_role[])[1 + g % 5],
       CASE WHEN g > 4 THEN g / 4 END,
       timestamptz '2023-01-02 08:00:00+00' + g * interval '7 hours 13 minutes'
FROM generate_series(1, 40 * :scale) AS g;

INSERT INTO public."WorkCenters" ("WorkCenterId", "DisplayName", "HourlyRate", "Größenklasse")
SELECT g, 'Work center ' || g || CASE WHEN g % 3 = 0 THEN ' (Süd)' ELSE '' END,
       40 + (g * 7) % 60 + 0.25 * (g % 4), (ARRAY['S', 'M', 'L'])[1 + g % 3]
FROM generate_series(1, 4 * :scale) AS g;

INSERT INTO public.projects (organization_id, code, title, owner_id, budget, tags, due_on, updated_at)
SELECT 1 + g % (2 * :scale),
       'P-' || lpad(g::text, 6, '0'),
       (ARRAY['Bracket', 'Housing', 'Gearbox', 'Flange', 'Manifold', 'Spindle'])[1 + g % 6] || ' batch ' || g,
       CASE WHEN g % 10 <> 0 THEN 1 + (g * 7) % (40 * :scale) END,
       CASE WHEN g % 5 <> 0 THEN ((g * 7919) % 2500000) / 100.0 END,
       ARRAY['line-' || (1 + g % 3)] || CASE WHEN g % 4 = 0 THEN ARRAY['urgent'] ELSE ARRAY[]::text[] END,
       CASE WHEN g % 7 <> 0 THEN date '2024-02-01' + (g * 3) % 500 END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '97 minutes'
FROM generate_series(1, 60 * :scale) AS g;

INSERT INTO public.work_orders (project_id, work_center_id, status, quantity, unit_price, invoice_number, specification, updated_at)
SELECT 1 + (g * 13) % (60 * :scale),
       CASE WHEN g % 8 <> 0 THEN 1 + g % (4 * :scale) END,
       (ARRAY['draft', 'released', 'running', 'done', 'done', 'cancelled']::public.work_order_status[])[1 + g % 6],
       1 + g % 50,
       1 + ((g * 37) % 20000) / 100.0,
       CASE WHEN g % 6 IN (3, 4) THEN 100000 + g END,
       jsonb_build_object('material', (ARRAY['steel', 'aluminium', 'brass', 'PEEK'])[1 + g % 4],
                          'tolerance_mm', 0.01 * (1 + g % 5),
                          'drawing', 'DRW-' || (g % 97)),
       timestamptz '2024-01-01 06:00:00+00' + g * interval '41 minutes'
FROM generate_series(1, 250 * :scale) AS g;

-- Goes through the audit trigger again: activity_log gets 'update' rows too.
UPDATE public.work_orders
   SET status = 'on_hold', updated_at = updated_at + interval '2 days'
 WHERE id % 7 = 0 AND status IN ('released', 'running');

INSERT INTO public.inventory_categories (id, parent_id, name) VALUES
  (1, NULL, 'Raw material'), (2, NULL, 'Purchased parts'), (3, NULL, 'Consumables'),
  (4, 1, 'Bar stock'), (5, 1, 'Sheet'), (6, 2, 'Fasteners'), (7, 2, 'Bearings'),
  (8, 6, 'Metric screws'), (9, 6, 'Imperial screws'), (10, 3, 'Coolant'), (11, 3, 'Inserts'),
  (12, 11, 'Carbide inserts');

INSERT INTO public.inventory_items (category_id, sku, description, on_hand, reorder_level, weight_kg, drawing)
SELECT 1 + g % 12,
       'SKU-' || lpad(g::text, 7, '0'),
       'Item ' || g || ': ' || substr(md5('item' || g), 1, 12 + g % 20),
       (g * 29) % 400,
       5 + g % 30,
       CASE WHEN g % 9 <> 0 THEN ((g * 31) % 5000) / 100.0 END,
       CASE WHEN g % 10 = 0 THEN decode(md5('drawing' || g) || md5('sheet' || g), 'hex') END
FROM generate_series(1, 150 * :scale) AS g;

INSERT INTO public.stock_movements (item_id, work_order_id, delta, moved_at, note)
SELECT 1 + (g * 7) % (150 * :scale),
       CASE WHEN g % 3 <> 0 THEN 1 + g % (250 * :scale) END,
       (g * 31) % 41 - 20,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '11 minutes',
       CASE WHEN g % 5 = 0 THEN 'counted by ' || (1 + g % 40) END
FROM generate_series(1, 800 * :scale) AS g;

-- Some historical movements have delta 0, so the check stays NOT VALID: a
-- restore that validated it would fail.
ALTER TABLE public.stock_movements ADD CONSTRAINT stock_movements_delta_not_zero CHECK (delta <> 0) NOT VALID;

-- Every insert fires messages_note_sender_activity, which rewrites the sender.
INSERT INTO public.messages (id, project_id, sender_id, reply_to_id, body, sent_at)
SELECT g,
       CASE WHEN g % 9 <> 0 THEN 1 + g % (60 * :scale) END,
       1 + (g * 11) % (40 * :scale),
       CASE WHEN g % 4 = 0 THEN g - 1 END,
       CASE WHEN g % 25 = 0
            THEN E'Shift hand-over:\n\t- spindle ' || g % 7 || E' warm\n\t- path C:\\cnc\\jobs\\' || g || '.nc'
            ELSE 'Message ' || g || ' about ' || (ARRAY['tolerances', 'delivery', 'tooling', 'quality', 'pricing'])[1 + g % 5]
                 || ': ' || md5('message' || g) || ' ' || substr(md5('more' || g), 1, g % 32)
       END,
       timestamptz '2024-01-01 07:00:00+00' + g * interval '13 minutes'
FROM generate_series(1, 600 * :scale) AS g;

INSERT INTO public.notifications (user_id, kind, payload, created_at, read_at)
SELECT 1 + g % (40 * :scale),
       (ARRAY['approval', 'message', 'stage', 'inventory', 'archived'])[1 + g % 5],
       jsonb_build_object('message_id', 1 + (g * 3) % (600 * :scale), 'priority', g % 3, 'text', 'Notification ' || g),
       timestamptz '2024-01-01 07:05:00+00' + g * interval '19 minutes',
       CASE WHEN g % 3 <> 0 THEN timestamptz '2024-01-01 09:00:00+00' + g * interval '19 minutes' END
FROM generate_series(1, 400 * :scale) AS g;

INSERT INTO "shop floor".machine_events (machine_code, recorded_at, "temperature °C", "Operator ""Nickname""", readings)
SELECT 'M-' || lpad((1 + g % (4 * :scale))::text, 3, '0'),
       timestamptz '2024-01-01 00:00:00+00' + ((g * 7919) % 600) * interval '1 day' + (g % 1440) * interval '1 minute',
       18 + ((g * 13) % 700) / 10.0,
       CASE WHEN g % 6 = 0 THEN 'the "night" owl' WHEN g % 6 = 1 THEN NULL ELSE 'op ' || g % 12 END,
       jsonb_build_object('rpm', 1000 + (g * 17) % 9000, 'vibration', ((g * 7) % 100) / 100.0)
FROM generate_series(1, 500 * :scale) AS g;

-- Text that trips up anything that parses a plain dump line by line.
INSERT INTO "shop floor"."Shift Notes" (id, written_by, note) VALUES
  (1, 1, E'\n--\n-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -\n--\n'),
  (2, 2, E'columns\tseparated\tby\ttabs, a backslash \\ and a literal \\N that is not NULL'),
  (3, 3, E'the COPY end marker on a line of its own:\n\\.\nand text after it'),
  (4, 1, E'Windows line end\r\nand a lone carriage return\rhere'),
  (5, NULL, E'COPY public.users (id, email) FROM stdin;\n1\tnot-a-row@example.com\n\\.'),
  (6, 2, 'Schichtübergabe ✓ — Temperatur 21 °C, 温度 OK, emoji 🛠️, quote '' and "double"'),
  (7, 3, E'\\restrict looks like a psql meta-command\n\\connect other_database'),
  (8, 1, ''),
  (9, 2, E'SET session_replication_role = replica;\nDROP TABLE public.users; -- only words');
INSERT INTO "shop floor"."Shift Notes" (id, written_by, note)
SELECT 100 + g, 1 + g % (40 * :scale),
       'Shift ' || g || E':\n' || repeat('all machines nominal; ', 1 + g % 4) || E'\n-- signed ' || (1 + g % 40)
FROM generate_series(1, 30 * :scale) AS g;

INSERT INTO public."group" (id, "user", "order", "select")
SELECT g, 1 + (g * 3) % (40 * :scale), g % 4, CASE WHEN g % 2 = 0 THEN 'SELECT * FROM "group"' END
FROM generate_series(1, 5 * :scale) AS g;

INSERT INTO public."Qualitätsprüfungen" (id, work_order_id, "Prüfer", bestanden, messwerte, geprüft_am)
SELECT g, 1 + (g * 5) % (250 * :scale), CASE WHEN g % 6 <> 0 THEN 1 + g % (40 * :scale) END,
       g % 11 <> 0,
       ARRAY[10 + (g % 7) / 100.0, 20 + (g % 13) / 100.0, -0.5 + (g % 3) / 10.0],
       timestamptz '2024-01-03 10:00:00+00' + g * interval '3 hours 7 minutes'
FROM generate_series(1, 40 * :scale) AS g;

INSERT INTO public.documents (id, title, file_oid, mime_type) VALUES
  (1, 'Welding procedure WPS-7', lo_from_bytea(424242, convert_to(
     E'Welding procedure specification WPS-7\nProcess: 135 (MAG)\nFiller: G3Si1\n', 'UTF8')), 'text/plain'),
  (2, 'Gearbox drawing (binary)', lo_from_bytea(424243, decode(repeat('00ff10807f0a0d5c', 512), 'hex')),
     'application/octet-stream');
COMMENT ON LARGE OBJECT 424242 IS 'Scanned welding procedure, referenced by public.documents.file_oid.';

-- Sequences ahead of their rows, as in a database where inserts were rolled
-- back or rows deleted: a restore must not reset them to max(id).
DO $$
BEGIN
  PERFORM setval(pg_get_serial_sequence('public.organizations', 'id'), (SELECT max(id) FROM public.organizations) + 100);
  PERFORM setval(pg_get_serial_sequence('public.users', 'id'), (SELECT max(id) FROM public.users) + 25);
  PERFORM setval(pg_get_serial_sequence('public.projects', 'id'), (SELECT max(id) FROM public.projects) + 10);
  PERFORM setval(pg_get_serial_sequence('public.messages', 'id'), (SELECT max(id) FROM public.messages) + 1000);
  PERFORM setval('public.invoice_number_seq', 900000, false);
END
$$;

-- ---------------------------------------------------------------------------
-- Views

CREATE VIEW public.open_work_orders WITH (security_barrier = true) AS
SELECT w.id, p.code AS project_code, w.status, w.quantity, w.line_total
  FROM public.work_orders AS w JOIN public.projects AS p ON p.id = w.project_id
 WHERE w.status NOT IN ('done', 'cancelled');

CREATE MATERIALIZED VIEW public.project_overview AS
SELECT p.id AS project_id, p.code,
       coalesce(w.work_orders, 0) AS work_orders,
       coalesce(w.ordered_value, 0) AS ordered_value,
       coalesce(m.messages, 0) AS messages
  FROM public.projects AS p
  LEFT JOIN (SELECT project_id, count(*) AS work_orders, sum(line_total) AS ordered_value
               FROM public.work_orders GROUP BY project_id) AS w ON w.project_id = p.id
  LEFT JOIN (SELECT project_id, count(*) AS messages
               FROM public.messages GROUP BY project_id) AS m ON m.project_id = p.id;
CREATE UNIQUE INDEX project_overview_project_idx ON public.project_overview (project_id);
COMMENT ON MATERIALIZED VIEW public.project_overview IS 'Refreshed nightly; must come back populated.';

-- Never refreshed at the source: a restore must not populate it either.
CREATE MATERIALIZED VIEW public.reorder_suggestions AS
SELECT i.id, i.sku, i.reorder_level - i.on_hand AS shortfall
  FROM public.inventory_items AS i
 WHERE i.needs_reorder
WITH NO DATA;

-- ---------------------------------------------------------------------------
-- Privileges

GRANT USAGE ON SCHEMA "shop floor" TO pulse_sample_reader;
GRANT SELECT ON public.projects, public.work_orders, public.open_work_orders, public.project_overview TO pulse_sample_reader;
GRANT SELECT ON public.notifications TO pulse_sample_reader;
GRANT SELECT (id, full_name, role) ON public.users TO pulse_sample_reader;
GRANT USAGE ON SEQUENCE public.invoice_number_seq TO pulse_sample_reader;
REVOKE EXECUTE ON FUNCTION public.project_digest(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.project_digest(integer) TO pulse_sample_reader;
GRANT SELECT ON LARGE OBJECT 424243 TO pulse_sample_reader;

COMMIT;

ANALYZE;
