-- The Factory Pulse application as a Supabase project's migration
-- (supabase/migrations/*.sql): applied as `postgres`, which on a stack is
-- not a superuser, on top of the platform. Used by the Docker stack suite,
-- where the stand-in for `supabase db reset` applies it again, and by
-- supabase.sql, which adds to it.

CREATE TABLE public.operators (
  id uuid NOT NULL PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  display_name text,
  shift text NOT NULL DEFAULT 'day' CHECK (shift IN ('day', 'night')),
  joined_at timestamptz
);
CREATE TABLE public.work_orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title text NOT NULL,
  assigned_to uuid REFERENCES auth.users (id),
  drawing uuid REFERENCES storage.objects (id),
  status text NOT NULL DEFAULT 'open',
  opened_at timestamptz NOT NULL
);
ALTER TABLE public.operators ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.work_orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY "operators read everyone" ON public.operators FOR SELECT TO authenticated USING (true);
CREATE POLICY "assignees see their orders" ON public.work_orders FOR SELECT TO authenticated USING (auth.uid() = assigned_to);
GRANT SELECT ON public.operators TO anon;
GRANT ALL ON public.operators, public.work_orders TO authenticated, service_role;

-- "An operator for every new user": the trigger a data restore must not fire again.
CREATE FUNCTION public.create_operator_for_new_user() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $fn$
BEGIN
  INSERT INTO public.operators (id, display_name, joined_at)
  VALUES (NEW.id, coalesce(NEW.raw_user_meta_data ->> 'name', NEW.email), NEW.created_at);
  RETURN NEW;
END
$fn$;
CREATE TRIGGER create_operator AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.create_operator_for_new_user();
CREATE POLICY "drawings readable by operators" ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'drawings');
