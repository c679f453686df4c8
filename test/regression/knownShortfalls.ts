/**
 * Restore modes that fall short of plain `pg_dump | psql` on the regression
 * database today, each with why (issue 11). They still run every time:
 * while one falls short, its test is reported as pending with the full list
 * of shortfalls; once it meets the bar, its test fails until its line here
 * is removed. PULSE_REGRESSION_STRICT=1 ignores this list.
 */
export const knownShortfalls: Record<string, string> = {};
