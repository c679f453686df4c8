/**
 * `npm run package`: the extension's .vsix, whose README and CHANGELOG are
 * the extension's details page and its Changelog tab. VS Code draws that
 * page in a webview whose content security policy takes pictures only from
 * `https:` and `data:`, and resolves a relative path against the webview's
 * own page, not the installed extension: a picture the README names as
 * `media/screenshots/…` shows broken, and a relative link opens nothing
 * (checked in code-server 4.100 / VS Code 1.100 by `npm run test:e2e`). The
 * project has no public https home to point at, so the packaged copies are
 * made to stand alone: every relative picture inlined as a `data:` URI (its
 * bytes, from the repository), and every relative link turned into its words
 * and the path it names in the repository. README.md in the repository
 * keeps its relative pictures and links, which work there.
 *
 * Extra arguments go to `vsce package` (e.g. `-o FILE`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const PICTURE_TYPES: Readonly<Record<string, string>> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

/** Where the packaged README is written (dist/ is ignored by git). */
export const PACKAGED_DOCS_DIR = path.join('dist', 'package');

function isRelative(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#');
}

/**
 * The Markdown of `file` (relative to `root`) as the details page can show
 * it: relative pictures inlined, relative links made text. Fenced code
 * blocks are left as they are.
 */
export function standAloneMarkdown(markdown: string, root: string, file: string): string {
  const folder = path.dirname(path.join(root, file));
  const pieces = markdown.split(/(^```[^\n]*\n[\s\S]*?^```[^\n]*$)/m);
  return pieces
    .map((piece, index) => {
      if (index % 2 === 1) return piece;
      return piece
        .replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, alt: string, target: string) => {
          if (!isRelative(target)) return whole;
          const picture = path.resolve(folder, decodeURIComponent(target));
          const type = PICTURE_TYPES[path.extname(picture).toLowerCase()];
          // vsce refuses SVG in a README, and VS Code would not draw it from data: either.
          if (!type) throw new Error(`${file}: the picture ${target} is not PNG, JPEG, GIF or WebP, so the details page cannot show it`);
          return `![${alt}](data:${type};base64,${readFileSync(picture).toString('base64')})`;
        })
        .replace(/(?<!!)\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, text: string, target: string) => {
          if (!isRelative(target)) return whole;
          const named = target.split('#')[0];
          const words = text.replace(/`/g, '');
          return words === named ? `\`${named}\`` : `${text} (\`${named}\`)`;
        });
    })
    .join('');
}

/**
 * Writes the packaged README under `root`; returns its path relative to it,
 * as vsce takes it. The CHANGELOG (the Changelog tab) is packed as it is:
 * vsce packs a --changelog-path only when package.json's files lists it, and
 * test/unit/packagedReadme.test.ts checks it needs nothing made to stand alone.
 */
export function writePackagedReadme(root: string): string {
  mkdirSync(path.join(root, PACKAGED_DOCS_DIR), { recursive: true });
  const readme = path.join(PACKAGED_DOCS_DIR, 'README.md');
  writeFileSync(path.join(root, readme), standAloneMarkdown(readFileSync(path.join(root, 'README.md'), 'utf8'), root, 'README.md'));
  return readme;
}

/** The arguments of `vsce package` for this project, the packaged README among them. */
export function vscePackageArgs(readme: string, extra: readonly string[] = []): string[] {
  // No dependencies (the bundles hold them), no repository to link to, and links already made to stand alone.
  return ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--readme-path', readme, ...extra];
}

if (require.main === module) {
  const root = path.join(__dirname, '..');
  const readme = writePackagedReadme(root);
  execFileSync(path.join(root, 'node_modules', '.bin', 'vsce'), vscePackageArgs(readme, process.argv.slice(2)), { cwd: root, stdio: 'inherit' });
}
