/**
 * The last word on secrets: every string of a finished report goes through
 * the same redaction as pg_dump's output, wherever it stands.
 */
import { redactText } from '../connection/redact';
import type { BackupReport } from './types';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Every string of the model goes through the same redaction as pg_dump's output: URLs and password settings lose their password, where they stand. */
export function redactReport(report: BackupReport): BackupReport {
  const visit = (value: Json): Json => {
    if (typeof value === 'string') return redactText(value);
    if (Array.isArray(value)) return value.map(visit);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, visit(inner)]));
    }
    return value;
  };
  return visit(report as unknown as Json) as unknown as BackupReport;
}
