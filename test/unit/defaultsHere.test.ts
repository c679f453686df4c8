/** The help says what --db, --prefix and --dir come to in the current folder: a Supabase project's, the environment's, the folder's. */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helpText } from '../../src/cli/args';
import { COMMANDS } from '../../src/cli/commands';
import { defaultsHere } from '../../src/cli/defaultsHere';

describe('defaults in the current folder, in the help', () => {
  let folder: string;

  beforeEach(() => {
    folder = join(mkdtempSync(join(tmpdir(), 'pulse-defaults-')), 'Factory Pulse');
    mkdirSync(folder);
  });

  afterEach(() => rmSync(join(folder, '..'), { recursive: true, force: true }));

  it("names the Supabase project's database and project_id", () => {
    mkdirSync(join(folder, 'supabase'));
    writeFileSync(join(folder, 'supabase', 'config.toml'), 'project_id = "shop-floor"\n[db]\nport = 54399\n');
    const here = defaultsHere(folder, {});
    assert.equal(here.prefix, "shop_floor, from supabase/config.toml's project_id");
    assert.equal(here.db, "postgres@127.0.0.1:54399/postgres, the Supabase project's database ([db].port in supabase/config.toml)");
    assert.equal(here.dir, join(folder, 'backups'));
    const help = helpText(COMMANDS, 'backup', here);
    assert.match(help, /--db URL .*; here: postgres@127\.0\.0\.1:54399\/postgres, the Supabase project's database/);
    assert.match(help, /--prefix NAME .*; here: shop_floor, from supabase\/config\.toml's project_id/);
  });

  it("names the folder and the environment's URL, never its password", () => {
    const here = defaultsHere(folder, { PULSE_BACKUP_DB_URL: 'postgresql://app:s3cret@db.example.com:6543/app' });
    assert.equal(here.prefix, "factory_pulse, from this folder's name");
    assert.equal(here.db, 'app@db.example.com:6543/app, from PULSE_BACKUP_DB_URL');
    assert.ok(!JSON.stringify(here).includes('s3cret'));
  });

  it("shows control characters in the folder's, the environment's and the PG* variables' values as escapes, each on its one line", () => {
    const here = defaultsHere(folder, { PULSE_BACKUP_DIR: '/tmp/x\u001b]0;title\u0007\u001b[31m\nFAKE', PGDATABASE: 'shop\u001b[2J', PGHOST: 'localhost' });
    const help = helpText(COMMANDS, 'backup', here);
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    assert.doesNotMatch(help, /[\u0000-\u0008\u000b-\u001f\u007f]/, 'no control character but line breaks');
    assert.match(help, /\n {2}--dir DIR .*; here: \/tmp\/x\\u001b\]0;title\\u0007\\u001b\[31m\\nFAKE; in VS Code/);
    assert.match(help, /\n {2}--db URL .*; here: [^\n]*shop\\u001b\[2J/);
  });

  it('leaves them out when config.toml is broken: the command itself says so', () => {
    mkdirSync(join(folder, 'supabase'));
    writeFileSync(join(folder, 'supabase', 'config.toml'), '[db\n');
    assert.deepEqual(defaultsHere(folder, {}), {});
  });
});
