import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { standAloneMarkdown, vscePackageArgs } from '../../scripts/package';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Every Markdown link and picture target outside fenced code blocks. */
function targetsOf(markdown: string): { picture: boolean; target: string }[] {
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '');
  return [...prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].map(([, bang, target]) => ({ picture: bang === '!', target }));
}

describe("the packaged README, the extension's details page", () => {
  const readme = read('README.md');
  const packaged = standAloneMarkdown(readme, root, 'README.md');

  it('carries every picture of the README inside it, byte for byte, as data: the page takes pictures from https: and data: only', () => {
    const pictures = targetsOf(readme).filter((link) => link.picture);
    assert.ok(pictures.length >= 1, 'the README shows a picture');
    const inlined = targetsOf(packaged).filter((link) => link.picture);
    assert.equal(inlined.length, pictures.length);
    for (const [index, picture] of pictures.entries()) {
      const data = /^data:image\/png;base64,(.+)$/.exec(inlined[index].target);
      assert.ok(data, `${picture.target} is inlined as a PNG data: URI`);
      assert.ok(Buffer.from(data[1], 'base64').equals(readFileSync(path.join(root, picture.target))), `${picture.target}'s bytes`);
    }
  });

  it('has no relative link left: each names its path in the repository as text', () => {
    const relative = targetsOf(packaged).filter((link) => !/^(https?:|mailto:|data:|#)/.test(link.target));
    assert.deepEqual(relative, []);
    assert.ok(packaged.includes('| `docs/cli.md` |'), 'the documentation table names docs/cli.md');
    assert.ok(packaged.includes('VS Code extension (`docs/extension.md`)'), 'a link whose words are not its path keeps its words');
    assert.equal(packaged.replace(/\(data:[^)]*\)/g, '()').split('\n').length, readme.split('\n').length, 'nothing else changes: as many lines as the README');
  });

  it('leaves code blocks alone and refuses a picture the page cannot show', () => {
    const markdown = '```sh\nsee [x](docs/x.md)\n```\n';
    assert.equal(standAloneMarkdown(markdown, root, 'README.md'), markdown);
    assert.throws(() => standAloneMarkdown('![icon](media/pulse-backup.svg)\n', root, 'README.md'), /media\/pulse-backup.svg is not PNG, JPEG, GIF or WebP/);
  });

  it('the CHANGELOG, the Changelog tab, is packed as it is and needs nothing made to stand alone', () => {
    const changelog = read('CHANGELOG.md');
    assert.equal(standAloneMarkdown(changelog, root, 'CHANGELOG.md'), changelog);
  });

  it('is the README vsce packs, and the repository README is not packed beside it', () => {
    const args = vscePackageArgs('dist/package/README.md', ['-o', 'x.vsix']);
    assert.deepEqual(args.slice(args.indexOf('--readme-path'), args.indexOf('--readme-path') + 2), ['--readme-path', 'dist/package/README.md']);
    assert.deepEqual(args.slice(-2), ['-o', 'x.vsix']);
    const files = (JSON.parse(read('package.json')) as { files: string[] }).files;
    assert.ok(!files.includes('README.md'), "package.json's files leaves README.md to npm, which always packs it (vsce would pack it beside readme.md)");
  });
});
