import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedVersionOutput } from '../../src/core/pg/toolVersionCache';

describe('remembered tool versions', () => {
  const folder = mkdtempSync(join(tmpdir(), 'pulse-tool-cache-'));
  const env = { PULSE_BACKUP_CACHE_DIR: join(folder, 'cache') };
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('asks a binary once, then answers from the cache until the file changes', async () => {
    const tool = join(folder, 'pg_dump');
    writeFileSync(tool, 'binary v1');
    let asked = 0;
    const read = () => {
      asked += 1;
      return Promise.resolve(`pg_dump (PostgreSQL) 15.${asked}`);
    };
    assert.equal(await cachedVersionOutput(tool, env, read), 'pg_dump (PostgreSQL) 15.1');
    assert.equal(await cachedVersionOutput(tool, env, read), 'pg_dump (PostgreSQL) 15.1');
    assert.equal(asked, 1);
    assert.match(readFileSync(join(folder, 'cache', 'tool-versions.json'), 'utf8'), /15\.1/);

    writeFileSync(tool, 'binary v2, a different size');
    utimesSync(tool, new Date(), new Date(Date.now() + 5000));
    assert.equal(await cachedVersionOutput(tool, env, read), 'pg_dump (PostgreSQL) 15.2');
    assert.equal(asked, 2);
  });

  it('keeps every binary asked at once: the cache file is written in turns', async () => {
    const tools = ['psql', 'pg_restore', 'pg_dump.exe'].map((name) => join(folder, 'at-once', name));
    mkdirSync(join(folder, 'at-once'));
    for (const tool of tools) writeFileSync(tool, `binary ${tool}`);
    const outputs = await Promise.all(tools.map((tool, index) => cachedVersionOutput(tool, env, () => Promise.resolve(`tool ${index}`))));
    assert.deepEqual(outputs, ['tool 0', 'tool 1', 'tool 2']);
    const saved = JSON.parse(readFileSync(join(folder, 'cache', 'tool-versions.json'), 'utf8')) as Record<string, { output: string }>;
    for (const [index, tool] of tools.entries()) assert.equal(saved[realpathSync(tool)]?.output, `tool ${index}`);
  });

  it('never caches a wrapper script, whose answer depends on the environment', async () => {
    const wrapper = join(folder, 'pg_wrapper');
    writeFileSync(wrapper, '#!/usr/bin/perl');
    let asked = 0;
    const read = () => {
      asked += 1;
      return Promise.resolve('pg_dump (PostgreSQL) 17.2');
    };
    await cachedVersionOutput(wrapper, env, read);
    await cachedVersionOutput(wrapper, env, read);
    assert.equal(asked, 2);
  });
});
