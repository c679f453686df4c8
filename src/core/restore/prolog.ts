/**
 * What runs in the restore's transaction before the set's file: a pure
 * decision over what the pre-flight found, unit-tested on plain data.
 *
 * In order:
 * - a bounded lock wait (`lock_timeout`): the restore gives up, changing
 *   nothing, rather than queue behind another session for ever (its queued
 *   exclusive lock would block the application meanwhile). pg_dump's file
 *   sets lock_timeout back to 0 in its preamble, so every existing relation
 *   the file will touch is locked here first, under the bound.
 * - triggers quiet where rows load into tables that have their triggers and
 *   foreign keys already (a data restore; a Supabase set's platform rows);
 * - for a data restore without --clean, the check that the tables it loads
 *   are still empty (again, now that the locks are held);
 * - for --clean, the check that nothing outside the backup depends on what
 *   is dropped (again, now that the locks are held), then the drops — or,
 *   for data, the check that no foreign key, partition or inheritance child
 *   outside the backup hangs on its tables, then one TRUNCATE of them;
 *   and where a Supabase set's platform tables are emptied (data, complete),
 *   the check that no table the restore does not reload has rows pointing
 *   into them;
 * - sequences the file will set made transactional: `setval` is not undone
 *   by a rollback, but a sequence given new storage in this transaction
 *   (ALTER SEQUENCE … RESTART, then its own value back) is, so a restore
 *   that does not commit leaves every sequence exactly as it was;
 * - the restoring role's default privileges set to the built-in ones, so the
 *   objects the file creates get exactly the grants the backup had.
 */
import { cleanGuardStatement, dropPartStatements, dropStatements, emptyGuardStatement, guardBlock, platformGuardStatement, type RecreatedPart } from './cleanPlan';
import { dollarTag, quoteLiteral } from '../sql';
import type { RestoreMode } from './types';
import { emptyPlatformStatements, emptyStatements, type DumpObject, type ExistingObject } from './target';

export interface PrologInput {
  mode: RestoreMode;
  clean: boolean;
  lockTimeoutMs: number;
  /** The backup's objects the target has (dropped by a complete or schema --clean, emptied by a data --clean). */
  existing: readonly ExistingObject[];
  /** The backup's objects and the parts it recreates, for the check inside the transaction. */
  objects: readonly DumpObject[];
  parts: readonly RecreatedPart[];
  /** The target server's server_version_num: what its catalog has for the check. */
  serverVersionNum: number;
  /** Supabase profile: platform tables the set brings rows for, the app's triggers/policies on them, their foreign keys. */
  platform: { tables: readonly ExistingObject[]; attached: readonly ExistingObject[]; references: readonly { from: string; to: string }[] };
  /** Load with session_replication_role = replica (triggers and foreign-key checks quiet). */
  silenceTriggers: boolean;
  /** Sequences (regclass text) the file sets that exist in the target and are not dropped first. */
  sequences: readonly string[];
  /** Statements that set the restoring role's default privileges to the built-in ones while the file creates objects (see defaultPrivileges.ts). */
  resetDefaultPrivileges: readonly string[];
}

export function restoreProlog(input: PrologInput): string[] {
  const statements = [`SET lock_timeout = ${Math.max(1, Math.round(input.lockTimeoutMs))};`, 'SET client_min_messages = warning;'];
  if (input.silenceTriggers) statements.push('SET session_replication_role = replica;');
  statements.push(...lockStatements(input));
  if (input.mode === 'data') {
    if (!input.clean) statements.push(...stillEmptyStatements([...input.existing, ...input.platform.tables]));
    if (input.clean) {
      const emptied = input.existing.filter((object) => object.kind === 'table').map((object) => object.dropName);
      statements.push(
        ...(emptied.length > 0 ? [emptyGuardStatement(emptied)] : []),
        ...platformGuard(input),
        ...emptyStatements(input.existing),
        ...emptyPlatformStatements(input.platform.tables, input.platform.references),
      );
    }
  } else if (input.clean) {
    statements.push(
      cleanGuardStatement(input.objects, input.parts, input.serverVersionNum),
      ...(input.mode === 'complete' ? platformGuard(input) : []),
      ...dropPartStatements(input.platform.attached),
      ...dropStatements(replacedByClean(input)),
      ...(input.mode === 'complete' ? emptyPlatformStatements(input.platform.tables, input.platform.references) : []),
    );
  }
  statements.push(...transactionalSequences(input.sequences), ...input.resetDefaultPrivileges);
  return statements;
}

/**
 * Where a --clean empties platform tables: the check that no table the
 * restore does not reload has rows pointing into them (their foreign keys
 * are quiet while they are emptied).
 */
function platformGuard(input: Pick<PrologInput, 'existing' | 'platform'>): string[] {
  const emptied = input.platform.tables.map((table) => table.dropName);
  if (emptied.length === 0) return [];
  return [platformGuardStatement(emptied, reloadedTables(input.existing))];
}

/** The set's tables the target has, which a data or complete --clean empties or drops and loads again: their references into platform tables are the set's own. */
export function reloadedTables(existing: readonly ExistingObject[]): string[] {
  return existing.filter((object) => object.kind === 'table').map((object) => object.dropName);
}

/** What a complete or schema --clean drops: the backup's objects the target has, but never a schema (and large objects only when their data loads again). */
export function replacedByClean(input: Pick<PrologInput, 'existing' | 'mode'>): ExistingObject[] {
  return input.existing.filter((object) => object.kind !== 'schema' && (input.mode === 'complete' || object.kind !== 'large object'));
}

const LOCKABLE = new Set<ExistingObject['kind']>(['table', 'foreign table', 'platform table']);

/**
 * The existing tables the restore will change, locked first under the
 * bounded wait: exclusively where they are dropped or emptied (or a trigger
 * or policy is put on them); where rows only load, against every other
 * writer (readers go on) where the role may (writersLockStatement), so no row
 * another session writes meanwhile ends up beside the backup's: its INSERT
 * waits for the restore's COMMIT, and one it has not committed yet makes the
 * restore wait, then give up and name it.
 */
export function lockTargets(input: Pick<PrologInput, 'mode' | 'clean' | 'existing' | 'platform'>): { exclusive: string[]; rowsOnly: string[] } {
  const exclusive = new Set<string>();
  const rowsOnly = new Set<string>();
  const tables = input.existing.filter((object) => LOCKABLE.has(object.kind)).map((object) => object.dropName);
  if (input.clean) tables.forEach((name) => exclusive.add(name));
  else if (input.mode !== 'schema') tables.forEach((name) => rowsOnly.add(name));
  if (input.mode !== 'schema') {
    for (const table of input.platform.tables) (input.clean ? exclusive : rowsOnly).add(table.dropName);
  }
  for (const part of input.platform.attached) exclusive.add(part.dropName.slice(part.dropName.indexOf(' ON ') + ' ON '.length));
  for (const name of exclusive) rowsOnly.delete(name);
  return { exclusive: [...exclusive], rowsOnly: [...rowsOnly] };
}

export function lockStatements(input: Pick<PrologInput, 'mode' | 'clean' | 'existing' | 'platform' | 'serverVersionNum'>): string[] {
  const { exclusive, rowsOnly } = lockTargets(input);
  const statements: string[] = [];
  if (exclusive.length > 0) statements.push(`LOCK TABLE ${exclusive.join(', ')} IN ACCESS EXCLUSIVE MODE;`);
  // Before PostgreSQL 15, LOCK TABLE checks its mode's privilege on every partition and inheritance child too:
  // a role that may update a table but only insert into its partitions could not lock it against writers.
  if (rowsOnly.length > 0) statements.push(input.serverVersionNum >= 150000 ? writersLockStatement(rowsOnly) : `LOCK TABLE ${rowsOnly.join(', ')} IN ROW EXCLUSIVE MODE;`);
  return statements;
}

/**
 * Where rows only load: EXCLUSIVE, so readers go on and every other writer
 * waits for the commit. LOCK TABLE gives that mode only to a role with
 * UPDATE, DELETE or TRUNCATE on the table (or its owner); one that may only
 * INSERT takes ROW EXCLUSIVE, the most it may, and another session's rows
 * may then load beside the backup's, as with pg_dump | psql. PostgreSQL 15
 * and later only (lockStatements).
 */
function writersLockStatement(tables: readonly string[]): string {
  const names = tables.map(quoteLiteral);
  const tag = dollarTag('pulse_lock', names);
  return [
    `DO ${tag}`,
    'DECLARE',
    '  name text;',
    'BEGIN',
    `  FOREACH name IN ARRAY ARRAY[${names.join(', ')}]::text[] LOOP`,
    "    IF pg_catalog.has_table_privilege(name, 'UPDATE, DELETE, TRUNCATE') THEN",
    "      EXECUTE pg_catalog.format('LOCK TABLE %s IN EXCLUSIVE MODE', name);",
    '    ELSE',
    "      EXECUTE pg_catalog.format('LOCK TABLE %s IN ROW EXCLUSIVE MODE', name);",
    '    END IF;',
    '  END LOOP;',
    `END ${tag};`,
  ].join('\n');
}

/** Gives each sequence new storage in this transaction, keeping its value, so the file's setval rolls back with everything else. */
export function transactionalSequences(sequences: readonly string[]): string[] {
  if (sequences.length === 0) return [];
  const names = sequences.map((name) => `'${name.replace(/'/g, "''")}'`).join(', ');
  const tag = dollarTag('pulse_sequences', [names]);
  return [
    [
      `DO ${tag}`,
      'DECLARE',
      '  sequence_name pg_catalog.regclass;',
      '  value bigint;',
      '  called boolean;',
      'BEGIN',
      `  FOR sequence_name IN SELECT pg_catalog.to_regclass(name) FROM pg_catalog.unnest(ARRAY[${names}]::text[]) AS name WHERE pg_catalog.to_regclass(name) IS NOT NULL LOOP`,
      "    EXECUTE pg_catalog.format('SELECT last_value, is_called FROM %s', sequence_name) INTO value, called;",
      "    EXECUTE pg_catalog.format('ALTER SEQUENCE %s RESTART', sequence_name);",
      '    PERFORM pg_catalog.setval(sequence_name, value, called);',
      '  END LOOP;',
      `END ${tag};`,
    ].join('\n'),
  ];
}

/** The message the check below raises, followed by the tables that hold rows as JSON ([{schema, name, rows}]). */
export const ROWS_SINCE_PLAN_MARK = 'pulse-backup: rows since the plan:';

/**
 * A data restore without --clean loads only into empty tables: checked
 * again once its locks are held, so rows another session wrote after the
 * plan (while the person confirmed) fail the restore, rolled back, instead
 * of ending up mixed with the backup's.
 */
export function stillEmptyStatements(existing: readonly ExistingObject[]): string[] {
  const tables = existing.filter((object) => object.kind === 'table' || object.kind === 'platform table').map((object) => quoteLiteral(object.dropName));
  if (tables.length === 0) return [];
  const tag = dollarTag('pulse_rows', tables);
  return [
    guardBlock(
      tag,
      [
        `  FOR relation IN SELECT pg_catalog.to_regclass(name) FROM pg_catalog.unnest(ARRAY[${tables.join(', ')}]::text[]) AS name WHERE pg_catalog.to_regclass(name) IS NOT NULL LOOP`,
        "    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', relation) INTO counted;",
        '    IF counted > 0 THEN',
        "      found := pg_catalog.jsonb_insert(COALESCE(found, '[]'), '{-1}', (SELECT pg_catalog.jsonb_build_object('schema', n.nspname, 'name', c.relname, 'rows', counted)",
        '        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = relation), true);',
        '    END IF;',
        '  END LOOP;',
        '  IF found IS NOT NULL THEN',
        `    RAISE EXCEPTION '${ROWS_SINCE_PLAN_MARK} %', found;`,
        '  END IF;',
      ],
      ['  relation pg_catalog.regclass;', '  counted bigint;'],
    ),
  ];
}
