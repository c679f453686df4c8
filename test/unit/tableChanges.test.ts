import { strict as assert } from 'node:assert';
import { tableChangeDetail } from '../../src/core/prove/tableChanges';

/** A TABLE entry as pg_dump writes it. */
function entry(columns: string[], options: { owner?: string; tail?: string } = {}): string {
  return [
    '--',
    `-- Name: Shift Notes; Type: TABLE; Schema: shop floor; Owner: ${options.owner ?? 'postgres'}`,
    '--',
    '',
    'CREATE TABLE "shop floor"."Shift Notes" (',
    columns.map((column) => `    ${column}`).join(',\n'),
    `)${options.tail ?? ''};`,
    '',
    '',
    `ALTER TABLE "shop floor"."Shift Notes" OWNER TO ${options.owner ?? 'postgres'};`,
    '',
  ].join('\n');
}

const BASE = ['id integer NOT NULL', 'written_by bigint', '"Note Text" text NOT NULL', 'CONSTRAINT short_note CHECK ((length("Note Text") < 500))'];

describe('what changed in a table', () => {
  it('names columns added, dropped and changed, with both definitions, quoted names as pg_dump writes them', () => {
    assert.equal(tableChangeDetail(entry(BASE), entry([...BASE, 'shift smallint DEFAULT 1'])), 'column shift added');
    assert.equal(tableChangeDetail(entry(BASE), entry(BASE.filter((column) => !column.startsWith('written_by')))), 'column written_by dropped');
    assert.equal(
      tableChangeDetail(entry(BASE), entry(BASE.map((column) => column.replace('"Note Text" text', '"Note Text" character varying(200)')))),
      'column "Note Text": text NOT NULL in the set, character varying(200) NOT NULL now',
    );
  });

  it('names constraints written inside CREATE TABLE, and the owner', () => {
    assert.equal(tableChangeDetail(entry(BASE), entry(BASE.slice(0, 3))), 'constraint short_note dropped');
    assert.equal(tableChangeDetail(entry(BASE), entry(BASE, { owner: 'app_owner' })), 'owner postgres in the set, app_owner now');
  });

  it('says "its options" for a change outside the columns, and names three changes at most', () => {
    assert.equal(tableChangeDetail(entry(BASE), entry(BASE, { tail: ' WITH (fillfactor=80)' })), 'its options');
    assert.equal(
      tableChangeDetail(entry(BASE), entry(BASE, { owner: 'app_owner', tail: ' WITH (fillfactor=80)' })),
      'owner postgres in the set, app_owner now; its options',
      'a new owner does not hide the other change',
    );
    const many = tableChangeDetail(entry(BASE), entry(['id bigint NOT NULL', 'a int', 'b int', 'c int']));
    assert.equal(many, 'column id: integer NOT NULL in the set, bigint NOT NULL now; column written_by dropped; column "Note Text" dropped; and 4 more changes');
  });

  it('reads a column whose definition spans lines as one', () => {
    const spanning = ['id integer NOT NULL', "label text GENERATED ALWAYS AS (('a\n        b'::text || id)) STORED"];
    assert.equal(tableChangeDetail(entry(spanning), entry([...spanning, 'x int'])), 'column x added');
  });

  it('tells nothing where it cannot: not a CREATE TABLE, or the same text', () => {
    assert.equal(tableChangeDetail('CREATE VIEW v AS SELECT 1;', entry(BASE)), undefined);
    assert.equal(tableChangeDetail(entry(BASE), entry(BASE)), undefined);
  });
});
