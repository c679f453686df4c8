/**
 * Which statements a set's data file holds besides its rows, checked as the
 * file goes past: the statements a data-only part of a set has — pg_dump's
 * session settings, `COPY … FROM stdin`, sequence values, large objects,
 * materialized view refreshes, and the splitter's own (triggers quiet while
 * rows load; NOT VALID checks set aside and put back) — and nothing else.
 * A proof takes the rows of a schema-then-data restore from the file itself
 * only when nothing else in it could have written a row (see
 * dataOnlyLoad.ts); any other statement sends it back to reading every table.
 *
 * Pure: lines in, a verdict out. Statements are split at semicolons outside
 * quotes, dollar quotes and comments, as psql splits them, so a line that
 * holds two statements is two statements here too.
 */
import { parseCopyTarget } from '../pg/dumpReader';
import { parseCopyColumns } from '../backup/dumpDigests';
import { TRANSACTION_TIMEOUT_GUARD } from '../backup/backup';

/** What the file holds besides its rows. */
export interface DataFileStatements {
  /** The first statement a data-only file does not hold, shortened to one line; undefined when every one is such. */
  unexpected: string | undefined;
  /** `SET session_replication_role = replica` came before the first row: ordinary triggers stay quiet while the rows load. */
  replicaBeforeRows: boolean;
  /** The tables the file's COPY statements load, in order. */
  copies: { schema: string; name: string; columns: string[] }[];
  /** How many materialized views it refreshes. */
  refreshes: number;
  /** It changes the schema: sets NOT VALID checks aside and puts them back. */
  changesSchema: boolean;
}

const IDENT = '(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)';
const NAME = `${IDENT}(?:\\.${IDENT})?`;
const LITERAL = "'(?:[^']|'')*'";

/** The settings pg_dump's preamble and its entries set, and the splitter's session_replication_role. */
const SETTINGS = new Set([
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'transaction_timeout',
  'client_encoding',
  'standard_conforming_strings',
  'check_function_bodies',
  'xmloption',
  'client_min_messages',
  'row_security',
  'default_tablespace',
  'default_table_access_method',
  'default_with_oids',
  'session_replication_role',
]);

/** Statements that write no row of a table, whatever their values (sequences and large objects are compared on their own). */
const HARMLESS: readonly RegExp[] = [
  /^SELECT pg_catalog\.set_config\('search_path', '', false\);$/,
  new RegExp(`^SELECT pg_catalog\\.setval\\(${LITERAL}, -?\\d+, (?:true|false)\\);$`),
  /^SELECT pg_catalog\.lo_create\('\d+'\);$/,
  /^SELECT pg_catalog\.lo_open\('\d+', 131072\);$/,
  /^SELECT pg_catalog\.lowrite\(0, '\\x[0-9a-fA-F]*'\);$/,
  /^SELECT pg_catalog\.lo_close\(0\);$/,
  /^BEGIN;$/,
  /^COMMIT;$/,
  new RegExp(`^ALTER LARGE OBJECT \\d+ OWNER TO ${IDENT};$`),
  new RegExp(`^COMMENT ON LARGE OBJECT \\d+ IS (?:${LITERAL}|NULL);$`),
  new RegExp(`^SECURITY LABEL FOR ${IDENT} ON LARGE OBJECT \\d+ IS (?:${LITERAL}|NULL);$`),
  new RegExp(`^(?:GRANT|REVOKE) [A-Z]+(?:,[A-Z]+)* ON LARGE OBJECT \\d+ (?:TO|FROM) ${IDENT}(?:, ?${IDENT})*(?: WITH GRANT OPTION)?;$`),
];

/** The NOT VALID CHECK constraints the data file sets aside while rows load (backup.ts): they write no row, but change the schema for a while. */
const SET_ASIDE: readonly RegExp[] = [
  new RegExp(`^ALTER (?:TABLE|DOMAIN) ${NAME} DROP CONSTRAINT IF EXISTS ${IDENT};$`),
  new RegExp(`^COMMENT ON CONSTRAINT ${IDENT} ON (?:DOMAIN )?${NAME} IS ${LITERAL};$`),
];

const SET_STATEMENT = /^SET ([a-z_]+) = (.+);$/;
const COPY_STATEMENT = new RegExp(`^COPY ${NAME}(?: \\(${IDENT}(?:, ${IDENT})*\\))? FROM stdin;$`);
const REFRESH_STATEMENT = new RegExp(`^REFRESH MATERIALIZED VIEW ${NAME};$`);
const ADD_CHECK_STATEMENT = new RegExp(`^ALTER (?:TABLE|DOMAIN) ${NAME} ADD CONSTRAINT ${IDENT} CHECK (\\(.*\\)) NOT VALID;$`);
const META_COMMAND = /^\\(?:un)?restrict [A-Za-z0-9]+$/;

/** Where the scanner stands between lines: inside a quote or comment, or not. */
interface ScanState {
  quote: "'" | '"' | undefined;
  /** Inside E'…', where a backslash escapes the next character. */
  escapes: boolean;
  dollarTag: string | undefined;
  blockComments: number;
}

export class DataFileStatementCheck {
  private pending = '';
  private readonly state: ScanState = { quote: undefined, escapes: false, dollarTag: undefined, blockComments: 0 };
  private readonly result: DataFileStatements = { unexpected: undefined, replicaBeforeRows: false, copies: [], refreshes: 0, changesSchema: false };

  constructor(private readonly expected: { clientEncoding: string }) {}

  /** One line of the file's SQL text (no COPY rows), with or without its newline. */
  line(bytes: Buffer): void {
    if (this.result.unexpected !== undefined) return;
    const text = bytes.toString('utf8').replace(/\r?\n$/, '');
    if (this.pending.trim() === '' && this.atTopLevel() && text.startsWith('\\')) {
      if (!META_COMMAND.test(text.trimEnd())) this.flag(text);
      return;
    }
    this.scan(`${text}\n`);
  }

  /** The verdict, once the file has ended. */
  end(): DataFileStatements {
    // psql runs what is left at the end of a file, semicolon or not.
    if (this.pending.trim() !== '') this.statement(this.pending);
    this.pending = '';
    return this.result;
  }

  private atTopLevel(): boolean {
    const state = this.state;
    return state.quote === undefined && state.dollarTag === undefined && state.blockComments === 0;
  }

  /** Adds text to the statement under way; each semicolon at the top level ends one. */
  private scan(text: string): void {
    const state = this.state;
    let kept = this.pending;
    let i = 0;
    while (i < text.length && this.result.unexpected === undefined) {
      const c = text[i];
      if (state.quote !== undefined) {
        if (state.escapes && c === '\\') {
          kept += text.slice(i, i + 2);
          i += 2;
          continue;
        }
        if (c === state.quote) {
          if (text[i + 1] === state.quote) {
            kept += c + c;
            i += 2;
            continue;
          }
          state.quote = undefined;
          state.escapes = false;
        }
        kept += c;
        i += 1;
        continue;
      }
      if (state.dollarTag !== undefined) {
        const closing = `$${state.dollarTag}$`;
        if (text.startsWith(closing, i)) {
          state.dollarTag = undefined;
          kept += closing;
          i += closing.length;
          continue;
        }
        kept += c;
        i += 1;
        continue;
      }
      if (state.blockComments > 0) {
        if (text.startsWith('*/', i)) {
          state.blockComments -= 1;
          i += 2;
          if (state.blockComments === 0) kept += ' ';
        } else if (text.startsWith('/*', i)) {
          state.blockComments += 1;
          i += 2;
        } else i += 1;
        continue;
      }
      if (text.startsWith('--', i)) {
        // A comment runs to the end of the line.
        const end = text.indexOf('\n', i);
        i = end === -1 ? text.length : end;
        continue;
      }
      if (text.startsWith('/*', i)) {
        state.blockComments = 1;
        i += 2;
        continue;
      }
      if (c === "'" || c === '"') {
        state.quote = c;
        state.escapes = c === "'" && /(?:^|[^A-Za-z0-9_$])[Ee]$/.test(kept);
      } else if (c === '$') {
        const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
        if (tag && !/[A-Za-z0-9_$]$/.test(kept)) {
          state.dollarTag = tag[1] ?? '';
          kept += tag[0];
          i += tag[0].length;
          continue;
        }
      } else if (c === '\\') {
        // psql takes a backslash outside quotes for one of its own commands.
        this.flag(`${kept}${text.slice(i)}`);
        return;
      } else if (c === ';') {
        this.statement(`${kept};`);
        kept = '';
        i += 1;
        continue;
      }
      kept += c;
      i += 1;
    }
    this.pending = kept;
  }

  private statement(raw: string): void {
    const statement = raw.trim();
    if (statement === '' || statement === ';' || this.result.unexpected !== undefined) return;
    const set = SET_STATEMENT.exec(statement);
    if (set) {
      if (!this.setting(set[1], set[2])) this.flag(statement);
      return;
    }
    if (COPY_STATEMENT.test(statement)) {
      const target = parseCopyTarget(statement);
      const columns = parseCopyColumns(statement);
      if (!target || !columns) this.flag(statement);
      else this.result.copies.push({ schema: target.schema, name: target.name, columns });
      return;
    }
    if (REFRESH_STATEMENT.test(statement)) {
      this.result.refreshes += 1;
      return;
    }
    const check = ADD_CHECK_STATEMENT.exec(statement);
    if (check) {
      // One parenthesised condition, nothing after it: no second clause of ALTER hides in it.
      if (!isOneParenthesis(check[1])) this.flag(statement);
      this.result.changesSchema = true;
      return;
    }
    if (SET_ASIDE.some((pattern) => pattern.test(statement))) {
      this.result.changesSchema = true;
      return;
    }
    if (statement !== TRANSACTION_TIMEOUT_GUARD && !HARMLESS.some((pattern) => pattern.test(statement))) this.flag(statement);
  }

  /** Whether a SET is one a data-only file makes, with a value that leaves its rows as the set recorded them. */
  private setting(name: string, value: string): boolean {
    if (!SETTINGS.has(name)) return false;
    const unquoted = value.replace(/^'(.*)'$/, '$1');
    switch (name) {
      case 'client_encoding':
        // The bytes of the rows mean what they meant to pg_dump only in its encoding.
        return unquoted.toUpperCase() === this.expected.clientEncoding.toUpperCase();
      case 'standard_conforming_strings':
        // The splitting above reads string literals as this setting makes psql's server read them.
        return unquoted === 'on';
      case 'session_replication_role':
        if (unquoted !== 'replica') return false;
        if (this.result.copies.length === 0) this.result.replicaBeforeRows = true;
        return true;
      default:
        return /^(?:'(?:[^']|'')*'|[A-Za-z0-9_.]+)$/.test(value);
    }
  }

  private flag(statement: string): void {
    const line = statement.trim().replace(/\s+/g, ' ');
    this.result.unexpected = line.length > 80 ? `${line.slice(0, 77)}...` : line;
  }
}

/** Whether `text` is one parenthesis, from its first character to its last (quotes and nested parentheses inside). */
export function isOneParenthesis(text: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) {
        if (text[i + 1] === quote) i += 1;
        else quote = undefined;
      }
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '$' || c === ';' || c === '\\') return false;
    else if (c === '(') depth += 1;
    else if (c === ')') {
      depth -= 1;
      if (depth === 0 && i !== text.length - 1) return false;
      if (depth < 0) return false;
    }
  }
  return depth === 0 && quote === undefined && text.startsWith('(');
}
