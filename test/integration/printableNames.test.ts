/**
 * PostgreSQL takes any character but NUL in a quoted name, and a terminal
 * acts on the escape sequences it is given. A table named
 * `orders<ESC>[2K<CR>shipped` printed as it is erases its own line on the
 * terminal (and shows "shipped"); `<ESC>]0;…<BEL>` sets the window's title;
 * a right-to-left override shows the rest of the line reversed. Whatever the
 * CLI prints, on a terminal or not, shows such characters as escapes
 * (`\u001b`, `\r`, `\n`), and --json still gives the names as they are.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, REPO_ROOT, type CliResult } from '../support/cli';
import { loadExeca } from '../support/execa';
import { assertSameContent } from '../support/fingerprint';
import { backupSet, copySetFiles, restoreArgs, useServer, useTempFolders } from '../support/integration';
import { skipBecause } from '../support/skip';
import type { Manifest } from '../../src/core/sets/manifest';
import { HISTORY_FORMAT } from '../../src/core/sets/history';
import { PROOF_FORMAT_VERSION, type ProofRecord } from '../../src/core/prove/record';

/** Names a terminal would act on: erase-line and carriage return, a window title (OSC … BEL), an 8-bit CSI, a right-to-left override, a line break. */
const HIDING = 'orders\x1b[2K\rshipped';
const TITLE = 'c\x1b]0;owned\x07';
const EIGHT_BIT = 'audit\u009b31m';
const REVERSED = 'invoice\u202egpj.exe';
const TWO_LINES = 'two\nlines';
/** A zero-width space: printed as it is, zw<U+200B>users reads as zwusers. */
const ZERO_WIDTH = 'zw\u200busers';

/** Any character a terminal acts on or shows as nothing, but the line breaks and tabs that lay out the CLI's own text. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/;

function assertPrintable(result: CliResult, what: string): void {
  for (const [stream, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ] as const) {
    const found = RAW_CONTROL.exec(text);
    assert.equal(found, null, `${what}: ${stream} holds U+${found?.[0].charCodeAt(0).toString(16).padStart(4, '0')}: ${JSON.stringify(text)}`);
  }
}

describe('names a terminal would act on', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-printable-');
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase('printable_source');
    await server.query(
      'printable_source',
      `CREATE TABLE public."${HIDING}" (id int PRIMARY KEY, "${TITLE}" text);
       INSERT INTO public."${HIDING}" VALUES (1, 'one'), (2, 'two');
       CREATE TABLE public."${EIGHT_BIT}" (id int PRIMARY KEY);
       INSERT INTO public."${EIGHT_BIT}" VALUES (1);
       CREATE TABLE public."${REVERSED}" (id int PRIMARY KEY);
       CREATE TABLE public."${TWO_LINES}" (id int PRIMARY KEY);
       INSERT INTO public."${TWO_LINES}" VALUES (1), (2), (3);
       CREATE TABLE public."${ZERO_WIDTH}" (id int PRIMARY KEY);`,
    );
    folder = newFolder();
    manifest = await backupSet(server, 'printable_source', folder, 'printable');
  });

  it('--json gives every name as it is', function () {
    assert.deepEqual(manifest.tables.map((table) => table.name).sort(), [EIGHT_BIT, HIDING, REVERSED, TWO_LINES, ZERO_WIDTH].sort());
  });

  it('backup, list and show print the names as escapes', async function () {
    const backup = await runCli(['backup', '--db', server.url('printable_source'), '--dir', folder, '--prefix', 'printable']);
    assert.equal(backup.code, 0, backup.stderr);
    assertPrintable(backup, 'backup');
    const list = await runCli(['list', '--dir', folder]);
    assertPrintable(list, 'list');
    const show = await runCli(['show', manifest.id, '--dir', folder]);
    assert.equal(show.code, 0, show.stderr);
    assertPrintable(show, 'show');
    for (const shown of ['public.orders\\u001b[2K\\rshipped', 'public.audit\\u009b31m', 'public.invoice\\u202egpj.exe', 'public.two\\nlines', 'public.zw\\u200busers']) {
      assert.ok(show.stdout.includes(shown), `show names ${shown}: ${show.stdout}`);
    }
  });

  it("show keeps the manifest's versions and a safety set's command on their lines: a line break in them forges no line of its own", async function () {
    const forged = newFolder();
    copySetFiles(folder, forged, manifest);
    const fake = (what: string) => `15.18\n  problem   FAKE: ${what}`;
    const edited: Manifest = {
      ...manifest,
      purpose: 'safety',
      takenBefore: fake('the command'),
      server: { ...manifest.server, version: fake('the server') },
      tools: { ...manifest.tools, pgDump: { ...manifest.tools.pgDump, version: fake('pg_dump') } },
    };
    writeFileSync(join(forged, `${manifest.id}.manifest.json`), JSON.stringify(edited, null, 2));
    // A proof's summary, from the history file beside it, as hand-edited.
    const proof: ProofRecord = {
      formatVersion: PROOF_FORMAT_VERSION,
      setId: manifest.id,
      provedAt: new Date().toISOString(),
      durationMs: 900,
      outcome: 'proved',
      summary: fake('the proof'),
      server: { host: 'localhost', port: 5432, user: 'postgres' },
      profile: 'plain',
      digestsFrom: 'manifest',
      tables: 1,
      rows: 1,
      schemaEqual: true,
      paths: [],
      differences: [],
      notes: [],
    };
    writeFileSync(
      join(forged, `${manifest.id}.history.json`),
      JSON.stringify({ format: HISTORY_FORMAT, formatVersion: 1, setId: manifest.id, verifications: [], retention: [], proofs: [proof] }),
    );
    const show = await runCli(['show', manifest.id, '--dir', forged]);
    assert.equal(show.code, 0, show.stderr);
    assert.doesNotMatch(show.stdout, /^ +problem +FAKE/m, show.stdout);
    for (const shown of [
      '(safety backup taken before 15.18\\n  problem   FAKE: the command)',
      '(PostgreSQL 15.18\\n  problem   FAKE: the server, ',
      '  pg_dump   15.18\\n  problem   FAKE: pg_dump (',
      ': 15.18\\n  problem   FAKE: the proof',
    ]) {
      assert.ok(show.stdout.includes(shown), `show prints ${shown}: ${show.stdout}`);
    }
  });

  it('restore, verify and diff print them as escapes, and the restore equals the source', async function () {
    await server.createDatabase('printable_target');
    const restored = await runCli(restoreArgs(manifest.id, 'complete', server.url('printable_target'), folder));
    assert.equal(restored.code, 0, restored.stderr);
    assertPrintable(restored, 'restore');
    assert.match(restored.stdout, /public\.orders\\u001b\[2K\\rshipped +2 rows/);
    await assertSameContent(server.url('printable_source'), server.url('printable_target'));

    const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url('printable_target')]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assertPrintable(verified, 'verify');

    await server.query('printable_target', `INSERT INTO public."${HIDING}" VALUES (3, 'three')`);
    const diff = await runCli(['diff', manifest.id, '--dir', folder, '--db', server.url('printable_target')]);
    assertPrintable(diff, 'diff');
    assert.match(diff.stdout, /public\.orders\\u001b\[2K\\rshipped/);
  });

  it('a database, a backups folder and a foreign-key cycle whose names hold a line break: every line that names them stays one line', async function () {
    const database = 'plant\nfloor';
    await server.createDatabase(database);
    await server.query(
      database,
      `CREATE TABLE public."shift\nlead" (id int PRIMARY KEY, crew int);
       CREATE TABLE public.crews (id int PRIMARY KEY, lead int REFERENCES public."shift\nlead");
       ALTER TABLE public."shift\nlead" ADD FOREIGN KEY (crew) REFERENCES public.crews;
       INSERT INTO public."shift\nlead" VALUES (1, NULL);`,
    );
    const lines = join(newFolder(), 'backups\nfolder');
    const broken = (result: CliResult) => /^(floor|folder|lead)/m.exec(`${result.stdout}\n${result.stderr}`);
    const backup = await runCli(['backup', '--db', server.url(database), '--dir', lines, '--prefix', 'plant']);
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(broken(backup), null, backup.stdout);
    assert.ok(backup.stdout.includes('backups\\nfolder'), backup.stdout);
    const [set] = (JSON.parse((await runCli(['list', '--dir', lines, '--json'])).stdout) as { id: string }[]).map((listed) => listed.id);
    const show = await runCli(['show', set, '--dir', lines]);
    assert.equal(broken(show), null, show.stdout);
    assert.ok(show.stdout.includes('plant\\nfloor'), show.stdout);
    await server.createDatabase('plant_copy');
    for (const args of [
      restoreArgs(set, 'complete', server.url('plant_copy'), lines),
      ['verify', set, '--dir', lines, '--db', server.url(database)],
      ['diff', set, '--dir', lines, '--db', server.url(database)],
      ['prune', '--dir', lines, '--prefix', 'plant', '--dry-run'],
      ['list', '--dir', `${lines}-none`],
    ]) {
      const result = await runCli(args);
      assert.equal(result.code, 0, `${args[0]}: ${result.stderr}`);
      assert.equal(broken(result), null, `${args[0]}: ${result.stdout}`);
    }
  });

  it('an error naming a table prints it as escapes, in the one line the error is', async function () {
    await server.createDatabase('printable_empty');
    // A data restore into a database without the tables names what is missing.
    const refused = await runCli(restoreArgs(manifest.id, 'data', server.url('printable_empty'), folder, ['--no-safety-backup']));
    assert.notEqual(refused.code, 0);
    assertPrintable(refused, 'refused data restore');
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    // As pg_dump's entry headers spell it: a line break or carriage return there is a space.
    assert.match(refused.stderr, /public\.orders\\u001b\[2K shipped/);
  });

  it('the Markdown and HTML summaries show them as escapes too', async function () {
    for (const format of ['md', 'html']) {
      const out = join(newFolder(), `summary.${format}`);
      const written = await runCli(['summary', manifest.id, '--dir', folder, '--out', out]);
      assert.equal(written.code, 0, written.stderr);
      const text = readFileSync(out, 'utf8');
      assert.equal(RAW_CONTROL.exec(text), null, `${format}: ${JSON.stringify(RAW_CONTROL.exec(text)?.[0])}`);
      assert.ok(text.includes('u001b'), `${format} shows the escape`);
      assert.ok(text.includes('zw\\u200busers'), `${format} shows the zero-width space`);
    }
  });

  it('on a terminal, the progress lines show them as escapes; only the live line redraws', async function () {
    if (!(existsSync('/usr/bin/script') || existsSync('/bin/script'))) skipBecause(this, 'needs util-linux script for a pseudo-terminal');
    const execa = await loadExeca();
    const command = `${process.execPath} dist/cli.js backup --db '${server.url('printable_source')}' --dir '${folder}' --prefix printable`;
    const onTerminal = await execa('script', ['-qec', command, '/dev/null'], { reject: false, cwd: REPO_ROOT, env: { ...process.env, TERM: 'xterm' } });
    assert.equal(onTerminal.exitCode, 0, onTerminal.stdout);
    // The CLI's own redraw of its live line is `\r<ESC>[2K`; no other escape sequence reaches the terminal.
    const withoutRedraws = onTerminal.stdout.replaceAll('\r\x1b[2K', '').replaceAll('\r\n', '\n');
    assert.equal(RAW_CONTROL.exec(withoutRedraws), null, JSON.stringify(onTerminal.stdout));
    assert.match(withoutRedraws, /public\.orders\\u001b\[2K\\rshipped +2 rows/);
  });
});
