/*
 * OpenGraph from HTML, without a DOM: <meta property|name=… content=…> tags and <title>. Pure and
 * bounded (the caller caps the HTML size), tolerant of attribute order and quoting.
 */

export type OpenGraph = Record<string, string>;

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code =
        name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
  for (const m of tag.matchAll(re)) {
    attrs.set((m[1] ?? "").toLowerCase(), decodeEntities(m[2] ?? m[3] ?? m[4] ?? ""));
  }
  return attrs;
}

const MAX_VALUE_LENGTH = 1000;

/** og:* tags (first wins), with og:title from <title> and og:description from the description meta. */
export function parseOpenGraph(html: string): OpenGraph {
  const og: OpenGraph = {};
  let description: string | undefined;
  for (const m of html.matchAll(/<meta\b[^>]*>/gi)) {
    const attrs = attributes(m[0]);
    const key = attrs.get("property") ?? attrs.get("name");
    const content = attrs.get("content");
    if (key === undefined || content === undefined) continue;
    const value = content.trim().slice(0, MAX_VALUE_LENGTH);
    if (key.startsWith("og:") && !(key in og)) og[key] = value;
    if (key.toLowerCase() === "description") description ??= value;
  }
  if (og["og:title"] === undefined) {
    const title = /<title\b[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
    if (title !== undefined && title.trim() !== "") {
      og["og:title"] = decodeEntities(title).trim().replace(/\s+/g, " ").slice(0, MAX_VALUE_LENGTH);
    }
  }
  if (og["og:description"] === undefined && description !== undefined) og["og:description"] = description;
  return og;
}
