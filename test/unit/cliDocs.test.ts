import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { FLAGS, usageOf } from '../../src/cli/args';
import { COMMANDS } from '../../src/cli/commands';
import { CLI_DOCS, renderCliDocs } from '../../scripts/cli-docs';

describe("docs/cli.md, generated from the parser's table", () => {
  const committed = readFileSync(CLI_DOCS, 'utf8');

  it('is what npm run docs makes of it (run npm run docs after changing a flag or a command)', () => {
    const generated = renderCliDocs(committed);
    if (generated !== committed) {
      const committedLines = committed.split('\n');
      const generatedLines = generated.split('\n');
      const first = generatedLines.findIndex((line, index) => line !== committedLines[index]);
      assert.fail(
        `docs/cli.md is out of date from line ${first + 1}: it says\n  ${committedLines[first]}\nbut the parser's table makes\n  ${generatedLines[first]}\nRun npm run docs.`,
      );
    }
  });

  it('names every command with its usage, and every flag', () => {
    for (const command of COMMANDS) assert.ok(committed.includes(usageOf(command).split(' [')[0]), `${command.name} is in docs/cli.md`);
    for (const name of Object.keys(FLAGS)) assert.match(committed, new RegExp(`\\| \`--${name}[ \`]`), `--${name} has a row`);
  });

  it("changes when a flag's help changes, and keeps the prose around the blocks", () => {
    const renamed = COMMANDS.map((command) => (command.name === 'list' ? { ...command, summary: 'a summary written for this test' } : command));
    const generated = renderCliDocs(committed, renamed);
    assert.notEqual(generated, committed);
    assert.ok(generated.includes('| [`list`](#list-show) | a summary written for this test |'));
    const outside = (text: string) => text.replace(/<!-- cli-docs:begin [^>]*-->[\s\S]*?<!-- cli-docs:end -->/g, '');
    assert.equal(outside(generated), outside(committed));
  });

  it("refuses a file that lacks a command's usage block, or has one for no command", () => {
    const withoutDiff = committed.replace(/<!-- cli-docs:begin usage diff -->[\s\S]*?<!-- cli-docs:end -->/, '');
    assert.throws(() => renderCliDocs(withoutDiff), /lacks the generated block "<!-- cli-docs:begin usage diff -->"/);
    assert.throws(() => renderCliDocs(`${committed}\n## x\n<!-- cli-docs:begin usage frobnicate -->\n<!-- cli-docs:end -->\n`), /"frobnicate", which is no command/);
  });
});
