/**
 * The report's security section and the extension's ".gitignore" offer ask
 * git the same question through one module: for every answer git can give,
 * both say the same thing about the same backups folder.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitFacts } from '../../src/core/files/git';
import { buildReport } from '../../src/core/report/build';
import { gitIgnoreState } from '../../src/extension/gitignore';

const TS = '20250901_173948';
const SET_ID = `factory_pulse_${TS}`;

describe('asking git whether the backups are kept out of commits', function () {
  let root: string;
  let folder: string;

  beforeEach(function () {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'pulse-git-')));
    folder = join(root, 'project', 'backups');
    mkdirSync(folder, { recursive: true });
    for (const kind of ['schema', 'data', 'complete']) writeFileSync(join(folder, `factory_pulse_${kind}_backup_${TS}.sql`), `-- ${kind}\n`);
  });

  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  const cleanEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: root });

  async function bothAnswers(env: NodeJS.ProcessEnv): Promise<{ report: string; offer: string }> {
    const report = await buildReport({ folder, setId: SET_ID, env });
    const offer = await gitIgnoreState(folder, env);
    return { report: report.security.git.state, offer: offer.state };
  }

  function initRepository(at: string): void {
    execFileSync('git', ['init', '-q', at], { env: cleanEnv() });
  }

  it('not in a repository: both say so', async function () {
    assert.deepEqual(await bothAnswers(cleanEnv()), { report: 'not-in-repository', offer: 'not-in-repository' });
  });

  it('in a repository that does not ignore the folder: both warn', async function () {
    initRepository(join(root, 'project'));
    assert.deepEqual(await bothAnswers(cleanEnv()), { report: 'not-ignored', offer: 'not-ignored' });
  });

  it('in a repository that ignores the folder: both are content', async function () {
    initRepository(join(root, 'project'));
    writeFileSync(join(root, 'project', '.gitignore'), 'backups/\n');
    assert.deepEqual(await bothAnswers(cleanEnv()), { report: 'ignored', offer: 'ignored' });
  });

  it('in a repository that ignores every dump by a *.sql rule, not the folder: both are content', async function () {
    initRepository(join(root, 'project'));
    writeFileSync(join(root, 'project', '.gitignore'), '*.sql\n');
    assert.deepEqual(await bothAnswers(cleanEnv()), { report: 'ignored', offer: 'ignored' });
  });

  it('git is not installed: both say so, and neither throws', async function () {
    const emptyBin = join(root, 'bin');
    mkdirSync(emptyBin);
    assert.deepEqual(await bothAnswers({ PATH: emptyBin, HOME: root }), { report: 'git-not-installed', offer: 'git-not-installed' });
  });

  it('a GIT_DIR left in the environment does not make git answer for another repository', async function () {
    const elsewhere = join(root, 'elsewhere');
    initRepository(elsewhere);
    const env = { ...cleanEnv(), GIT_DIR: join(elsewhere, '.git'), GIT_WORK_TREE: elsewhere };
    assert.deepEqual(await bothAnswers(env), { report: 'not-in-repository', offer: 'not-in-repository' });
  });

  it('an fsmonitor hook in the repository configuration never runs', async function () {
    initRepository(join(root, 'project'));
    const mark = join(root, 'fsmonitor-ran');
    const hook = join(root, 'hook.sh');
    writeFileSync(hook, `#!/bin/sh\n: > '${mark}'\n`, { mode: 0o755 });
    execFileSync('git', ['-C', join(root, 'project'), 'config', 'core.fsmonitor', hook], { env: cleanEnv() });
    // Something tracked, so that git has an index to refresh.
    execFileSync('git', ['-C', join(root, 'project'), 'add', '-f', `backups/factory_pulse_schema_backup_${TS}.sql`], {
      env: { ...cleanEnv(), GIT_CONFIG_PARAMETERS: "'core.fsmonitor'=''" },
    });
    const facts = await gitFacts(folder, { env: cleanEnv(), setFiles: [`factory_pulse_schema_backup_${TS}.sql`], dumps: [`factory_pulse_schema_backup_${TS}.sql`] });
    assert.equal(facts.state, 'not-ignored');
    assert.deepEqual(facts.trackedFiles, [`factory_pulse_schema_backup_${TS}.sql`]);
    assert.equal(existsSync(mark), false, 'the fsmonitor hook ran');
  });
});
