/*
 * Response headers that make serving user-supplied bytes safe: only the spec's allow-list of types is
 * ever `inline` (spec: "Serving inline content"); everything else (HTML, SVG, JS…) is an attachment,
 * and a sandboxing CSP plus nosniff stop browsers from running it even when opened directly.
 */

const INLINE_TYPES = new Set([
  "text/css",
  "text/plain",
  "text/csv",
  "application/json",
  "application/ld+json",
  "image/jpeg",
  "image/gif",
  "image/png",
  "image/apng",
  "image/webp",
  "image/avif",
  "video/mp4",
  "video/webm",
  "video/ogg",
  "video/quicktime",
  "audio/mp4",
  "audio/webm",
  "audio/aac",
  "audio/mpeg",
  "audio/ogg",
  "audio/wave",
  "audio/wav",
  "audio/x-wav",
  "audio/x-pn-wav",
  "audio/flac",
  "audio/x-flac",
]);

/** `type/subtype` in lower case, without parameters. */
export function essence(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

export function isInlineSafe(contentType: string): boolean {
  return INLINE_TYPES.has(essence(contentType));
}

/** Printable ASCII that needs no escaping inside a quoted-string. */
const PLAIN_FILENAME = /^[\x20-\x7e]+$/;

/** RFC 6266 Content-Disposition; non-ASCII names go in `filename*` (RFC 8187) so no client mangles them. */
export function contentDisposition(contentType: string, filename: string | null): string {
  const kind = isInlineSafe(contentType) ? "inline" : "attachment";
  if (!filename) return kind;
  if (PLAIN_FILENAME.test(filename) && !/["\\]/.test(filename)) return `${kind}; filename="${filename}"`;
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename*=utf-8''${encoded}`;
}

/** Headers every media response carries, whatever its type. */
export const SAFE_MEDIA_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy":
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
  "Cross-Origin-Resource-Policy": "cross-origin",
};
