import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { headingSlug } from '../../scripts/cli-docs';

const root = path.resolve(__dirname, '..', '..');
const DOCUMENTS = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The text outside fenced code blocks and code spans: what a Markdown renderer reads links and headings from. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, 'code');
}

/** Every heading's anchor as GitHub (and VS Code's preview) makes it, a repeated heading getting -1, -2. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  const headings = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').matchAll(/^#{1,6} (.+?)#*$/gm);
  for (const [, text] of headings) {
    const slug = headingSlug(text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const seen = counts.get(slug) ?? 0;
    anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
    counts.set(slug, seen + 1);
  }
  return anchors;
}

interface Link {
  document: string;
  target: string;
  image: boolean;
}

function linksOf(document: string): Link[] {
  const text = prose(readFileSync(path.join(root, document), 'utf8'));
  const links: Link[] = [];
  for (const [, bang, target] of text.matchAll(/(!?)\[(?:[^\]]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ document, target, image: bang === '!' });
  for (const [, target] of text.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/g)) links.push({ document, target, image: true });
  return links;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

describe('links in the README, the changelog and docs/', () => {
  const links = DOCUMENTS.flatMap(linksOf);

  it('finds the documents and their links', () => {
    assert.ok(DOCUMENTS.includes('docs/cli.md') && DOCUMENTS.includes('CHANGELOG.md'), DOCUMENTS.join(', '));
    assert.ok(links.length > 50, `${links.length} links`);
  });

  it('every relative link names a file that exists, and every #anchor a heading in it', () => {
    const broken: string[] = [];
    for (const link of links.filter((candidate) => !isExternal(candidate.target))) {
      const [file, anchor] = link.target.split('#', 2) as [string, string | undefined];
      const resolved = file === '' ? path.join(root, link.document) : path.resolve(path.dirname(path.join(root, link.document)), decodeURIComponent(file));
      if (!resolved.startsWith(`${root}${path.sep}`) || !existsSync(resolved)) {
        broken.push(`${link.document}: ${link.target} (no such file)`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!statSync(resolved).isFile() || !resolved.endsWith('.md')) {
        broken.push(`${link.document}: ${link.target} (an anchor into a file that is not Markdown)`);
      } else if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${link.document}: ${link.target} (no heading makes #${anchor})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('the anchors are made as GitHub makes them', () => {
    assert.deepEqual(
      [...anchorsOf('# What `--clean` replaces\n## Over TLS (hosted Supabase)\n## Known limits\n## Known limits\n```sh\n# not a heading\n```\n')],
      ['what---clean-replaces', 'over-tls-hosted-supabase', 'known-limits', 'known-limits-1'],
    );
  });
});
