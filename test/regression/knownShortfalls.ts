/**
 * Restore modes that fall short of plain `pg_dump | psql` on the regression
 * database today, each with why (issue 11). They still run every time:
 * while one falls short, its test is reported as pending with the full list
 * of shortfalls; once it meets the bar, its test fails until its line here
 * is removed. PULSE_REGRESSION_STRICT=1 ignores this list.
 */
const cleanRefused =
  "issue 11: --clean's pre-flight refuses over 28 dependents it calls outside the backup; 22 are in it (6 casts, " +
  'operators public.< public.= public.<% and the shells >% >=% that <% names, support functions of the hash families ' +
  'part_test_int4_ops, part_test_int4_ops2, part_test_text_ops, 5 publications\' TABLES IN SCHEMA); the other 6 are ' +
  "members the regression suite added to the built-in family integer_ops, which pg_dump cannot dump and the bar loses too";

export const knownShortfalls: Record<string, string> = {
  clean_identical: cleanRefused,
  clean_changed: cleanRefused,
  clean_schema_data: cleanRefused,
};
