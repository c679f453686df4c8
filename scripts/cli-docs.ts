/**
 * `npm run docs`: the generated parts of docs/cli.md, from the table the
 * parser itself reads (src/cli/args.ts's FLAGS and each command's spec in
 * src/cli/commands/), so the reference cannot drift from what the CLI
 * accepts. The prose around them is hand-written and kept as it is: only
 * the blocks between `<!-- cli-docs:begin … -->` and `<!-- cli-docs:end -->`
 * are rewritten. test/unit/cliDocs.test.ts fails when the committed file
 * differs from what this script makes of it.
 *
 * Blocks: `reference` (the synopsis, the commands and every flag) once, and
 * `usage COMMAND` once for every command, placed under the heading of the
 * section that explains it (the commands table links there).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FLAGS, usageOf, type CommandSpec, type FlagName } from '../src/cli/args';
import { COMMANDS } from '../src/cli/commands';

export const CLI_DOCS = path.join(__dirname, '..', 'docs', 'cli.md');

const BLOCK = /(<!-- cli-docs:begin ([^>]*?) -->\n)([\s\S]*?)(<!-- cli-docs:end -->)/g;

/** docs/cli.md with every generated block made anew from the commands' specs; throws when a block is missing, unknown or repeated. */
export function renderCliDocs(current: string, commands: readonly CommandSpec[] = COMMANDS): string {
  const seen = new Set<string>();
  const sections = new Map<string, string>();
  for (const match of current.matchAll(BLOCK)) {
    const name = match[2].trim();
    if (seen.has(name)) throw new Error(`docs/cli.md has the block "${name}" twice`);
    seen.add(name);
    const usage = /^usage (\S+(?: \S+)?)$/.exec(name);
    if (usage) {
      if (!commands.some((command) => command.name === usage[1])) throw new Error(`docs/cli.md has a usage block for "${usage[1]}", which is no command`);
      sections.set(usage[1], headingSlugBefore(current, match.index));
    } else if (name !== 'reference') {
      throw new Error(`docs/cli.md has an unknown generated block "${name}"`);
    }
  }
  const missing = ['reference', ...commands.map((command) => `usage ${command.name}`)].filter((name) => !seen.has(name));
  if (missing.length > 0)
    throw new Error(`docs/cli.md lacks the generated block${missing.length > 1 ? 's' : ''} ${missing.map((name) => `"<!-- cli-docs:begin ${name} -->"`).join(', ')}`);

  return current.replace(BLOCK, (_whole, begin: string, name: string, _body: string, end: string) => {
    const trimmed = name.trim();
    const body = trimmed === 'reference' ? reference(commands, sections) : usageBlock(commands.find((command) => `usage ${command.name}` === trimmed) as CommandSpec);
    return `${begin}${body}${end}`;
  });
}

function reference(commands: readonly CommandSpec[], sections: Map<string, string>): string {
  const synopsis = [
    ...commands.map((command) => wrapUsage(usageOf(command), command.name)),
    'pulse-backup help [COMMAND]        (also: -h, --help, COMMAND --help)',
    'pulse-backup --version             (also: -V, version)',
  ];
  const commandRows = commands.map((command) => {
    const name = `\`${command.name}${command.positionals.map((positional) => ` ${positional}`).join('')}\``;
    return `| [${name}](#${sections.get(command.name) ?? ''}) | ${cell(command.summary)} |`;
  });
  const flagRows = (Object.keys(FLAGS) as FlagName[]).map((name) => {
    const takenBy = commands.filter((command) => command.flags.includes(name)).map((command) => command.name);
    return `| ${cell(`\`${flagText(name)}\``)} | ${takenBy.length === commands.length ? 'all' : takenBy.join(', ')} | ${cell(FLAGS[name].help)} |`;
  });
  return [
    '```text',
    ...synopsis,
    '```',
    '',
    '| command | what it does |',
    '|---|---|',
    ...commandRows,
    '',
    '| flag | taken by | what it does |',
    '|---|---|---|',
    ...flagRows,
    '',
  ].join('\n');
}

function usageBlock(command: CommandSpec): string {
  return ['```text', wrapUsage(usageOf(command), command.name), '```', '', `${capitalise(command.summary)}.`, ''].join('\n');
}

/** `--mode MODE`, or with `choices` the values themselves: `--mode complete|schema|data`. */
function flagText(name: FlagName): string {
  const flag: { type: string; value?: string; choices?: readonly string[] } = FLAGS[name];
  if (flag.type === 'boolean') return `--${name}`;
  return `--${name} ${flag.choices ? flag.choices.join('|') : flag.value}`;
}

/** A usage line broken before a flag at about 100 columns, continued under the command's first argument. */
function wrapUsage(usage: string, name: string, width = 100): string {
  const parts = usage.split(/ (?=\[?--)/);
  const head = parts.shift() ?? '';
  const indent = ' '.repeat('pulse-backup '.length + name.length + 1);
  const lines = [head];
  for (const part of parts) {
    const last = lines.length - 1;
    if (lines[last].length + 1 + part.length > width && lines[last].trim() !== '') lines.push(`${indent}${part}`);
    else lines[last] = `${lines[last]} ${part}`;
  }
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The anchor of the last heading before `offset`, as GitHub and VS Code make it. */
function headingSlugBefore(markdown: string, offset: number): string {
  const prose = markdown.slice(0, offset).replace(/^```[\s\S]*?^```/gm, '');
  const headings = [...prose.matchAll(/^#{1,6} (.+)$/gm)];
  const last = headings.at(-1);
  if (!last) throw new Error('a usage block in docs/cli.md stands before any heading');
  return headingSlug(last[1]);
}

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

if (require.main === module) {
  const current = readFileSync(CLI_DOCS, 'utf8');
  const next = renderCliDocs(current);
  if (next === current) {
    process.stdout.write('docs/cli.md is up to date\n');
  } else {
    writeFileSync(CLI_DOCS, next);
    process.stdout.write('docs/cli.md: the generated reference was written anew\n');
  }
}
