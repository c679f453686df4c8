import { cliHint, commandLineWords } from '../../src/core/commandLineWords';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatError, PulseError } from '../../src/core/errors';
import {
  chooseClientTools,
  findClientTools,
  installLocations,
  parsePgVersion,
  parseServerVersionNum,
  psqlSupportsRestrict,
  type PgVersion,
  type ToolSet,
  type ToolSource,
} from '../../src/core/pg/tools';

function version(text: string): PgVersion {
  const parsed = parsePgVersion(text);
  assert.ok(parsed, `test version ${text} must parse`);
  return parsed;
}

function toolSet(folder: string, pgDumpVersion: string, source: ToolSource = 'PATH'): ToolSet {
  const v = version(pgDumpVersion);
  return {
    folder,
    source,
    pgDump: { path: `${folder}/pg_dump`, version: v },
    psql: { path: `${folder}/psql`, version: v },
    pgRestore: { path: `${folder}/pg_restore`, version: v },
  };
}

function isPulseError(code: string): (error: unknown) => boolean {
  return (error: unknown) => error instanceof PulseError && error.code === code;
}

describe('PostgreSQL client tools', () => {
  describe('reading versions', () => {
    it('reads the version from --version output of distribution builds', () => {
      assert.deepEqual(parsePgVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), { major: 15, minor: 18, text: '15.18' });
      assert.deepEqual(parsePgVersion('psql (PostgreSQL) 17.2 (Homebrew)\n'), { major: 17, minor: 2, text: '17.2' });
      assert.deepEqual(parsePgVersion('pg_restore (PostgreSQL) 16.4'), { major: 16, minor: 4, text: '16.4' });
    });

    it('reads bare, pre-release and development versions', () => {
      assert.deepEqual(parsePgVersion('17.2'), { major: 17, minor: 2, text: '17.2' });
      assert.deepEqual(parsePgVersion('16beta1'), { major: 16, minor: 0, text: '16beta1' });
      assert.deepEqual(parsePgVersion('pg_dump (PostgreSQL) 18devel'), { major: 18, minor: 0, text: '18devel' });
      assert.deepEqual(parsePgVersion('17rc1'), { major: 17, minor: 0, text: '17rc1' });
    });

    it('treats the first two parts as the major version before PostgreSQL 10', () => {
      assert.deepEqual(parsePgVersion('pg_dump (PostgreSQL) 9.6.24'), { major: 9.6, minor: 24, text: '9.6.24' });
      assert.deepEqual(parsePgVersion('10.23'), { major: 10, minor: 23, text: '10.23' });
    });

    it('returns undefined for output that holds no version', () => {
      assert.equal(parsePgVersion(''), undefined);
      assert.equal(parsePgVersion('command not found'), undefined);
      assert.equal(parsePgVersion('pg_dump (PostgreSQL) unknown'), undefined);
    });

    it('reads server_version_num', () => {
      assert.deepEqual(parseServerVersionNum(150018), { major: 15, minor: 18, text: '15.18' });
      assert.deepEqual(parseServerVersionNum('180004'), { major: 18, minor: 4, text: '18.4' });
      assert.deepEqual(parseServerVersionNum(90624), { major: 9.6, minor: 24, text: '9.6.24' });
      assert.deepEqual(parseServerVersionNum(100000), { major: 10, minor: 0, text: '10.0' });
      assert.throws(() => parseServerVersionNum('fifteen'), isPulseError('internal'));
    });

    it('knows which psql understands \\restrict', () => {
      assert.equal(psqlSupportsRestrict(version('15.13')), false);
      assert.equal(psqlSupportsRestrict(version('15.14')), true);
      assert.equal(psqlSupportsRestrict(version('15.18')), true);
      assert.equal(psqlSupportsRestrict(version('13.21')), false);
      assert.equal(psqlSupportsRestrict(version('13.22')), true);
      assert.equal(psqlSupportsRestrict(version('14.19')), true);
      assert.equal(psqlSupportsRestrict(version('16.9')), false);
      assert.equal(psqlSupportsRestrict(version('16.10')), true);
      assert.equal(psqlSupportsRestrict(version('17.5')), false);
      assert.equal(psqlSupportsRestrict(version('17.6')), true);
      assert.equal(psqlSupportsRestrict(version('18beta1')), true);
      assert.equal(psqlSupportsRestrict(version('19devel')), true);
      assert.equal(psqlSupportsRestrict(version('12.22')), false);
      assert.equal(psqlSupportsRestrict(version('9.6.24')), false);
    });
  });

  describe('choosing tools for a server', () => {
    const server15 = parseServerVersionNum(150008);

    it('prefers pg_dump of the same major version as the server', () => {
      const found = [toolSet('/opt/pg17/bin', '17.2'), toolSet('/usr/bin', '15.18'), toolSet('/opt/pg16/bin', '16.4')];
      assert.equal(chooseClientTools(found, server15).folder, '/usr/bin');
    });

    it('takes psql and pg_restore from the folder of the chosen pg_dump', () => {
      const chosen = chooseClientTools([toolSet('/opt/pg17/bin', '17.2'), toolSet('/usr/bin', '15.18')], server15);
      assert.equal(chosen.psql?.path, '/usr/bin/psql');
      assert.equal(chosen.pgRestore?.path, '/usr/bin/pg_restore');
    });

    it('accepts a newer pg_dump when none matches the server, choosing the newest', () => {
      const found = [toolSet('/opt/pg16/bin', '16.4'), toolSet('/opt/pg17/bin', '17.2')];
      assert.equal(chooseClientTools(found, server15).folder, '/opt/pg17/bin');
    });

    it('prefers the explicit folder among fitting ones of the same major', () => {
      const found = [toolSet('/usr/bin', '15.18'), toolSet('/custom/bin', '15.10', 'explicit')];
      assert.equal(chooseClientTools(found, server15).folder, '/custom/bin');
    });

    it('prefers the explicit folder among newer ones over a newer release elsewhere', () => {
      const found = [toolSet('/opt/pg18/bin', '18.1'), toolSet('/custom/bin', '17.2', 'explicit')];
      assert.equal(chooseClientTools(found, server15).folder, '/custom/bin');
    });

    it('prefers the newest minor release within the same major, then search order', () => {
      assert.equal(chooseClientTools([toolSet('/a', '15.3'), toolSet('/b', '15.18')], server15).folder, '/b');
      assert.equal(chooseClientTools([toolSet('/a', '15.18'), toolSet('/b', '15.18', 'install-location')], server15).folder, '/a');
    });

    it('rejects a pg_dump older than the server, naming both versions and the fix', () => {
      assert.throws(
        () => chooseClientTools([toolSet('/usr/bin', '15.18')], parseServerVersionNum(180004)),
        (error: unknown) => {
          assert.ok(error instanceof PulseError);
          assert.equal(error.code, 'tools-too-old');
          assert.equal(
            formatError(error, commandLineWords),
            'pg_dump 15.18 (/usr/bin) cannot dump a PostgreSQL 18.4 server: install the PostgreSQL 18 client tools ' +
              '(e.g. apt install postgresql-client-18, brew install libpq) or pass --pg-bin-dir DIR (or set PULSE_BACKUP_PG_BIN_DIR)',
          );
          return true;
        },
      );
    });

    it('lists every too-old version found with its folder', () => {
      assert.throws(
        () => chooseClientTools([toolSet('/usr/bin', '15.18'), toolSet('/usr/lib/postgresql/16/bin', '16.4')], parseServerVersionNum(170002)),
        (error: unknown) => {
          assert.ok(error instanceof PulseError);
          assert.equal(error.code, 'tools-too-old');
          assert.equal(error.message, 'pg_dump 15.18 (/usr/bin) and 16.4 (/usr/lib/postgresql/16/bin) cannot dump a PostgreSQL 17.2 server');
          return true;
        },
      );
    });

    it('says how to install tools when none were found at all', () => {
      assert.throws(
        () => chooseClientTools([], parseServerVersionNum(170002)),
        (error: unknown) => {
          assert.ok(error instanceof PulseError);
          assert.equal(error.code, 'tools-not-found');
          assert.equal(error.message, 'no PostgreSQL client tools found (pg_dump, psql)');
          assert.match(cliHint(error.hint ?? []), /postgresql-client-17/);
          assert.match(cliHint(error.hint ?? []), /brew install libpq/);
          assert.match(cliHint(error.hint ?? []), /--pg-bin-dir/);
          assert.match(cliHint(error.hint ?? []), /PULSE_BACKUP_PG_BIN_DIR/);
          return true;
        },
      );
    });

    it('compares pre-10 servers by their two-part major version', () => {
      const server96 = parseServerVersionNum(90624);
      assert.throws(() => chooseClientTools([toolSet('/old', '9.5.25')], server96), isPulseError('tools-too-old'));
      assert.equal(chooseClientTools([toolSet('/old', '9.5.25'), toolSet('/new', '10.23')], server96).folder, '/new');
      assert.equal(chooseClientTools([toolSet('/same', '9.6.24'), toolSet('/new', '15.18')], server96).folder, '/same');
    });
  });

  describe('install locations', () => {
    it('covers Debian, RHEL and Linuxbrew on Linux', () => {
      const locations = installLocations('linux');
      assert.ok(locations.includes('/usr/lib/postgresql/*/bin'));
      assert.ok(locations.includes('/usr/pgsql-*/bin'));
    });

    it('covers Homebrew and Postgres.app on macOS', () => {
      assert.deepEqual(installLocations('darwin'), [
        '/opt/homebrew/opt/libpq/bin',
        '/usr/local/opt/libpq/bin',
        '/opt/homebrew/opt/postgresql@*/bin',
        '/usr/local/opt/postgresql@*/bin',
        '/Applications/Postgres.app/Contents/Versions/*/bin',
      ]);
    });

    it('covers the EDB installer folders on Windows', () => {
      assert.deepEqual(installLocations('win32', {}), ['C:\\Program Files\\PostgreSQL\\*\\bin']);
      assert.deepEqual(installLocations('win32', { ProgramFiles: 'D:\\Apps', 'ProgramFiles(x86)': 'D:\\Apps (x86)' }), [
        'D:\\Apps\\PostgreSQL\\*\\bin',
        'D:\\Apps (x86)\\PostgreSQL\\*\\bin',
      ]);
    });
  });

  describe('discovery', function () {
    let root: string;
    const outputs = new Map<string, string>();
    const runVersion = (toolPath: string): Promise<string> => {
      // Keyed by real path, so a tool reached through a symlinked folder answers like the real one.
      const output = fs.existsSync(toolPath) ? outputs.get(fs.realpathSync(toolPath)) : undefined;
      return output === undefined ? Promise.reject(new Error(`spawn ${toolPath} ENOENT`)) : Promise.resolve(output);
    };

    function makeFolder(name: string, tools: Record<string, string>): string {
      const folder = path.join(root, name);
      fs.mkdirSync(folder, { recursive: true });
      for (const [tool, versionText] of Object.entries(tools)) {
        const file = path.join(folder, tool);
        fs.writeFileSync(file, `#!/bin/sh\necho "${tool} (PostgreSQL) ${versionText}"\n`, { mode: 0o755 });
        outputs.set(fs.realpathSync(file), `${tool} (PostgreSQL) ${versionText}`);
      }
      return folder;
    }

    /** Only what the test created: the machine's own tools would otherwise join in. */
    async function findInRoot(options: Parameters<typeof findClientTools>[0]): Promise<ToolSet[]> {
      return (await findClientTools(options)).filter((set) => set.folder.startsWith(root));
    }

    before(function () {
      if (process.platform === 'win32') this.skip();
    });

    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-pgtools-'));
      outputs.clear();
    });

    afterEach(() => {
      fs.rmSync(root, { recursive: true, force: true });
    });

    it("finds the PostgreSQL 15 client tools installed on this machine, past Debian's wrapper script", async function () {
      if (!fs.existsSync('/usr/lib/postgresql/15/bin/pg_dump')) this.skip();
      const found = await findClientTools({ env: process.env });
      const debian = found.find((set) => set.folder === '/usr/lib/postgresql/15/bin');
      assert.ok(debian, `found: ${found.map((set) => set.folder).join(', ')}`);
      assert.equal(debian.source, 'install-location');
      assert.deepEqual(debian.pgDump.version, { major: 15, minor: 18, text: '15.18' });
      assert.equal(debian.psql?.version.major, 15);
      assert.equal(debian.pgRestore?.version.major, 15);
      assert.ok(!found.some((set) => set.pgDump.path === '/usr/bin/pg_dump'), '/usr/bin/pg_dump is the pg_wrapper script');
      assert.equal(chooseClientTools(found, parseServerVersionNum(150018)).folder, '/usr/lib/postgresql/15/bin');
    });

    it('searches PATH in order, and only the explicit folder when one is given', async () => {
      const explicit = makeFolder('explicit', { pg_dump: '17.2', psql: '17.2' });
      const first = makeFolder('first', { pg_dump: '16.4' });
      const second = makeFolder('second', { pg_dump: '15.18', psql: '15.18', pg_restore: '15.18' });
      const onPath = await findInRoot({ env: { PATH: `${first}:${second}` }, runVersion });
      assert.deepEqual(
        onPath.map((set) => [set.folder, set.source, set.pgDump.version.text]),
        [
          [first, 'PATH', '16.4'],
          [second, 'PATH', '15.18'],
        ],
      );
      assert.equal(onPath[0]?.psql, undefined, 'a folder without psql has none');
      assert.equal(onPath[1]?.pgRestore?.path, path.join(second, 'pg_restore'));
      const withExplicit = await findInRoot({ pgBinDir: explicit, env: { PATH: `${first}:${second}` }, runVersion });
      assert.deepEqual(
        withExplicit.map((set) => [set.folder, set.source]),
        [[explicit, 'explicit']],
      );
    });

    it('reads the explicit folder from PULSE_BACKUP_PG_BIN_DIR, and --pg-bin-dir wins over it', async () => {
      const fromEnv = makeFolder('from-env', { pg_dump: '16.4' });
      const fromFlag = makeFolder('from-flag', { pg_dump: '17.2' });
      const viaEnv = await findInRoot({ env: { PULSE_BACKUP_PG_BIN_DIR: fromEnv, PATH: '' }, runVersion });
      assert.deepEqual(
        viaEnv.map((set) => [set.folder, set.source]),
        [[fromEnv, 'explicit']],
      );
      const viaFlag = await findInRoot({ pgBinDir: fromFlag, env: { PULSE_BACKUP_PG_BIN_DIR: fromEnv, PATH: '' }, runVersion });
      assert.deepEqual(
        viaFlag.map((set) => [set.folder, set.source]),
        [[fromFlag, 'explicit']],
      );
    });

    it('lists the same pg_dump reached through a symlinked folder once', async () => {
      const real = makeFolder('Cellar/libpq/17.2/bin', { pg_dump: '17.2', psql: '17.2' });
      const linked = path.join(root, 'opt-libpq-bin');
      fs.symlinkSync(real, linked);
      const found = await findInRoot({ env: { PATH: `${linked}:${real}:${linked}` }, runVersion });
      assert.deepEqual(
        found.map((set) => set.folder),
        [linked],
      );
    });

    it('skips folders whose pg_dump does not run, and folders without pg_dump', async () => {
      const broken = makeFolder('broken', { pg_dump: '17.2' });
      outputs.delete(fs.realpathSync(path.join(broken, 'pg_dump')));
      const psqlOnly = makeFolder('psql-only', { psql: '17.2' });
      const good = makeFolder('good', { pg_dump: '16.4' });
      const found = await findInRoot({ env: { PATH: [broken, psqlOnly, good].join(':') }, runVersion });
      assert.deepEqual(
        found.map((set) => set.folder),
        [good],
      );
    });

    it('never runs a pg_dump from the current folder through empty or relative PATH entries', async () => {
      const here = makeFolder('cwd', { pg_dump: '17.2' });
      const previous = process.cwd();
      process.chdir(here);
      try {
        const found = await findInRoot({ env: { PATH: ':.:bin' }, runVersion });
        assert.deepEqual(found, []);
      } finally {
        process.chdir(previous);
      }
    });

    it('reports an explicit folder that does not exist', async () => {
      const missing = path.join(root, 'nope');
      await assert.rejects(findClientTools({ pgBinDir: missing, env: {}, runVersion }), (error: unknown) => {
        assert.ok(error instanceof PulseError);
        assert.equal(error.code, 'tools-not-found');
        assert.equal(error.message, `the PostgreSQL bin folder ${missing} does not exist`);
        assert.match(cliHint(error.hint ?? []), /point --pg-bin-dir at the folder that holds pg_dump and psql/);
        return true;
      });
    });

    it('reports an explicit folder without pg_dump instead of quietly using another', async () => {
      const empty = makeFolder('empty', { psql: '17.2' });
      await assert.rejects(findClientTools({ pgBinDir: empty, env: { PATH: '/usr/bin' }, runVersion }), (error: unknown) => {
        assert.ok(error instanceof PulseError);
        assert.equal(error.code, 'tools-not-found');
        assert.equal(error.message, `there is no pg_dump in ${empty}`);
        return true;
      });
    });

    it('reports an explicit pg_dump that does not run', async () => {
      const broken = makeFolder('broken', { pg_dump: '17.2' });
      outputs.delete(fs.realpathSync(path.join(broken, 'pg_dump')));
      await assert.rejects(findClientTools({ pgBinDir: broken, env: {}, runVersion }), isPulseError('tools-not-found'));
    });

    it('accepts the path of pg_dump itself as the explicit folder', async () => {
      const folder = makeFolder('bin', { pg_dump: '17.2' });
      const found = await findInRoot({ pgBinDir: path.join(folder, 'pg_dump'), env: {}, runVersion });
      assert.deepEqual(
        found.map((set) => [set.folder, set.source]),
        [[folder, 'explicit']],
      );
    });

    it('runs each tool with --version when no reader is injected', async () => {
      const folder = makeFolder('scripts', { pg_dump: '17.2', psql: '17.6', pg_restore: '17.2' });
      const [set] = await findInRoot({ pgBinDir: folder, env: { PATH: '/usr/bin:/bin' } });
      assert.equal(set?.pgDump.version.text, '17.2');
      assert.equal(set?.psql?.version.text, '17.6');
      assert.equal(set?.pgRestore?.version.text, '17.2');
    });
  });
});
