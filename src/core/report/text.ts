/**
 * Wording the report's renderers share: the Markdown and HTML renderers here,
 * and the extension's webview. Pure functions over the model, no Node
 * imports, so a browser bundle can take them as they are.
 */
import { countOf, formatCount, formatDiskBytes } from '../format';
import type { ReportFilePermission, ReportSchema, ReportSchemaGroup, RichText } from './types';

export interface ReportSectionInfo {
  /** Anchor id in the HTML, stable for links from the webview. */
  id: string;
  title: string;
}

/** The eight sections, in the order every renderer shows them. */
export const REPORT_SECTIONS = {
  overview: { id: 'overview', title: 'Overview' },
  database: { id: 'database', title: 'Database' },
  warnings: { id: 'warnings', title: 'pg_dump warnings' },
  restore: { id: 'restore', title: 'Restore commands' },
  schema: { id: 'schema', title: 'Schema overview' },
  verification: { id: 'verification', title: 'Verification' },
  history: { id: 'history', title: 'History and retention' },
  security: { id: 'security', title: 'Security' },
} as const satisfies Record<string, ReportSectionInfo>;

export type ReportSectionKey = keyof typeof REPORT_SECTIONS;

/** The sections' keys in the report's order: every renderer walks them. */
export const REPORT_SECTION_KEYS = Object.keys(REPORT_SECTIONS) as ReportSectionKey[];

/** A section's heading: "1. Overview" in a document to print, "Overview" in a panel. */
export function sectionTitle(key: ReportSectionKey, numbered: boolean): string {
  const title = REPORT_SECTIONS[key].title;
  return numbered ? `${REPORT_SECTION_KEYS.indexOf(key) + 1}. ${title}` : title;
}

export function richTextPlain(text: RichText): string {
  return text.map((part) => (typeof part === 'string' ? part : part.code)).join('');
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

export function readableBy(permission: ReportFilePermission): string {
  const who = permission.readableByOthers ? 'everyone on this machine' : permission.readableByGroup ? 'owner and group' : 'owner only';
  // Reading a folder means listing the names in it, not reading the files.
  return permission.kind === 'folder' && who !== 'owner only' ? `${who} can list it` : who;
}

/** The Schema section's first sentence: the totals, and what the figures mean. */
export function schemaSummary(schema: ReportSchema): string {
  const sizes = schema.sizesEstimated
    ? "sizes (≈) are the catalog's estimates, as of each table's last VACUUM or ANALYZE, indexes included: with more than 1,000 tables the backup does not read every file's size"
    : 'sizes are on disk at the snapshot, indexes included';
  return `${schemaTotals(schema)}. Row counts are exact, counted from the dump; ${sizes}.`;
}

function schemaTotals(schema: ReportSchema): string {
  const parts = [
    `${formatCount(schema.tableCount)} table${schema.tableCount === 1 ? '' : 's'}`,
    countOf(schema.totalRows, 'row'),
    formatDiskBytes(schema.totalBytes, schema.sizesEstimated),
  ];
  if (schema.sequences !== null) parts.push(`${formatCount(schema.sequences)} sequence${schema.sequences === 1 ? '' : 's'}`);
  if (schema.largeObjects !== null) parts.push(`${formatCount(schema.largeObjects)} large object${schema.largeObjects === 1 ? '' : 's'}`);
  parts.push(`${formatCount(schema.materializedViews.length)} materialized view${schema.materializedViews.length === 1 ? '' : 's'}`);
  return parts.join(', ');
}

export function schemaGroupTotals(group: ReportSchemaGroup, sizesEstimated: boolean): string {
  return `${formatCount(group.tables.length)} table${group.tables.length === 1 ? '' : 's'}, ${countOf(group.rows, 'row')}, ${formatDiskBytes(group.bytes, sizesEstimated)}`;
}

/** "3 proofs recorded in this set's history." */
export function recordedInHistory(count: number, what: 'verification run' | 'proof'): string {
  return `${formatCount(count)} ${what}${count === 1 ? '' : 's'} recorded in this set's history.`;
}

export function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

export function capitaliseRich(value: RichText): RichText {
  const [first, ...rest] = value;
  return typeof first === 'string' ? [capitalise(first), ...rest] : value;
}

/** host:port as a person writes it: [::1]:5432 for IPv6, the socket folder alone for a Unix socket. */
export function serverAddress(host: string, port: number): string {
  if (host.startsWith('/')) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
