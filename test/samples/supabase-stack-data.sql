-- What people put into the Factory Pulse project on a stack, as `postgres`:
-- users signing up (the trigger makes their operators), files in storage,
-- work orders, two pg_cron jobs with their runs, queued messages and hooks.
INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
SELECT '00000000-0000-0000-0000-000000000000', md5('operator-' || g)::uuid, 'authenticated', 'authenticated',
       'operator' || g || '@plant.test', '$2a$10$' || md5('secret' || g), '{"provider": "email"}', jsonb_build_object('name', 'Operator ' || g),
       timestamptz '2025-03-01 06:00:00+00' + g * interval '7 hours', timestamptz '2025-03-02 06:00:00+00' + g * interval '7 hours'
FROM generate_series(1, 24) g;
UPDATE public.operators SET shift = 'night' WHERE joined_at > timestamptz '2025-03-05';
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
SELECT u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email), 'email', u.created_at, u.created_at FROM auth.users u;
INSERT INTO storage.buckets (id, name, public) VALUES ('drawings', 'drawings', false);
INSERT INTO storage.objects (id, bucket_id, name, owner, metadata, created_at, updated_at)
SELECT md5('object-' || g)::uuid, 'drawings', 'file-' || g || '.pdf', md5('operator-' || (1 + g % 24))::uuid, jsonb_build_object('size', g * 2048),
       timestamptz '2025-03-05' + g * interval '1 hour', timestamptz '2025-03-05' + g * interval '1 hour'
FROM generate_series(1, 30) g;
INSERT INTO public.work_orders (title, assigned_to, drawing, status, opened_at)
SELECT 'Order ' || g, md5('operator-' || (1 + g % 24))::uuid, CASE WHEN g % 4 = 0 THEN NULL ELSE md5('object-' || (1 + g % 30))::uuid END,
       CASE WHEN g % 5 = 0 THEN 'done' ELSE 'open' END, timestamptz '2025-03-10' + g * interval '30 minutes'
FROM generate_series(1, 90) g;
DELETE FROM public.work_orders WHERE id % 9 = 0;

SELECT cron.schedule('nightly-rollup', '0 3 * * *', 'SELECT count(*) FROM public.work_orders');
SELECT cron.schedule('purge-drafts', '*/30 * * * *', $cmd$DELETE FROM public.work_orders WHERE status = 'draft'$cmd$);
INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
SELECT 1 + g % 2, 4000 + g, 'postgres', 'postgres', 'scheduled run', 'succeeded', 'SELECT 1',
       timestamptz '2025-04-01 03:00:00+00' + g * interval '30 minutes', timestamptz '2025-04-01 03:00:02+00' + g * interval '30 minutes'
FROM generate_series(1, 8) g;
INSERT INTO pgmq.q_work_order_events (read_ct, enqueued_at, vt, message)
SELECT g % 3, timestamptz '2025-04-02 08:00:00+00' + g * interval '1 minute', timestamptz '2025-04-02 08:00:30+00' + g * interval '1 minute',
       jsonb_build_object('work_order', g, 'event', 'opened')
FROM generate_series(1, 15) g;
INSERT INTO pgmq.a_work_order_events (msg_id, read_ct, enqueued_at, archived_at, vt, message)
SELECT msg_id, read_ct + 1, enqueued_at, enqueued_at + interval '5 minutes', vt, message FROM pgmq.q_work_order_events WHERE msg_id % 4 = 0;
DELETE FROM pgmq.q_work_order_events WHERE msg_id % 4 = 0;
INSERT INTO supabase_functions.hooks (hook_table_id, hook_name, created_at, request_id)
SELECT 16400, 'notify_shift_lead', timestamptz '2025-04-03' + g * interval '1 hour', 100 + g FROM generate_series(1, 4) g;
