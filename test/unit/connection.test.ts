import { extensionWords } from '../../src/extension/hints';
import { cliHint, commandLineWords } from '../../src/core/commandLineWords';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { formatError, PulseError } from '../../src/core/errors';
import { loadExeca } from '../support/execa';
import {
  describeEndpoint,
  describeServer,
  describeTarget,
  isLocalTarget,
  parseConnectionUrl,
  resolveConnection,
  explainConnection,
  describeOrigins,
  SUPABASE_LOCAL_URL,
  type ConnectionTarget,
} from '../../src/core/connection/target';
import { redactHttpCredentials, redactText, redactUrl } from '../../src/core/connection/redact';
import { describeConnectionError } from '../../src/core/connection/failures';
import { childProcessEnv, pgClientConfig } from '../../src/core/connection/session';

const osUser = os.userInfo().username;

function target(overrides: Partial<ConnectionTarget> = {}): ConnectionTarget {
  return { host: '127.0.0.1', port: 54322, database: 'postgres', user: 'postgres', password: 'S3cr3t-pw', source: 'flag', ...overrides };
}

/** Everything a person or a log could see of an error. */
function visibleText(error: unknown): string {
  assert.ok(error instanceof PulseError, `expected a PulseError, got ${String(error)}`);
  return [formatError(error, commandLineWords), formatError(error, extensionWords()), error.message, error.details, error.stack].join('\n');
}

function assertNoSecret(text: string, secret: string): void {
  assert.ok(!text.includes(secret), `the secret leaked into: ${text}`);
  const encoded = encodeURIComponent(secret);
  assert.ok(!text.includes(encoded), `the encoded secret leaked into: ${text}`);
}

/** A port nobody listens on: bind to a free one, then let it go. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return address.port;
}

async function connectionFailure(config: pg.ClientConfig): Promise<unknown> {
  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => undefined);
  }
  assert.fail('connecting should have failed');
}

describe('connection', () => {
  describe('resolution order', () => {
    const everything: NodeJS.ProcessEnv = {
      PULSE_BACKUP_DB_URL: 'postgresql://pulse@pulse-host:6001/pulse_db',
      DATABASE_URL: 'postgresql://dburl@dburl-host:6002/dburl_db',
      PGHOST: 'pg-host',
      PGPORT: '6003',
      PGDATABASE: 'pg_db',
      PGUSER: 'pg_user',
    };

    it('uses the --db URL before anything in the environment', () => {
      const t = resolveConnection({ url: 'postgresql://flag@flag-host:6000/flag_db', env: everything });
      assert.equal(t.source, 'flag');
      assert.equal(describeTarget(t), 'flag@flag-host:6000/flag_db');
    });

    it("says where each part came from: the URL, the PG* variables filling what it leaves out, or libpq's defaults", () => {
      const env = { PGHOST: 'ambient-host', PGPORT: '6009', PGUSER: 'ambient', PGPASSWORD: 'ambient-pw', PGSSLMODE: 'require' };
      const full = explainConnection({ url: 'postgresql://app@db:5433/shop', env, urlLabel: 'the pulseBackup.connectionURL setting' });
      assert.equal(describeTarget(full.target), 'app@db:5433/shop');
      assert.deepEqual(full.origins, {
        host: 'the pulseBackup.connectionURL setting',
        port: 'the pulseBackup.connectionURL setting',
        user: 'the pulseBackup.connectionURL setting',
        database: 'the pulseBackup.connectionURL setting',
        password: 'PGPASSWORD',
        sslmode: 'PGSSLMODE',
      });
      assert.equal(describeOrigins(full.origins), 'host, port, user and database from the pulseBackup.connectionURL setting; password from PGPASSWORD; sslmode from PGSSLMODE');
      const partial = explainConnection({ url: 'postgresql:///shop', env: { PGUSER: 'ambient' } });
      assert.deepEqual(partial.origins, { host: "libpq's default", port: "libpq's default", user: 'PGUSER', database: 'the --db URL' });
      assert.match(describeOrigins(partial.origins), /; no password \(libpq may use ~\/\.pgpass\)$/);
      const invalid = (() => {
        try {
          explainConnection({ url: 'mysql://x', env: {}, urlLabel: 'the pulseBackup.connectionURL setting' });
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      assert.ok(invalid instanceof PulseError && invalid.message.startsWith('the pulseBackup.connectionURL setting is not a valid PostgreSQL URL'));
    });

    it('uses PULSE_BACKUP_DB_URL before DATABASE_URL and PG*', () => {
      const t = resolveConnection({ env: everything });
      assert.equal(t.source, 'PULSE_BACKUP_DB_URL');
      assert.equal(describeTarget(t), 'pulse@pulse-host:6001/pulse_db');
    });

    it('uses DATABASE_URL before PG*', () => {
      const t = resolveConnection({ env: { ...everything, PULSE_BACKUP_DB_URL: undefined } });
      assert.equal(t.source, 'DATABASE_URL');
      assert.equal(describeTarget(t), 'dburl@dburl-host:6002/dburl_db');
    });

    it('uses the PG* variables when no URL is given', () => {
      const env = { ...everything, PULSE_BACKUP_DB_URL: undefined, DATABASE_URL: '', PGPASSWORD: 'pw', PGSSLMODE: 'require', HOME: '/nonexistent' };
      const t = resolveConnection({ env });
      assert.deepEqual(t, {
        host: 'pg-host',
        port: 6003,
        database: 'pg_db',
        user: 'pg_user',
        password: 'pw',
        sslmode: 'require',
        source: 'PG environment',
      });
    });

    it('fills missing PG* parts with libpq defaults', () => {
      assert.deepEqual(resolveConnection({ env: { PGUSER: 'alice' } }), {
        host: 'localhost',
        port: 5432,
        database: 'alice',
        user: 'alice',
        source: 'PG environment',
      });
      const t = resolveConnection({ env: { PGDATABASE: 'shop' } });
      assert.equal(t.user, osUser);
      assert.equal(t.database, 'shop');
    });

    it('takes a PGHOST path as the unix-socket folder', () => {
      const t = resolveConnection({ env: { PGHOST: '/var/run/postgresql' } });
      assert.equal(t.host, '/var/run/postgresql');
      assert.equal(t.database, osUser);
      assert.equal(isLocalTarget(t), true);
    });

    it('does not treat PGPASSWORD or PGSSLMODE alone as naming a server', () => {
      const t = resolveConnection({ env: { PGPASSWORD: 'x', PGSSLMODE: 'disable' } });
      assert.equal(t.source, 'default');
    });

    it('falls back to the local Supabase database', () => {
      assert.deepEqual(resolveConnection({ env: {} }), {
        host: '127.0.0.1',
        port: 54322,
        database: 'postgres',
        user: 'postgres',
        password: 'postgres',
        source: 'default',
      });
      assert.equal(SUPABASE_LOCAL_URL, 'postgresql://postgres:postgres@127.0.0.1:54322/postgres');
    });

    it('lets a detected project replace the built-in default', () => {
      const t = resolveConnection({ env: {}, defaultUrl: 'postgresql://postgres:postgres@127.0.0.1:64322/postgres' });
      assert.equal(t.source, 'default');
      assert.equal(t.port, 64322);
    });

    it('ignores blank settings', () => {
      assert.equal(resolveConnection({ url: '  ', env: { PULSE_BACKUP_DB_URL: '', DATABASE_URL: ' ', PGHOST: '' } }).source, 'default');
    });

    it("names libpq's own CA file (~/.postgresql/root.crt) when it exists and the mode checks certificates", () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-home-'));
      try {
        const url = (sslmode: string): string => `postgresql://app@db.example.com/app?sslmode=${sslmode}`;
        assert.equal(resolveConnection({ url: url('verify-full'), env: { HOME: home } }).options, undefined, 'no file, nothing named');
        const rootCertificate = path.join(home, '.postgresql', 'root.crt');
        fs.mkdirSync(path.dirname(rootCertificate));
        fs.writeFileSync(rootCertificate, 'CERTIFICATE');
        for (const sslmode of ['require', 'verify-ca', 'verify-full']) {
          assert.deepEqual(resolveConnection({ url: url(sslmode), env: { HOME: home } }).options, { sslrootcert: rootCertificate }, sslmode);
        }
        for (const sslmode of ['disable', 'allow', 'prefer']) {
          assert.equal(resolveConnection({ url: url(sslmode), env: { HOME: home } }).options, undefined, sslmode);
        }
        assert.deepEqual(resolveConnection({ url: `${url('verify-full')}&sslrootcert=/mine.crt`, env: { HOME: home } }).options, { sslrootcert: '/mine.crt' });
        assert.deepEqual(resolveConnection({ url: url('verify-full'), env: { HOME: home, PGSSLROOTCERT: '/env.crt' } }).options, { sslrootcert: '/env.crt' });
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    });

    it('completes a URL from PG* variables as libpq does', () => {
      const t = resolveConnection({ url: 'postgresql://db.example.com/app', env: { PGUSER: 'carol', PGPASSWORD: 'from-env', PGPORT: '6543' } });
      assert.equal(describeTarget(t), 'carol@db.example.com:6543/app');
      assert.equal(t.password, 'from-env');
      const own = resolveConnection({ url: 'postgresql://dave:own@db.example.com/app', env: { PGUSER: 'carol', PGPASSWORD: 'from-env' } });
      assert.equal(own.user, 'dave');
      assert.equal(own.password, 'own');
    });
  });

  describe('URL parsing', () => {
    it('reads every part of a full URL', () => {
      assert.deepEqual(parseConnectionUrl('postgresql://app:pw@db.example.com:6543/shop?sslmode=verify-full&application_name=nightly'), {
        host: 'db.example.com',
        port: 6543,
        database: 'shop',
        user: 'app',
        password: 'pw',
        sslmode: 'verify-full',
        options: { application_name: 'nightly' },
        source: 'flag',
      });
    });

    it('accepts postgres:// and any case of the scheme', () => {
      assert.equal(parseConnectionUrl('postgres://u@h/d').host, 'h');
      assert.equal(parseConnectionUrl('PostgreSQL://u@h/d').host, 'h');
    });

    it('decodes percent-encoded user, password and database', () => {
      const t = parseConnectionUrl('postgresql://my%20user:p%40ss%3Aw%2Frd%25@h/my%20db');
      assert.equal(t.user, 'my user');
      assert.equal(t.password, 'p@ss:w/rd%');
      assert.equal(t.database, 'my db');
    });

    it('accepts unencoded @, : and / in the password when the intent is clear', () => {
      const t = parseConnectionUrl('postgresql://app:p@ss:w/rd@db.example.com:5432/shop');
      assert.equal(t.user, 'app');
      assert.equal(t.password, 'p@ss:w/rd');
      assert.equal(describeTarget(t), 'app@db.example.com:5432/shop');
    });

    it('reads IPv6 hosts in brackets', () => {
      const t = parseConnectionUrl('postgresql://u:p@[::1]:5433/d');
      assert.equal(t.host, '::1');
      assert.equal(t.port, 5433);
      assert.equal(describeTarget(t), 'u@[::1]:5433/d');
      assert.equal(parseConnectionUrl('postgresql://[2001:db8::7]/d').host, '2001:db8::7');
    });

    it("shows a socket's server as describeTarget does everywhere (verify's and a proof's lines too), the socket file only where connecting to it failed", () => {
      const t = target({ host: '/tmp/pg19', port: 55419, database: 'shop' });
      assert.equal(describeTarget(t), 'postgres@/tmp/pg19:55419/shop');
      assert.equal(describeServer(t), '/tmp/pg19:55419');
      assert.equal(describeEndpoint(t), '/tmp/pg19/.s.PGSQL.55419');
      assert.equal(describeServer(target({ host: '::1', port: 5433 })), '[::1]:5433');
    });

    it('reads a unix-socket folder from ?host= or an encoded host', () => {
      const fromQuery = parseConnectionUrl('postgresql:///shop?host=/var/run/postgresql');
      assert.equal(fromQuery.host, '/var/run/postgresql');
      assert.equal(fromQuery.database, 'shop');
      assert.equal(fromQuery.port, 5432);
      assert.equal(parseConnectionUrl('postgresql://%2Fvar%2Frun%2Fpostgresql:5433/shop').host, '/var/run/postgresql');
      assert.equal(parseConnectionUrl('postgresql://postgres@/shop?host=%2Ftmp').host, '/tmp');
    });

    it('defaults missing parts as libpq would', () => {
      assert.deepEqual(parseConnectionUrl('postgresql://', { env: {} }), {
        host: 'localhost',
        port: 5432,
        database: osUser,
        user: osUser,
        source: 'flag',
      });
      const t = parseConnectionUrl('postgresql://bob@db.example.com');
      assert.equal(t.database, 'bob');
      assert.equal(t.port, 5432);
      assert.equal(t.password, undefined);
    });

    it('lets query parameters override the URL parts', () => {
      const t = parseConnectionUrl('postgresql://a:b@h:1/d?user=u2&password=p2&dbname=d2&port=2&host=h2');
      assert.deepEqual([t.user, t.password, t.database, t.port, t.host], ['u2', 'p2', 'd2', 2, 'h2']);
    });

    it('understands ?ssl=true from node-postgres URLs, but an explicit sslmode wins', () => {
      assert.equal(parseConnectionUrl('postgresql://h/d?ssl=true').sslmode, 'require');
      assert.equal(parseConnectionUrl('postgresql://h/d?ssl=true&sslmode=verify-full').sslmode, 'verify-full');
    });

    it('treats an empty password as none', () => {
      assert.equal(parseConnectionUrl('postgresql://u:@h/d', { env: {} }).password, undefined);
    });

    describe('malformed URLs', () => {
      const secret = 'Tr0ub4dor&3';
      const malformed: Record<string, string> = {
        'another scheme': `mysql://root:${secret}@h/d`,
        'no scheme': `root:${secret}@localhost:5432/d`,
        'port is not a number': `postgresql://root:${secret}@h:port/d`,
        'port out of range': `postgresql://root:${secret}@h:70000/d`,
        'forgotten host, password taken as port': `postgresql://root:${secret}/d`,
        'unclosed IPv6 bracket': `postgresql://root:${secret}@[::1/d`,
        'IPv6 without brackets': `postgresql://root:${secret}@::1/d`,
        'several hosts': `postgresql://root:${secret}@h1:5432,h2:5433/d`,
        'broken percent-encoding in the password': `postgresql://root:${secret}%zz@h/d`,
        'service file': `postgresql://root:${secret}@h/d?service=prod`,
        'query parameter without a value': `postgresql://root:${secret}@h/d?sslmode`,
        'password with ? that cuts the URL short': `postgresql://root:ab?${secret}@h/d`,
      };
      for (const [problem, url] of Object.entries(malformed)) {
        it(`rejects ${problem} with a usage error that shows the expected form and not the password`, () => {
          assert.throws(
            () => parseConnectionUrl(url),
            (error: unknown) => {
              assert.ok(error instanceof PulseError);
              assert.equal(error.code, 'usage');
              assert.match(cliHint(error.hint ?? []), /postgresql:\/\/user:password@host:5432\/database/);
              assertNoSecret(visibleText(error), secret);
              return true;
            },
          );
        });
      }

      it('rejects an unknown sslmode, listing the valid ones', () => {
        assert.throws(
          () => parseConnectionUrl(`postgresql://root:${secret}@h/d?sslmode=always`),
          (error: unknown) => {
            assert.ok(error instanceof PulseError);
            assert.equal(error.code, 'usage');
            assert.equal(formatError(error, commandLineWords), 'the --db URL has an unknown sslmode: use one of disable, allow, prefer, require, verify-ca, verify-full');
            assertNoSecret(visibleText(error), secret);
            return true;
          },
        );
      });

      it('names where the bad URL came from', () => {
        assert.throws(
          () => resolveConnection({ env: { DATABASE_URL: 'http://nope' } }),
          (error: unknown) => error instanceof PulseError && error.message.startsWith('DATABASE_URL is not a valid PostgreSQL URL'),
        );
        assert.throws(
          () => resolveConnection({ url: 'nope', env: {} }),
          (error: unknown) => error instanceof PulseError && error.message.startsWith('the --db URL is not a valid PostgreSQL URL'),
        );
      });

      it('rejects a PGPORT that is not a port', () => {
        assert.throws(
          () => resolveConnection({ env: { PGHOST: 'h', PGPORT: 'abc' } }),
          (error: unknown) => error instanceof PulseError && error.code === 'usage',
        );
      });
    });
  });

  describe('keeping the password out of sight', () => {
    const secrets = ['S3cr3t-pw', 'p@ss:w/rd', 'with space', 'ünïcødé€', '%41literal'];

    it('describes a target without its password', () => {
      for (const password of secrets) {
        const t = parseConnectionUrl(`postgresql://app:${encodeURIComponent(password)}@db.example.com:5432/shop`);
        assert.equal(t.password, password);
        assert.equal(describeTarget(t), 'app@db.example.com:5432/shop');
      }
      assert.equal(describeTarget(resolveConnection({ env: {} })), 'postgres@127.0.0.1:54322/postgres');
      assert.equal(describeTarget(target({ host: '/var/run/postgresql', port: 5432 })), 'postgres@/var/run/postgresql:5432/postgres');
    });

    it('masks the password of a URL, encoded or not', () => {
      assert.equal(redactUrl('postgresql://app:S3cr3t@db.example.com:5432/shop'), 'postgresql://app:****@db.example.com:5432/shop');
      assert.equal(redactUrl('postgresql://app:p%40ss%3Aw%2Frd@db/shop'), 'postgresql://app:****@db/shop');
      assert.equal(redactUrl('postgresql://app:p@ss:w/rd@db/shop?sslmode=require'), 'postgresql://app:****@db/shop?sslmode=require');
      assert.equal(redactUrl('postgresql://app:ab?cd@db/shop'), 'postgresql://app:****@db/shop');
      assert.equal(redactUrl('postgresql://db/shop?user=app&password=S3cr3t&sslmode=require'), 'postgresql://db/shop?user=app&password=****&sslmode=require');
    });

    it('leaves URLs without a password as they are', () => {
      for (const url of ['postgresql://app@db:5432/shop', 'postgresql://db:5432/shop', 'postgresql://[::1]:5432/d', 'postgresql:///d?host=/tmp', 'postgresql://app:@db/d']) {
        assert.equal(redactUrl(url), url);
      }
    });

    it('masks best-effort in strings that are not valid URLs', () => {
      assert.equal(redactUrl('postgresql://app:S3cr3t/shop'), 'postgresql://app:****');
      assert.equal(redactUrl('app:S3cr3t@db/shop'), 'app:****@db/shop');
      assert.equal(redactUrl("host=db password='S3 cr3t' user=app"), 'host=db password=**** user=app');
      assert.equal(redactUrl('postgresql://app:S3cr3t@'), 'postgresql://app:****@');
      for (const secret of secrets) {
        for (const url of [
          `postgresql://app:${secret}@db/shop`,
          `postgresql://app:${encodeURIComponent(secret)}@db/shop`,
          `postgres://app:${secret}`,
          `postgresql://app:${secret}@db:notaport/shop?x`,
          `postgresql://db/shop?password=${encodeURIComponent(secret)}`,
        ]) {
          assertNoSecret(redactUrl(url), secret);
        }
      }
    });

    it('masks a password where it stands in text: URLs and password settings', () => {
      const text = 'psql: postgresql://app:p%40ss@db/shop, password=hunter2 sslpassword="a b" and PGPASSWORD=other {"password": "x\\"y"}';
      assert.equal(redactText(text), 'psql: postgresql://app:****@db/shop, password=**** sslpassword=**** and PGPASSWORD=**** {"password": "****"}');
    });

    it('scrubs URLs with credentials in text', () => {
      assert.equal(redactText('failed to use postgresql://app:hunter2@db/shop for postgres'), 'failed to use postgresql://app:****@db/shop for postgres');
    });

    it("masks an http(s) endpoint's user and password (an access key ID and its secret), and leaves other http text alone", () => {
      const text = 'offsite keys for s3://b at http://minioadmin:S3cr3tMinioPass@127.0.0.1:9000 stored; see https://AKIA@s3.example.com/b?x=a@b and https://example.com/a@b';
      assert.equal(
        redactHttpCredentials(text),
        'offsite keys for s3://b at http://****@127.0.0.1:9000 stored; see https://****@s3.example.com/b?x=a@b and https://example.com/a@b',
      );
      assert.equal(redactHttpCredentials('postgresql://app:****@db/shop'), 'postgresql://app:****@db/shop');
    });

    it('never masks a password as a bare word: a schema, role or user of that name stays readable and gives nothing away', () => {
      // The password is "public", and the user and the password are both "postgres" (Supabase's local default).
      const text = 'restore into public.users as postgres: psql -d postgresql://postgres:postgres@127.0.0.1:54322/postgres; GRANT USAGE ON SCHEMA public TO public';
      assert.equal(redactText(text), 'restore into public.users as postgres: psql -d postgresql://postgres:****@127.0.0.1:54322/postgres; GRANT USAGE ON SCHEMA public TO public');
    });
  });

  describe('environment for pg_dump and psql', () => {
    const base: NodeJS.ProcessEnv = {
      PATH: '/usr/bin',
      HOME: '/home/me',
      PGHOST: 'elsewhere',
      PGHOSTADDR: '10.0.0.9',
      PGPORT: '1',
      PGDATABASE: 'other',
      PGUSER: 'other',
      PGPASSWORD: 'other-password',
      PGSERVICE: 'prod',
      PGOPTIONS: '-c statement_timeout=1',
      PGCLUSTER: '13/main',
      PGPASSFILE: '/home/me/.pgpass',
      DATABASE_URL: 'postgresql://x:y@elsewhere/db',
      PULSE_BACKUP_DB_URL: 'postgresql://x:y@elsewhere/db',
    };

    it('carries the target in PG* variables and nothing inherited can redirect it', () => {
      const env = childProcessEnv(target(), base);
      assert.equal(env.PGHOST, '127.0.0.1');
      assert.equal(env.PGPORT, '54322');
      assert.equal(env.PGDATABASE, 'postgres');
      assert.equal(env.PGUSER, 'postgres');
      assert.equal(env.PGPASSWORD, 'S3cr3t-pw');
      assert.equal(env.PGCONNECT_TIMEOUT, '10');
      assert.equal(env.PGAPPNAME, 'pulse-backup');
      for (const name of ['PGHOSTADDR', 'PGSERVICE', 'PGOPTIONS', 'PGCLUSTER', 'DATABASE_URL', 'PULSE_BACKUP_DB_URL', 'PGSSLMODE']) {
        assert.equal(env[name], undefined, name);
      }
      assert.equal(env.PATH, '/usr/bin');
      assert.equal(env.HOME, '/home/me');
      assert.equal(env.PGPASSFILE, '/home/me/.pgpass', 'the passfile only supplies passwords, so it stays');
    });

    it('sets no PGPASSWORD when the target has none, even if one was inherited', () => {
      const env = childProcessEnv(target({ password: undefined }), base);
      assert.equal(env.PGPASSWORD, undefined);
    });

    it('passes sslmode and URL options through their libpq variables', () => {
      const env = childProcessEnv(target({ sslmode: 'verify-full', options: { sslrootcert: '/certs/root.crt', connect_timeout: '3', prisma_schema: 'x' } }), {});
      assert.equal(env.PGSSLMODE, 'verify-full');
      assert.equal(env.PGSSLROOTCERT, '/certs/root.crt');
      assert.equal(env.PGCONNECT_TIMEOUT, '3');
      assert.ok(!Object.values(env).includes('x'), 'options libpq does not know are not passed on');
    });

    it('asks for English messages so failures can be recognised, without changing the rest of the locale', () => {
      const env = childProcessEnv(target(), { LANG: 'de_DE.UTF-8' });
      assert.equal(env.LC_MESSAGES, 'C');
      assert.equal(env.LANG, 'de_DE.UTF-8');
      const overridden = childProcessEnv(target(), { LC_ALL: 'fr_FR.UTF-8', LC_NUMERIC: 'de_DE.UTF-8', LANG: 'C' });
      assert.equal(overridden.LC_ALL, undefined);
      assert.equal(overridden.LC_NUMERIC, undefined);
      assert.equal(overridden.LANG, 'fr_FR.UTF-8');
      assert.equal(overridden.LC_MESSAGES, 'C');
    });

    it("leaves the caller's environment untouched", () => {
      const copy = { ...base };
      childProcessEnv(target(), base);
      assert.deepEqual(base, copy);
    });
  });

  describe('pg driver config', () => {
    it('connects to the same server, as the same user, with a 10 s timeout', () => {
      assert.deepEqual(pgClientConfig(target()), {
        host: '127.0.0.1',
        port: 54322,
        database: 'postgres',
        user: 'postgres',
        password: 'S3cr3t-pw',
        ssl: false,
        connectionTimeoutMillis: 10000,
        application_name: 'pulse-backup',
      });
    });

    it('takes a password the target does not have from the password file, only when asked', async () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-pgpass-'));
      const saved = process.env.PGPASSFILE;
      try {
        const file = path.join(folder, 'passfile');
        fs.writeFileSync(file, 'db.example.com:5432:shop:app:from\\:file\n*:*:*:other:x\n', { mode: 0o600 });
        process.env.PGPASSFILE = file;
        const ask = (t: ConnectionTarget) => (pgClientConfig(t).password as () => Promise<string | undefined>)();
        assert.equal(await ask(target({ host: 'db.example.com', port: 5432, database: 'shop', user: 'app', password: undefined })), 'from:file');
        assert.equal(await ask(target({ host: 'db.example.com', port: 5432, database: 'shop', user: 'nobody', password: undefined })), undefined);
        assert.equal(pgClientConfig(target({ password: 'given' })).password, 'given');
      } finally {
        if (saved === undefined) delete process.env.PGPASSFILE;
        else process.env.PGPASSFILE = saved;
        fs.rmSync(folder, { recursive: true, force: true });
      }
    });

    it('maps sslmode to TLS settings', () => {
      assert.equal(pgClientConfig(target({ sslmode: 'disable' })).ssl, false);
      assert.equal(pgClientConfig(target({ sslmode: 'prefer' })).ssl, false);
      assert.deepEqual(pgClientConfig(target({ sslmode: 'require' })).ssl, { rejectUnauthorized: false });
      assert.deepEqual(pgClientConfig(target({ sslmode: 'verify-full', options: { sslrootcert: 'system' } })).ssl, { rejectUnauthorized: true });
      const verifyCa = pgClientConfig(target({ sslmode: 'verify-ca', options: { sslrootcert: 'system' } })).ssl;
      assert.ok(typeof verifyCa === 'object');
      assert.equal(verifyCa.rejectUnauthorized, true);
      assert.equal(typeof verifyCa.checkServerIdentity, 'function');
    });

    it("refuses to check a certificate against nothing, as libpq does, instead of Node's own list of authorities", () => {
      for (const sslmode of ['verify-ca', 'verify-full']) {
        assert.throws(
          () => pgClientConfig(target({ sslmode })),
          (error: unknown) =>
            error instanceof PulseError &&
            error.code === 'usage' &&
            error.message === `sslmode=${sslmode} checks the server's certificate, but no CA certificate was given` &&
            /sslrootcert=\/path\/to\/ca\.crt/.test(cliHint(error.hint ?? [])),
        );
      }
    });

    it('never asks for TLS over a unix socket', () => {
      assert.equal(pgClientConfig(target({ host: '/var/run/postgresql', sslmode: 'require' })).ssl, false);
    });

    it('trusts the root certificate named by sslrootcert', () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-ssl-'));
      try {
        const file = path.join(folder, 'root.crt');
        fs.writeFileSync(file, 'CERTIFICATE');
        const ssl = pgClientConfig(target({ sslmode: 'verify-full', options: { sslrootcert: file } })).ssl;
        assert.ok(typeof ssl === 'object');
        assert.equal(String(ssl.ca), 'CERTIFICATE');
        assert.throws(
          () => pgClientConfig(target({ sslmode: 'verify-full', options: { sslrootcert: path.join(folder, 'missing.crt') } })),
          (error: unknown) => error instanceof PulseError && error.code === 'usage' && error.message.includes('does not exist'),
        );
      } finally {
        fs.rmSync(folder, { recursive: true, force: true });
      }
    });

    it('honours connect_timeout and application_name from the URL', () => {
      const config = pgClientConfig(parseConnectionUrl('postgresql://u:p@h/d?connect_timeout=3&application_name=nightly'));
      assert.equal(config.connectionTimeoutMillis, 3000);
      assert.equal(config.application_name, 'nightly');
    });
  });

  describe('local targets', () => {
    it('counts loopback addresses, localhost and sockets as local', () => {
      for (const host of ['127.0.0.1', '127.10.20.30', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', '/var/run/postgresql', '/tmp']) {
        assert.equal(isLocalTarget(target({ host })), true, host);
      }
    });

    it('counts every other host as remote, even names that look local', () => {
      for (const host of ['10.0.0.1', '192.168.1.5', 'db.example.com', 'localhost.example.com', 'my-localhost', '::ffff:10.0.0.1', 'fe80::1', '0.0.0.0']) {
        assert.equal(isLocalTarget(target({ host })), false, host);
      }
    });

    it('judges by hostaddr when the URL gives one', () => {
      assert.equal(isLocalTarget(target({ host: 'db.example.com', options: { hostaddr: '127.0.0.1' } })), true);
      assert.equal(isLocalTarget(target({ host: 'localhost', options: { hostaddr: '10.1.1.1' } })), false);
    });
  });

  describe('connection errors', () => {
    const secret = 'S3cr3t-pw';

    function mapped(error: unknown, t: ConnectionTarget = target()): PulseError {
      const result = describeConnectionError(error, t);
      assertNoSecret(visibleText(result), secret);
      return result;
    }

    function pgError(code: string, message: string): Error {
      return Object.assign(new Error(message), { code, severity: 'FATAL' });
    }

    it('explains a refused connection from the pg driver against a real closed port', async () => {
      const port = await closedPort();
      const t = target({ port });
      const error = mapped(await connectionFailure(pgClientConfig(t)), t);
      assert.equal(error.code, 'connection-refused');
      assert.equal(
        formatError(error, commandLineWords),
        `cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused: start the database (supabase start, or your PostgreSQL service), or pass --db URL (or set PULSE_BACKUP_DB_URL) if it runs elsewhere`,
      );
    });

    it("names --scratch-db (in VS Code, the Scratch Server URL setting) when the proof's scratch server fails, never --db", async () => {
      const port = await closedPort();
      const scratch: ConnectionTarget = { ...target({ port }), setBy: 'scratchDatabase' };
      const refused = mapped(await connectionFailure(pgClientConfig(scratch)), scratch);
      assert.equal(
        formatError(refused, commandLineWords),
        `cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused: start the database (supabase start, or your PostgreSQL service), or pass --scratch-db URL if it runs elsewhere`,
      );
      assert.match(formatError(refused, extensionWords()), /set "Pulse Backup: Scratch Server URL" in the settings if it runs elsewhere$/);
      const unanswered = mapped(pgError('08001', 'fe_sendauth: no password supplied'), { ...scratch, password: undefined });
      assert.doesNotMatch(formatError(unanswered, commandLineWords), /PULSE_BACKUP_DB_URL|--db\b/);
      const missing = mapped(pgError('3D000', 'database "scratch" does not exist'), scratch);
      assert.match(formatError(missing, commandLineWords), /pick another with --scratch-db$/);
    });

    it("explains the refusal psql reports against a real closed port, whatever the user's locale", async () => {
      const port = await closedPort();
      const t = target({ port });
      const execa = await loadExeca();
      const result = await execa('psql', ['-X', '-w', '-c', 'select 1'], {
        env: childProcessEnv(t, { ...process.env, LC_ALL: 'de_DE.UTF-8', LANGUAGE: 'de' }),
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      });
      assert.notEqual(result.exitCode, 0);
      const error = mapped(result, t);
      assert.equal(error.code, 'connection-refused');
      assert.equal(error.message, `cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused`);
    });

    it('explains a refused connection to localhost, where Node tries IPv6 and IPv4', async () => {
      const port = await closedPort();
      const t = target({ host: 'localhost', port });
      const error = mapped(await connectionFailure(pgClientConfig(t)), t);
      assert.equal(error.code, 'connection-refused');
      assert.equal(error.message, `cannot connect to PostgreSQL at localhost:${port}: connection refused`);
    });

    it('explains a missing server socket', async () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-socket-'));
      try {
        const t = target({ host: folder, port: 5432 });
        const error = mapped(await connectionFailure(pgClientConfig(t)), t);
        assert.equal(error.code, 'connection-refused');
        assert.equal(error.message, `cannot connect to PostgreSQL at ${folder}/.s.PGSQL.5432: no server is listening on that socket`);
      } finally {
        fs.rmSync(folder, { recursive: true, force: true });
      }
    });

    it("explains libpq's refused-connection message from psql or pg_dump", () => {
      const stderr =
        'pg_dump: error: connection to server at "127.0.0.1", port 54322 failed: Connection refused\n' + '\tIs the server running on that host and accepting TCP/IP connections?';
      const error = mapped(Object.assign(new Error('Command failed with exit code 1'), { stderr }));
      assert.equal(error.code, 'connection-refused');
      assert.equal(error.message, 'cannot connect to PostgreSQL at 127.0.0.1:54322: connection refused');
    });

    it('explains timeouts from the driver, the OS and libpq', () => {
      for (const error of [
        new Error('Connection terminated due to connection timeout'),
        Object.assign(new Error('connect ETIMEDOUT 10.0.0.1:5432'), { code: 'ETIMEDOUT' }),
        new Error('psql: error: connection to server at "10.0.0.1", port 5432 failed: timeout expired'),
      ]) {
        const result = mapped(error, target({ host: '10.0.0.1', port: 5432 }));
        assert.equal(result.code, 'connection-timeout');
        assert.equal(result.message, 'cannot connect to PostgreSQL at 10.0.0.1:5432: no answer within 10 seconds');
      }
    });

    it('explains a host name that does not resolve', () => {
      for (const error of [
        Object.assign(new Error('getaddrinfo ENOTFOUND db.nowhere.invalid'), { code: 'ENOTFOUND' }),
        new Error('psql: error: could not translate host name "db.nowhere.invalid" to address: Name or service not known'),
      ]) {
        const result = mapped(error, target({ host: 'db.nowhere.invalid' }));
        assert.equal(result.code, 'host-not-found');
        assert.equal(result.message, 'cannot connect to PostgreSQL: the host "db.nowhere.invalid" was not found');
      }
      const dnsDown = mapped(Object.assign(new Error('getaddrinfo EAI_AGAIN db.example.com'), { code: 'EAI_AGAIN' }), target({ host: 'db.example.com' }));
      assert.equal(dnsDown.code, 'host-not-found');
      assert.match(dnsDown.message, /name server did not answer/);
    });

    it('explains a wrong password without repeating it', () => {
      for (const error of [
        pgError('28P01', 'password authentication failed for user "postgres"'),
        new Error(
          `pg_dump: error: connection to server at "127.0.0.1", port 54322 failed: FATAL:  password authentication failed for user "postgres" (postgresql://postgres:${secret}@127.0.0.1:54322/postgres)`,
        ),
      ]) {
        const result = mapped(error);
        assert.equal(result.code, 'authentication-failed');
        assert.equal(result.message, 'PostgreSQL at 127.0.0.1:54322 rejected the password for user "postgres"');
        assert.match(cliHint(result.hint ?? []), /password in the --db URL/);
        assert.match(cliHint(result.hint ?? []), /PGPASSWORD/);
      }
      const fromEnv = mapped(pgError('28P01', 'password authentication failed for user "postgres"'), target({ source: 'DATABASE_URL' }));
      assert.match(cliHint(fromEnv.hint ?? []), /password in DATABASE_URL/);
    });

    it('explains a missing password', () => {
      for (const error of [
        new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
        new Error('psql: error: connection to server at "db", port 5432 failed: fe_sendauth: no password supplied'),
      ]) {
        const result = mapped(error, target({ password: undefined }));
        assert.equal(result.code, 'authentication-failed');
        assert.match(result.message, /asked for a password for user "postgres" and none was given/);
        assert.match(cliHint(result.hint ?? []), /PGPASSWORD/);
      }
    });

    it('explains a role that does not exist and pg_hba rejections', () => {
      const role = mapped(pgError('28000', 'role "ghost" does not exist'), target({ user: 'ghost' }));
      assert.equal(role.code, 'authentication-failed');
      assert.equal(role.message, 'PostgreSQL at 127.0.0.1:54322 has no user (role) "ghost"');
      const hba = mapped(pgError('28000', 'no pg_hba.conf entry for host "1.2.3.4", user "app", database "shop", no encryption'));
      assert.equal(hba.code, 'authentication-failed');
      assert.match(cliHint(hba.hint ?? []), /sslmode=require/);
    });

    it('explains a database that does not exist', () => {
      for (const error of [
        pgError('3D000', 'database "shop" does not exist'),
        new Error('pg_dump: error: connection to server at "127.0.0.1", port 54322 failed: FATAL:  database "shop" does not exist'),
      ]) {
        const result = mapped(error, target({ database: 'shop' }));
        assert.equal(result.code, 'database-not-found');
        assert.equal(formatError(result, commandLineWords), 'database "shop" does not exist at 127.0.0.1:54322: create it (CREATE DATABASE "shop") or pick another with --db');
      }
    });

    it('explains a permission error with what was refused', () => {
      const result = mapped(new Error('pg_dump: error: query failed: ERROR:  permission denied for table secrets'));
      assert.equal(result.code, 'permission-denied');
      assert.equal(result.message, 'PostgreSQL at 127.0.0.1:54322 refused user "postgres": permission denied for table secrets');
      assert.equal(mapped(pgError('42501', 'must be owner of table x')).code, 'permission-denied');
    });

    it('explains a server that closes the connection or cannot speak SSL', () => {
      assert.equal(mapped(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })).code, 'connection-refused');
      assert.match(cliHint(mapped(new Error('The server does not support SSL connections'), target({ sslmode: 'require' })).hint ?? []), /sslmode=disable/);
      assert.match(cliHint(mapped(pgError('57P03', 'the database system is starting up')).hint ?? []), /wait a moment/);
    });

    it('explains a certificate for another host name in the same words from the pg driver and from libpq', () => {
      const t = target({ host: '10.0.0.5', port: 5432, sslmode: 'verify-full', options: { sslrootcert: '/ca.crt' } });
      const fromDriver = Object.assign(new Error("Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list: "), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
        cert: { subjectaltname: 'DNS:db.example.com, DNS:db2.example.com', subject: { CN: 'db.example.com' } },
      });
      const fromLibpq = new Error(
        'pg_dump: error: connection to server at "10.0.0.5", port 5432 failed: server certificate for "db.example.com" (and 2 other names) does not match host name "10.0.0.5"',
      );
      for (const error of [fromDriver, fromLibpq]) {
        assert.equal(
          formatError(mapped(error, t), commandLineWords),
          'the TLS certificate of PostgreSQL at 10.0.0.5:5432 is for db.example.com, not 10.0.0.5: ' +
            'connect to db.example.com, the name in the certificate (in the URL or PGHOST), or check that this is the right server',
        );
      }
    });

    it('explains an untrusted, expired or uncheckable certificate', () => {
      const t = target({ sslmode: 'verify-full', options: { sslrootcert: '/ca.crt' } });
      for (const error of [
        Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
        new Error('psql: error: connection to server at "127.0.0.1", port 54322 failed: SSL error: certificate verify failed'),
      ]) {
        assert.equal(mapped(error, t).message, 'the TLS certificate of PostgreSQL at 127.0.0.1:54322 is not signed by the certificate authority in sslrootcert');
      }
      const system = mapped(
        Object.assign(new Error('unable to get local issuer certificate'), { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }),
        target({ sslmode: 'verify-full', options: { sslrootcert: 'system' } }),
      );
      assert.match(system.message, /not signed by an authority this machine trusts/);
      const expired = mapped(Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }), t);
      assert.equal(
        formatError(expired, commandLineWords),
        "the TLS certificate of PostgreSQL at 127.0.0.1:54322 has expired: renew the server's certificate, or check the clock of this machine",
      );
      const oldLibpq = mapped(
        new Error(
          'psql: error: connection to server at "db", port 5432 failed: root certificate file "system" does not exist\nEither provide the file or change sslmode to disable server certificate verification.',
        ),
        t,
      );
      assert.match(oldLibpq.message, /sslrootcert=system needs the PostgreSQL 16 client tools or newer/);
    });

    it('keeps an unrecognised error readable but scrubbed of the password', () => {
      const result = mapped(new Error(`something odd happened with postgresql://postgres:${secret}@127.0.0.1:54322/postgres and password=${encodeURIComponent(secret)}`));
      assert.equal(result.code, 'internal');
      assert.match(result.message, /^cannot use PostgreSQL at 127\.0\.0\.1:54322: something odd happened/);
    });

    it('never shows a password that contains URL special characters', () => {
      const password = 'p@ss:w/rd?#';
      const t = target({ password });
      for (const error of [
        new Error(`FATAL: password authentication failed; tried password=${password}`),
        new Error(`weird: postgresql://u:${password}@h/d / postgresql://u:${encodeURIComponent(password)}@h/d`),
        Object.assign(new Error('x'), { stderr: `url postgresql://u:${password}@h/d` }),
      ]) {
        const text = visibleText(describeConnectionError(error, t));
        assert.ok(!text.includes(password), text);
        assert.ok(!text.includes(encodeURIComponent(password)), text);
      }
    });
  });
});
