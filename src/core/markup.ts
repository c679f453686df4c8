/**
 * Building HTML from escaped pieces, shared by the report file and the
 * extension's report view: a plain string is always escaped on its way in,
 * and only markup made here passes through as it is.
 */

/** The one way text enters a page: safe in element content and in quoted attribute values. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (character) => HTML_ENTITIES[character] ?? character);
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
  const attributeText = Object.entries(attributes)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  return new Markup(`<${tag}${attributeText}>${children.map(renderContent).join('')}</${tag}>`);
}
