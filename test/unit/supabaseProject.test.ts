/**
 * supabase/config.toml as `supabase init` writes it: the project's id, its
 * database port and PostgreSQL major version, and what they make the
 * defaults; and the client-tools check against [db].major_version.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PulseError } from '../../src/core/errors';
import type { ToolSet } from '../../src/core/pg/tools';
import { dockerEnv, dockerExecArgs, sanitizeProjectId, supabaseDbContainer } from '../../src/core/supabase/docker';
import { parseSupabaseConfig, readSupabaseProject, supabaseDatabaseUrl, supabasePrefix, type SupabaseProject } from '../../src/core/supabase/project';
import { describeContainerTools, isStackTarget, localPgDumpFits } from '../../src/core/supabase/toolRoute';
import { resolveConnection } from '../../src/core/connection/target';

/** The shape of the file `supabase init` writes, trimmed, with its comments and arrays. */
const INIT_CONFIG = `# For detailed configuration reference documentation, visit:
# https://supabase.com/docs/guides/local-development/cli/config
# A string used to distinguish different Supabase projects on the same host. Defaults to the
# working directory name when running \`supabase init\`.
project_id = "Factory Pulse"

[api]
enabled = true
# Port to use for the API URL.
port = 54321
# Schemas to expose in your API. Tables, views and stored procedures in this schema will get API
# endpoints. \`public\` and \`graphql_public\` schemas are included by default.
schemas = ["public", "graphql_public"]
extra_search_path = ["public", "extensions"]
max_rows = 1000

[db]
# Port to use for the local database URL.
port = 54329
# Port used by db diff command to initialize the shadow database.
shadow_port = 54320
# The database major version to use. This has to be the same as your remote database's. Run \`SHOW
# server_version;\` on the remote database to check.
major_version = 17

[db.pooler]
enabled = false
port = 54339 # not the database's port: a section of its own

[auth]
site_url = "http://127.0.0.1:3000"
additional_redirect_urls = [
  "https://127.0.0.1:3000",  # a comment inside an array, and a # inside a string
  "https://example.test/#/callback",
]
jwt_expiry = 3_600
enable_signup = true

[auth.email.template.invite]
subject = 'You have been invited'
content_path = "./supabase/templates/invite.html"
`;

function tools(...majors: number[]): ToolSet[] {
  return majors.map((major) => ({
    folder: `/usr/lib/postgresql/${major}/bin`,
    pgDump: { path: `/usr/lib/postgresql/${major}/bin/pg_dump`, version: { major, minor: 1, text: `${major}.1` } },
    source: 'install-location',
  }));
}

describe('Supabase project detection', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-supabase-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  function writeConfig(text: string): void {
    mkdirSync(join(folder, 'supabase'), { recursive: true });
    writeFileSync(join(folder, 'supabase', 'config.toml'), text);
  }

  it('reads project_id, [db].port and [db].major_version from the file supabase init writes', () => {
    writeConfig(INIT_CONFIG);
    const project = readSupabaseProject(folder);
    assert.ok(project);
    assert.equal(project.projectId, 'Factory Pulse');
    assert.equal(project.dbPort, 54329, '[db].port, not [db.pooler].port nor [api].port');
    assert.equal(project.majorVersion, 17);
    assert.equal(supabaseDatabaseUrl(project), 'postgresql://postgres:postgres@127.0.0.1:54329/postgres');
    assert.equal(supabasePrefix(project), 'factory_pulse');
  });

  it('defaults the port to 54322 and has no version or prefix when the file says nothing', () => {
    writeConfig('[db]\nshadow_port = 54320\n');
    const project = readSupabaseProject(folder);
    assert.ok(project);
    assert.equal(project.dbPort, 54322);
    assert.equal(project.majorVersion, undefined);
    assert.equal(supabasePrefix(project), undefined);
  });

  it('is no project without supabase/config.toml', () => {
    assert.equal(readSupabaseProject(folder), undefined);
    mkdirSync(join(folder, 'supabase'));
    assert.equal(readSupabaseProject(folder), undefined);
  });

  // Every command reads it for its defaults: a FIFO there blocked the one thread for ever, Ctrl-C
  // included. Read in a child of its own, which a blocked read cannot keep this test from ending.
  it('refuses a FIFO in place of supabase/config.toml at once, in one line, rather than waiting for ever to read it', function () {
    if (process.platform === 'win32') this.skip();
    const folder = mkdtempSync(join(tmpdir(), 'pulse-supabase-fifo-'));
    try {
      mkdirSync(join(folder, 'supabase'));
      spawnSync('mkfifo', [join(folder, 'supabase', 'config.toml')]);
      const project = resolve(__dirname, '..', '..', 'src', 'core', 'supabase', 'project.ts');
      const code = `const { readSupabaseProject } = require(${JSON.stringify(project)});
        try { readSupabaseProject(${JSON.stringify(folder)}); console.log('read'); } catch (error) { console.log(error.message); }`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL' });
      assert.equal(child.signal, null, 'the read ended by itself');
      assert.equal(
        child.stdout.trim(),
        `cannot read ${join(folder, 'supabase', 'config.toml')}: ${join(folder, 'supabase', 'config.toml')} is not a regular file (a pipe or a device)`,
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('says which line of a broken file to fix, and which key is wrong, in one PulseError', () => {
    writeConfig('project_id = "x"\n[db]\nport = fifty\n');
    assert.throws(
      () => readSupabaseProject(folder),
      (error: unknown) => error instanceof PulseError && error.code === 'usage' && /config\.toml: line 3: /.test(error.message) && !error.message.includes('\n'),
    );
    writeConfig('[db]\nport = 70000\n');
    assert.throws(() => readSupabaseProject(folder), /db\.port must be a whole number from 1 to 65535/);
    writeConfig('[db]\nport = "54322"\n');
    assert.throws(() => readSupabaseProject(folder), /db\.port must be a whole number/);
    writeConfig('project_id = 42\n');
    assert.throws(() => readSupabaseProject(folder), /project_id must be a string/);
    writeConfig('[auth]\nadditional_redirect_urls = [\n  "a",\n');
    assert.throws(() => readSupabaseProject(folder), /config\.toml: line \d+: /);
  });

  it('reads any valid TOML, not only the part it needs: multi-line strings, dates, hex, inf, inline tables', () => {
    writeConfig(`project_id = "factory"
notes = """
two lines
"""
released = 1979-05-27T07:32:00Z
[db]
port = 0xD552
major_version = 17
[db.pooler]
default_pool_size = inf
[auth.external.apple]
secret = { env = "APPLE_SECRET" }
`);
    const project = readSupabaseProject(folder);
    assert.equal(project?.dbPort, 0xd552);
    assert.equal(project?.majorVersion, 17);
    assert.equal(project?.projectId, 'factory');
    const config = parseSupabaseConfig(INIT_CONFIG, 'config.toml') as { auth: { jwt_expiry: number; email: { template: { invite: { subject: string } } } } };
    assert.equal(config.auth.jwt_expiry, 3600);
    assert.equal(config.auth.email.template.invite.subject, 'You have been invited');
  });

  it('checks [db].major_version against the pg_dump versions found', () => {
    const project: SupabaseProject = { folder, configFile: 'c', dbPort: 54322, majorVersion: 17 };
    assert.equal(localPgDumpFits(project, tools(17)), true);
    assert.equal(localPgDumpFits(project, tools(15, 18)), true, 'a newer pg_dump dumps an older server');
    assert.equal(localPgDumpFits(project, tools(15, 16)), false);
    assert.equal(localPgDumpFits(project, []), false);
    assert.equal(localPgDumpFits({ ...project, majorVersion: undefined }, tools(12)), true);
  });
});

describe('client tools from the Supabase container', () => {
  const project: SupabaseProject = { folder: '/work/factory-pulse', configFile: 'c', projectId: 'Factory Pulse', dbPort: 54322, majorVersion: 17 };

  it('names the container as the Supabase CLI does', () => {
    assert.equal(supabaseDbContainer(project), 'supabase_db_Factory_Pulse');
    assert.equal(supabaseDbContainer({ ...project, projectId: undefined }), 'supabase_db_factory-pulse');
  });

  it('sanitizes project ids exactly as the Supabase CLI (sanitizeProjectId): runs become one _, leading _.- go, at most 40 characters', () => {
    const cases: [string, string][] = [
      ['Factory Pulse', 'Factory_Pulse'],
      ['factory  pulse', 'factory_pulse'],
      ['a / b: c', 'a_b_c'],
      ['my.app-v2_final', 'my.app-v2_final'],
      ['  leading spaces', 'leading_spaces'],
      ['-.-_app', 'app'],
      ['.hidden', 'hidden'],
      ['usine à Lyon', 'usine_Lyon'],
      ['emoji 🚀 launch', 'emoji_launch'],
      ['trailing!!', 'trailing_'],
      ['x'.repeat(39) + 'yz', 'x'.repeat(39) + 'y'],
      [' ' + 'a'.repeat(45), 'a'.repeat(40)],
    ];
    for (const [id, sanitized] of cases) {
      assert.equal(sanitizeProjectId(id), sanitized, id);
      assert.equal(supabaseDbContainer({ ...project, projectId: id }), `supabase_db_${sanitized}`, id);
    }
  });

  it('streams through docker exec -i, forwarding the connection by name only: no password on the command line', () => {
    const args = dockerExecArgs('supabase_db_x', 'pg_dump', ['--format=plain', '--snapshot=00000003-1']);
    assert.deepEqual(args, [
      'exec',
      '-i',
      '-e',
      'PGHOST',
      '-e',
      'PGPORT',
      '-e',
      'PGUSER',
      '-e',
      'PGPASSWORD',
      '-e',
      'PGDATABASE',
      '-e',
      'PGAPPNAME',
      'supabase_db_x',
      'pg_dump',
      '--format=plain',
      '--snapshot=00000003-1',
    ]);
    const env = dockerEnv(
      { user: 'postgres', database: 'postgres', password: 'Hunter2' },
      { PATH: '/usr/bin', HOME: '/root', DOCKER_HOST: 'unix:///run/docker.sock', DATABASE_URL: 'postgresql://x' },
    );
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/root',
      DOCKER_HOST: 'unix:///run/docker.sock',
      PGHOST: '127.0.0.1',
      PGPORT: '5432',
      PGUSER: 'postgres',
      PGDATABASE: 'postgres',
      PGPASSWORD: 'Hunter2',
    });
    assert.ok(!args.join(' ').includes('Hunter2'));
  });

  it("takes the stack's server to be the project default, or any local URL at its published port", () => {
    const at = (url: string) => resolveConnection({ url, env: {} });
    const stack = { ...project, dbPort: 54322 };
    assert.ok(isStackTarget(stack, resolveConnection({ env: {}, defaultUrl: 'postgresql://postgres:postgres@127.0.0.1:54322/postgres' })));
    assert.ok(isStackTarget(stack, at('postgresql://postgres:postgres@127.0.0.1:54322/postgres')), 'an explicit URL to the stack');
    assert.ok(isStackTarget(stack, at('postgresql://supabase_admin@localhost:54322/other')), 'another database and user on the stack');
    assert.equal(isStackTarget(stack, at('postgresql://postgres@127.0.0.1:5432/postgres')), false, 'another port');
    assert.equal(isStackTarget(stack, at('postgresql://postgres@db.example.com:54322/postgres')), false, 'another machine');
  });

  it('says in one line which container and version run the tools, and why', () => {
    assert.equal(
      describeContainerTools({ container: 'supabase_db_shop_floor', pgDump: { major: 17, minor: 6, text: '17.6' }, wanted: 17, localMajor: 15 }),
      'using pg_dump and psql 17.6 inside the container supabase_db_shop_floor: the stack runs PostgreSQL 17 and the newest pg_dump here is 15',
    );
    assert.match(describeContainerTools({ container: 'c', pgDump: { major: 17, minor: 6, text: '17.6' }, wanted: 17 }), /and there is no pg_dump here$/);
  });
});
