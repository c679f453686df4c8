/**
 * The extension's settings, read without VS Code: folder variables, the
 * prefix and retention rules, the password kept out of the URL that goes
 * into the settings, and the .gitignore line for a backups folder.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PulseError } from '../../src/core/errors';
import { gitIgnoreLine, withGitIgnoreLine } from '../../src/extension/gitignore';
import {
  expandFolderPath,
  folderPrefix,
  MAX_JOBS_SETTING,
  offsiteCredentialsKey,
  offsiteLocation,
  passwordKey,
  readFolderSettings,
  readOffsiteSettings,
  retentionPolicy,
  settingValue,
  splitPassword,
} from '../../src/extension/settings';

const WORKSPACE = path.resolve('/work/Factory Pulse');

interface PackageJson {
  contributes: { configuration: { properties: Record<string, { maximum?: number; default?: unknown }> } };
}

describe('extension settings', () => {
  const context = { workspaceFolder: WORKSPACE, env: { BACKUP_ROOT: '/srv/backups' }, homeDir: '/home/ana' };

  it('puts backups in the workspace folder by default, one folder per workspace folder', () => {
    const settings = readFolderSettings({}, context);
    assert.equal(settings.backupsFolder, path.join(WORKSPACE, 'backups'));
    assert.equal(settings.prefix, 'factory_pulse');
    assert.deepEqual(settings.retention, { last: 10, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 });
    assert.equal(settings.staleAfterHours, 24);
    assert.equal(settings.safetyBackupBeforeRestore, true);
    assert.equal(settings.connectionUrl, undefined);
    assert.equal(settings.clientToolsFolder, undefined);
    assert.equal(settings.profile, 'auto');
    assert.equal(readFolderSettings({ profile: 'plain' }, context).profile, 'plain');
    assert.equal(readFolderSettings({ profile: 'firebase' }, context).profile, 'auto', 'an unknown value falls back to auto');
    assert.equal(settings.compress, undefined, 'plain SQL by default');
    assert.equal(readFolderSettings({ compress: 'gzip' }, context).compress, 'gzip');
    assert.equal(readFolderSettings({ compress: 'zstd' }, context).compress, 'zstd');
    assert.equal(readFolderSettings({ compress: 'none' }, context).compress, undefined);
  });

  it('reads pulseBackup.jobs: 0 (its default) and values that are not whole numbers leave the engine its default; more than the maximum is the maximum', () => {
    assert.equal(readFolderSettings({}, context).jobs, undefined);
    assert.equal(readFolderSettings({ jobs: 0 }, context).jobs, undefined);
    assert.equal(readFolderSettings({ jobs: 1 }, context).jobs, 1);
    assert.equal(readFolderSettings({ jobs: 3 }, context).jobs, 3);
    assert.equal(readFolderSettings({ jobs: 2.5 }, context).jobs, undefined);
    assert.equal(readFolderSettings({ jobs: -1 }, context).jobs, undefined);
    assert.equal(readFolderSettings({ jobs: 99 }, context).jobs, MAX_JOBS_SETTING);
    const declared = (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as PackageJson).contributes.configuration.properties['pulseBackup.jobs'];
    assert.equal(declared.maximum, MAX_JOBS_SETTING, "package.json's maximum is the one settings.ts reads to");
    assert.equal(declared.default, 0);
  });

  it('in a Supabase project folder, names backups after project_id unless the setting says otherwise', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'pulse-ext-supabase-'));
    try {
      mkdirSync(path.join(folder, 'supabase'));
      writeFileSync(path.join(folder, 'supabase', 'config.toml'), 'project_id = "Plant Porto"\n[db]\nport = 54400\n');
      const settings = readFolderSettings({}, { ...context, workspaceFolder: folder });
      assert.equal(settings.prefix, 'plant_porto');
      assert.equal(settings.supabase?.dbPort, 54400);
      assert.equal(readFolderSettings({ filePrefix: 'mine' }, { ...context, workspaceFolder: folder }).prefix, 'mine');
      assert.equal(readFolderSettings({}, context).supabase, undefined);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('expands workspace, home and environment variables, and takes relative paths from the workspace folder', () => {
    assert.equal(expandFolderPath('${workspaceFolder}/db/backups', context), path.join(WORKSPACE, 'db', 'backups'));
    assert.equal(expandFolderPath('~/backups/${workspaceFolderBasename}', context), path.resolve('/home/ana/backups/Factory Pulse'));
    assert.equal(expandFolderPath('${env:BACKUP_ROOT}/pulse', context), path.resolve('/srv/backups/pulse'));
    assert.equal(expandFolderPath('backups', context), path.join(WORKSPACE, 'backups'));
  });

  it('refuses a prefix that is not one, naming the setting', () => {
    assert.equal(folderPrefix('  shop-db ', WORKSPACE), 'shop-db');
    assert.throws(
      () => folderPrefix('../etc', WORKSPACE),
      (error: unknown) => error instanceof PulseError && /pulseBackup\.filePrefix/.test(error.message),
    );
  });

  it('reads the retention policy from the settings a person set; a bucket alone keeps the last 10 too', () => {
    assert.deepEqual(retentionPolicy({}), { last: 10, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 });
    assert.deepEqual(retentionPolicy({ last: 3 }), { last: 3, hourly: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 });
    assert.deepEqual(retentionPolicy({ daily: 7, weekly: 4 }), { last: 10, hourly: 0, daily: 7, weekly: 4, monthly: 0, yearly: 0 });
    assert.deepEqual(retentionPolicy({ last: 0, daily: 7 }), { last: 0, hourly: 0, daily: 7, weekly: 0, monthly: 0, yearly: 0 });
    assert.deepEqual(readFolderSettings({ retention: { last: 5, monthly: 12 } }, context).retention, { last: 5, hourly: 0, daily: 0, weekly: 0, monthly: 12, yearly: 0 });
  });

  it('refuses a policy that keeps nothing, or a number that is not one, naming the setting', () => {
    assert.throws(() => retentionPolicy({ last: 0 }), /keep no set at all/);
    assert.throws(() => retentionPolicy({ last: 2.5 }), /pulseBackup\.retention\.keepLast/);
    assert.throws(() => retentionPolicy({ daily: -1 }), /pulseBackup\.retention\.keepDaily/);
  });

  it('writes a folder chosen inside the workspace folder as ${workspaceFolder}/…, anything else as its path', () => {
    assert.equal(settingValue(path.join(WORKSPACE, 'db', 'backups'), WORKSPACE), '${workspaceFolder}/db/backups');
    assert.equal(settingValue(WORKSPACE, WORKSPACE), '${workspaceFolder}');
    assert.equal(settingValue(path.resolve('/srv/backups'), WORKSPACE), path.resolve('/srv/backups'));
  });

  it('takes the password out of a URL, from the user info or a password parameter, and keeps the rest as written', () => {
    assert.deepEqual(splitPassword('postgresql://app:s3cr%40t@db.local:5433/shop?sslmode=require'), {
      url: 'postgresql://app@db.local:5433/shop?sslmode=require',
      password: 's3cr@t',
    });
    assert.deepEqual(splitPassword('postgres://app@localhost/shop?password=hunter2&application_name=x'), {
      url: 'postgres://app@localhost/shop?application_name=x',
      password: 'hunter2',
    });
    assert.deepEqual(splitPassword('postgresql://postgres@127.0.0.1:54322/postgres'), { url: 'postgresql://postgres@127.0.0.1:54322/postgres' });
    assert.throws(() => splitPassword('mysql://root:pw@localhost/db'), PulseError);
  });

  it('keeps one password per user, server and database', () => {
    const key = passwordKey({ user: 'postgres', host: '127.0.0.1', port: 54322, database: 'postgres' });
    assert.equal(key, 'pulseBackup.password:postgres@127.0.0.1:54322/postgres');
    assert.notEqual(key, passwordKey({ user: 'postgres', host: 'db.example.com', port: 54322, database: 'postgres' }));
  });

  it('ignores a backups folder in git from the repository root, as a folder, once', () => {
    const root = path.resolve('/work/repo');
    assert.equal(gitIgnoreLine(root, path.join(root, 'backups')), '/backups/');
    assert.equal(gitIgnoreLine(root, path.join(root, 'db', 'dumps [old]')), '/db/dumps \\[old\\]/');
    assert.equal(withGitIgnoreLine('node_modules/', '/backups/'), 'node_modules/\n/backups/\n');
    assert.equal(withGitIgnoreLine('', '/backups/'), '/backups/\n');
    assert.equal(withGitIgnoreLine('/backups/\n', '/backups/'), '/backups/\n');
  });

  it('has no offsite storage until its URL is set; then reads the endpoint, region, path style, push after backup, remote retention and remote encryption', () => {
    assert.equal(readFolderSettings({}, context).offsite, undefined);
    assert.equal(readOffsiteSettings({ url: '  ', endpoint: 'https://x' }), undefined, 'an endpoint alone sets nothing up');
    assert.deepEqual(readOffsiteSettings({ url: 's3://team-backups/factory-pulse' }), {
      url: 's3://team-backups/factory-pulse',
      endpoint: undefined,
      region: undefined,
      pathStyle: undefined,
      pushAfterBackup: false,
      keep: undefined,
      encrypt: false,
    });
    const full = readOffsiteSettings({ url: 's3://b1/p', endpoint: ' http://127.0.0.1:9000 ', region: 'auto', pathStyle: 'off', pushAfterBackup: true, keep: 5, encrypt: true });
    assert.deepEqual(full, { url: 's3://b1/p', endpoint: 'http://127.0.0.1:9000', region: 'auto', pathStyle: false, pushAfterBackup: true, keep: 5, encrypt: true });
    assert.equal(readOffsiteSettings({ url: 's3://b1/p', pathStyle: 'on' })?.pathStyle, true);
    assert.equal(readOffsiteSettings({ url: 's3://b1/p', keep: 0 })?.keep, undefined, '0 removes nothing there');
  });

  it('refuses an offsite URL that is not s3://BUCKET/PREFIX when it is used, naming the setting', () => {
    assert.deepEqual(offsiteLocation({ url: 's3://team-backups/factory-pulse/' }), { bucket: 'team-backups', prefix: 'factory-pulse' });
    assert.throws(
      () => offsiteLocation({ url: 'https://team-backups.s3.amazonaws.com' }),
      (error: unknown) => error instanceof PulseError && error.code === 'offsite-not-configured' && error.message.startsWith('the setting pulseBackup.offsite.URL: '),
    );
  });

  it('keeps the offsite keys per endpoint and bucket, so they are never sent to another storage', () => {
    const aws = offsiteCredentialsKey({ url: 's3://team-backups/a', endpoint: undefined }, {});
    assert.equal(aws, 'pulseBackup.offsiteCredentials:aws/team-backups');
    assert.equal(offsiteCredentialsKey({ url: 's3://team-backups/b', endpoint: undefined }, {}), aws, 'another prefix of the bucket: the same keys');
    assert.notEqual(offsiteCredentialsKey({ url: 's3://other-bucket/a', endpoint: undefined }, {}), aws);
    const minio = offsiteCredentialsKey({ url: 's3://team-backups/a', endpoint: 'http://127.0.0.1:9000/' }, {});
    assert.equal(minio, 'pulseBackup.offsiteCredentials:http://127.0.0.1:9000/team-backups');
    assert.equal(
      offsiteCredentialsKey({ url: 's3://team-backups/a', endpoint: undefined }, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' }),
      minio,
      "the environment's endpoint is where the keys would go",
    );
  });
});
