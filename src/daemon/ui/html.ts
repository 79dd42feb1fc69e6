/**
 * HTML built by a tagged template that escapes every interpolated value.
 *
 * `html\`<p>${text}</p>\`` escapes `text` (`&`, `<`, `>`, `"`, `'`), so text from anywhere (a remote
 * peer's job, a dataset's description, a rejection reason) can only ever be text. Only values that
 * are already {@link Html} (built by this template, or {@link raw} for constant markup) pass as
 * they are; arrays are joined, `undefined`, `null` and `false` render as nothing. Attribute values
 * must be quoted in the template (`href="${url}"`): escaping covers both quote kinds.
 */

/** A piece of markup that is safe to send: built by {@link html} or {@link raw}. */
export class Html {
  /** The markup. */
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  /** The markup (so that `String(h)` works). */
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` with the characters that mean something in HTML replaced by entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** What an interpolation may hold. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v === undefined || v === null || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(v));
}

/** The tagged template: constant parts as they are, every value escaped (see the module comment). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Constant markup written in this code (never text from outside). */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** A URL path segment (job id, dataset name) escaped for a link. */
export function pathPart(s: string): string {
  return encodeURIComponent(s);
}
