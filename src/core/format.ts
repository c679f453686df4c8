/** Human-readable sizes, durations, dates, ages and names, shared by the CLI, the report and the extension. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  const seconds = milliseconds / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** "2025-09-01 17:39:48" in the reader's local time; anything unparsable comes back as it was. */
export function formatReportDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A size that may not be recorded: '—' then. */
export function formatOptionalBytes(bytes: number | null, estimated = false): string {
  return bytes === null ? '—' : formatDiskBytes(bytes, estimated);
}

/** A size on disk as a manifest recorded it: "≈ 12 KB" where it is the catalog's estimate (manifest `sizes`); nothing is nothing (a partitioned table). */
export function formatDiskBytes(bytes: number, estimated: boolean): string {
  return estimated && bytes > 0 ? `≈ ${formatBytes(bytes)}` : formatBytes(bytes);
}

export function formatOptionalDuration(durationMs: number | null): string {
  return durationMs === null ? 'not recorded' : formatDuration(durationMs);
}

/** A row count that may not be known (a partitioned parent, a set without a manifest): '—' then. */
export function formatRows(rows: number | null): string {
  return rows === null ? '—' : formatCount(rows);
}

/**
 * "just now", "5 min ago", "2h ago", "3d ago" — the status bar's and the
 * tree's wording; a time more than a minute after now (a clock that was or
 * is wrong) reads "2h from now", never "just now".
 */
export function formatAge(from: Date, now: Date = new Date()): string {
  const seconds = Math.round((now.getTime() - from.getTime()) / 1000);
  if (seconds < -60) return `${timeSpan(-seconds)} from now`;
  if (seconds < 60) return 'just now';
  return `${timeSpan(seconds)} ago`;
}

/** "5 min", "2h", "3d" (at least a minute). */
function timeSpan(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

export function formatCount(value: number): string {
  // A count read from a file nobody here wrote may be anything: never shown as it is ("12|x" would be a cell of its own in a Markdown table).
  if (typeof value !== 'number' || Number.isNaN(value)) return '?';
  // Grouped by hand: the first toLocaleString of a process starts ICU, about
  // 30 ms, which is most of what a short CLI run like verify spends on output.
  if (Number.isSafeInteger(value)) return String(value).replace(/\B(?=(\d{3})+$)/g, ',');
  return value.toLocaleString('en-US');
}

/** "1 table", "1,234 tables": a count and its noun, singular for one (`many` for irregular plurals). */
export function countOf(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

/** countOf with the number right-aligned in `width` columns, for a column of counts: "           1 row", "      12,345 rows". */
export function countColumn(count: number, width: number, one: string, many = `${one}s`): string {
  return `${formatCount(count).padStart(width)} ${count === 1 ? one : many}`;
}

/**
 * Orders strings by code point. For names and timestamps that only need a
 * stable order: String.prototype.localeCompare loads the ICU collator on its
 * first call, several milliseconds of every command's start-up.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Like compareText, with runs of digits compared as numbers ("9" before "10"). */
export function compareNatural(a: string, b: string): number {
  const parts = (text: string) => text.match(/\d+|\D+/g) ?? [];
  const left = parts(a);
  const right = parts(b);
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const x = left[index];
    const y = right[index];
    if (x === y) continue;
    const numeric = /^\d/.test(x) && /^\d/.test(y);
    return numeric ? Number(x) - Number(y) || compareText(x, y) : compareText(x, y);
  }
  return left.length - right.length;
}

/** The name a table goes by in manifests, digests and messages: schema.name, as the catalog spells them (unquoted). */
export function qualifiedName(schema: string, name: string): string {
  return `${schema}.${name}`;
}

// ---------------------------------------------------------------------------
// Printable text

/*
 * Text from a database or a folder nobody here wrote, made safe to show on a
 * terminal. PostgreSQL takes any character but NUL in a quoted name, so a
 * table may be called `orders<ESC>[2K<CR>audit`: printed as it is, a
 * terminal (the VS Code task terminal too) would act on it, erasing the line
 * or setting the window's title, instead of showing it. Control characters
 * (C0, DEL, C1), the bidirectional overrides that reorder what follows, and
 * the characters that show nothing (the zero-width space, the soft hyphen,
 * direction marks, the word joiner, the line and paragraph separators, the
 * byte-order mark: `zw<U+200B>users` would read as `zwusers`) are shown as
 * escapes instead: `\n`, `\r`, `\t`, else `\uXXXX`, which is also what JSON
 * would write, so a JSON document stays valid and means the same when it
 * passes through.
 */

/**
 * The characters besides C0, DEL and C1 that are shown as escapes: those
 * that show nothing (the soft hyphen, the zero-width space, the word joiner
 * and the invisible operators) and the bidirectional ones (marks, embeddings,
 * overrides, isolates). Not the zero-width non-joiner and joiner: Persian,
 * the Indic scripts and emoji need them, so a folder named with them is a
 * name like any other, not one to refuse or to escape. A source for a character
 * class, shared with what quotes a word for a shell or a systemd unit
 * (shell.ts, systemd.ts), so what is printed escaped is typed escaped.
 */
export const INVISIBLE_CHARACTERS = '\\u00ad\\u061c\\u200b\\u200e\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff';
/** Every character a terminal acts on, or shows as nothing, instead of showing. */
const CONTROLS = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${INVISIBLE_CHARACTERS}]`, 'g');
/** The same but line breaks and tabs, which lay out text of several lines. */
const CONTROLS_WITHIN_LINES = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${INVISIBLE_CHARACTERS}]`, 'g');

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(character: string): string {
  return SHORT_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One value (a name, a path) on one line: every control character, line breaks too, as an escape. */
export function printable(text: string): string {
  return text.replace(CONTROLS, escapeControl);
}

/** Text of several lines: line breaks and tabs kept, every other control character as an escape. */
export function printableLines(text: string): string {
  return text.replace(CONTROLS_WITHIN_LINES, escapeControl);
}

/** `schema.name` for a person to read, each part printable. */
export function printableName(schema: string, name: string): string {
  return `${printable(schema)}.${printable(name)}`;
}
