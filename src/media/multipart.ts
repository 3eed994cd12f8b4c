/*
 * multipart/mixed (RFC 2046 §5.1) as federation media uses it: a JSON metadata part, then the bytes
 * (or a part whose Location header says where to get them).
 */

export interface MultipartPart {
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: Buffer;
}

const CRLF = "\r\n";

/** The boundary parameter of a multipart Content-Type, quoted or not; undefined when absent. */
export function boundaryOf(contentType: string | null): string | undefined {
  if (contentType === null || !/^\s*multipart\/mixed\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/** Splits a multipart body into its parts; undefined when it is not well formed. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) return undefined;
  const parts: MultipartPart[] = [];
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === "--") return parts; // closing delimiter
    if (body.subarray(pos, pos + 2).toString() !== CRLF) return undefined;
    pos += 2;
    const headerEnd = body.indexOf(CRLF + CRLF, pos);
    const next = body.indexOf(Buffer.from(`${CRLF}--${boundary}`), pos);
    if (next < 0) return undefined;
    const headers = new Map<string, string>();
    let bodyStart = pos;
    if (body.subarray(pos, pos + 2).toString() === CRLF) {
      bodyStart = pos + 2; // a part without headers
    } else {
      if (headerEnd < 0 || headerEnd > next) return undefined;
      for (const line of body.subarray(pos, headerEnd).toString("latin1").split(CRLF)) {
        const colon = line.indexOf(":");
        if (colon <= 0) return undefined;
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      bodyStart = headerEnd + 4;
    }
    parts.push({ headers, body: body.subarray(bodyStart, next) });
    pos = next + 2;
  }
}

/** The head and tail framing a streamed two-part answer (JSON metadata, then the bytes). */
export function multipartFrame(
  boundary: string,
  metadata: string,
  partHeaders: Record<string, string>,
): { head: Buffer; tail: Buffer } {
  const headerLines = Object.entries(partHeaders)
    .map(([name, value]) => `${name}: ${value}${CRLF}`)
    .join("");
  const head =
    `--${boundary}${CRLF}Content-Type: application/json${CRLF}${CRLF}${metadata}${CRLF}` +
    `--${boundary}${CRLF}${headerLines}${CRLF}`;
  return { head: Buffer.from(head), tail: Buffer.from(`${CRLF}--${boundary}--${CRLF}`) };
}
