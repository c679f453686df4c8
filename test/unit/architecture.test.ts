/**
 * The house rules that keep the layers apart, read from the source itself:
 * the engine (src/core) never imports VS Code or a front door, the CLI never
 * imports the extension, and no module reaches itself again through its
 * imports (a cycle makes load order matter and hides which part owns what).
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..', '..', 'src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

interface Imports {
  modules: string[];
  files: string[];
}

/** What a file imports: bare module names, and the project files relative specifiers resolve to (type-only imports count: they tie the layers too). */
function importsOf(file: string): Imports {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1]);
  const modules: string[] = [];
  const files: string[] = [];
  for (const specifier of specifiers) {
    if (!specifier.startsWith('.')) {
      modules.push(specifier);
      continue;
    }
    const base = resolve(dirname(file), specifier);
    const found = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
    if (found) files.push(found);
  }
  return { modules, files };
}

const FILES = sourceFiles(SRC);
const GRAPH = new Map(FILES.map((file) => [file, importsOf(file)]));
const name = (file: string) => relative(SRC, file);

describe('the layers', () => {
  it('the engine imports neither VS Code nor a front door', () => {
    const offending = FILES.filter((file) => name(file).startsWith('core/')).flatMap((file) => {
      const { modules, files } = GRAPH.get(file)!;
      return [...modules.filter((module) => module === 'vscode'), ...files.map(name).filter((target) => !target.startsWith('core/'))].map((target) => `${name(file)} → ${target}`);
    });
    assert.deepEqual(offending, []);
  });

  it('the CLI never imports the extension, nor the extension the CLI', () => {
    const offending = FILES.flatMap((file) => {
      const from = name(file).split('/')[0];
      return GRAPH.get(file)!
        .files.map(name)
        .filter((target) => (from === 'cli' && target.startsWith('extension/')) || (from === 'extension' && target.startsWith('cli/')))
        .map((target) => `${name(file)} → ${target}`);
    });
    assert.deepEqual(offending, []);
  });

  it('no module imports itself again through other modules', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const next of GRAPH.get(file)?.files ?? []) {
        if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].map(name).join(' → '));
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of FILES) if (!state.has(file)) visit(file);
    assert.deepEqual(cycles, []);
  });

  it('src/core is grouped by capability: no loose module but the few every part shares', () => {
    const loose = readdirSync(join(SRC, 'core')).filter((entry) => entry.endsWith('.ts'));
    assert.deepEqual(loose.sort(), ['commandLineWords.ts', 'errors.ts', 'format.ts', 'hint.ts', 'markup.ts', 'options.ts', 'shell.ts', 'sql.ts', 'version.ts']);
  });

  it('each capability folder says what it owns, naming only files that are there', () => {
    for (const folder of readdirSync(join(SRC, 'core')).filter((entry) => statSync(join(SRC, 'core', entry)).isDirectory())) {
      const readme = join(SRC, 'core', folder, 'README.md');
      assert.ok(existsSync(readme), `src/core/${folder}/README.md`);
      const text = readFileSync(readme, 'utf8');
      assert.ok(text.length > 80, `src/core/${folder}/README.md says what the folder owns`);
      for (const [, file] of text.matchAll(/`([A-Za-z]+\.ts)`/g))
        assert.ok(existsSync(join(SRC, 'core', folder, file)), `src/core/${folder}/README.md names ${file}, which is not there`);
    }
  });
});
