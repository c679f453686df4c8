/**
 * Building HTML from escaped pieces, shared by the report file and the
 * extension's report view: a plain string is always escaped on its way in,
 * and only markup made here passes through as it is.
 */
import { printableLines } from './format';

/** The one way text enters a page: safe in element content and in quoted attribute values; control characters (and overrides that would reorder the text around them) shown as escapes. */
export function escapeHtml(value: string | number): string {
  return printableLines(String(value)).replace(/[&<>"']/g, (character) => HTML_ENTITIES[character] ?? character);
}

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Markup built from escaped pieces. */
export class Markup {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

/** Nothing (null, undefined, false) renders as nothing, so optional parts read naturally. */
export type Content = string | number | Markup | null | undefined | false | readonly Content[];

export function renderContent(content: Content): string {
  if (content === null || content === undefined || content === false) return '';
  if (content instanceof Markup) return content.html;
  if (Array.isArray(content)) return (content as readonly Content[]).map(renderContent).join('');
  return escapeHtml(content as string | number);
}

/** An element; tag and attribute names are the caller's own, attribute values and content are escaped. */
export function element(tag: string, attributes: Record<string, string | undefined>, ...children: Content[]): Markup {
  return new Markup(`<${tag}${attributeText(attributes)}>${children.map(renderContent).join('')}</${tag}>`);
}

function attributeText(attributes: Record<string, string | undefined>): string {
  return Object.entries(attributes)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
}

export interface HtmlPage {
  /** The page's Content-Security-Policy: what it may load and run. */
  csp: string;
  title: string;
  /** Markup for the head after the title: the page's styles. */
  head: string[];
  bodyAttributes?: Record<string, string>;
  /** The body's markup. */
  body: string;
}

/** A whole page: UTF-8, its Content-Security-Policy, a viewport for narrow panels and its title (escaped), then its own head and body. */
export function htmlPage(page: HtmlPage): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(page.csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    ...page.head,
    '</head>',
    `<body${attributeText(page.bodyAttributes ?? {})}>${page.body}</body>`,
    '</html>',
    '',
  ].join('\n');
}
