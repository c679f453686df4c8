/**
 * Restore modes that fall short of plain `pg_dump | psql` on the regression
 * database today, each with why (issue 11). They still run every time:
 * while one falls short, its test is reported as pending with the full list
 * of shortfalls; once it meets the bar, its test fails until its line here
 * is removed. PULSE_REGRESSION_STRICT=1 ignores this list.
 */
const cleanDropsFail =
  'issue 11: --clean stops at DROP VIEW shoelace, which rule shoelace_ok_ins (in the backup) depends on; ' +
  'behind it, tables whose row types functions take, and DROP ROUTINE of the overloaded procedure ptest10 ("not unique")';
const notValidCommentLost =
  'issue 11: the data file drops the NOT VALID domain constraint inv_ck and adds it back without its COMMENT ON CONSTRAINT';

export const knownShortfalls: Record<string, string> = {
  schema_data: notValidCommentLost,
  clean_identical: cleanDropsFail,
  clean_changed: cleanDropsFail,
  clean_schema_data: cleanDropsFail,
  data_clean: notValidCommentLost,
  psql_schema_then_data: notValidCommentLost,
  psql_schema_and_data: notValidCommentLost,
};
