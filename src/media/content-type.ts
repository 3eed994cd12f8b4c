import { invalidParam } from "../errors.ts";
import { essence } from "./content-headers.ts";

/*
 * The declared Content-Type of an upload against what its bytes are. Clients label encrypted files
 * application/octet-stream and plain text as they like, so only two lies are refused: bytes of one
 * kind declared as another kind (a ZIP declared image/png), and a raster image type declared for bytes
 * that are no image at all. A mislabelled subtype within the same kind (PNG declared image/jpeg) is
 * corrected to what the bytes are.
 */

const TOKEN = "[A-Za-z0-9!#$&^_.+-]+";
const CONTENT_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(\\s*;.*)?$`);

/** Types file-type reliably recognises: declaring one of these requires bytes that match. */
const SNIFFABLE_IMAGES = new Set([
  "image/jpeg",
  "image/png",
  "image/gif",
  "image/webp",
  "image/avif",
  "image/apng",
]);

// eslint-disable-next-line no-control-regex -- refusing control characters is the point here
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Header-bound values (types, file names) must not carry control characters. */
export const hasControlChars = (value: string): boolean => CONTROL_CHARS.test(value);

const GENERIC = new Set(["application/octet-stream", "binary/octet-stream"]);

export function parseDeclaredType(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const value = header.trim();
  if (value.length > 255 || !CONTENT_TYPE.test(value) || hasControlChars(value)) {
    throw invalidParam("Content-Type is not a valid media type");
  }
  return value;
}

/** Generic containers that many declared types legitimately are (SVG is XML, DOCX is ZIP). */
const CONTAINERS = new Set(["application/xml", "text/xml", "application/zip", "application/x-cfb"]);

/** Audio and video share containers (MP4, Ogg, WebM), so they count as one kind. */
function kind(type: string): string {
  const major = essence(type).split("/")[0] ?? "";
  return major === "audio" || major === "video" ? "av" : major;
}

/** The type to store, or 400 M_INVALID_PARAM when the declared type lies about the bytes. */
export function decideContentType(declared: string | undefined, sniffed: string | undefined): string {
  if (declared === undefined || GENERIC.has(essence(declared))) return sniffed ?? "application/octet-stream";
  const wanted = essence(declared);
  if (SNIFFABLE_IMAGES.has(wanted) && (sniffed === undefined || kind(sniffed) !== "image")) {
    throw invalidParam(`Content is not ${wanted} as declared`);
  }
  if (sniffed === undefined || wanted === essence(sniffed) || CONTAINERS.has(sniffed)) return declared;
  if (kind(declared) !== kind(sniffed)) {
    throw invalidParam(`Content is ${essence(sniffed)}, not ${wanted} as declared`);
  }
  return sniffed;
}
