import { isJsonObject, type JsonObject, type JsonValue } from "../core/json.ts";

/**
 * Dot-separated property paths (spec appendix): `\.` is a literal dot and `\\` a literal backslash;
 * any other backslash is kept as is, because the spec reserves other escapes and says to read them
 * literally.
 */
export function parseDotPath(path: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    const next = path[i + 1];
    if (ch === "\\" && (next === "." || next === "\\")) {
      current += next;
      i++;
    } else if (ch === ".") {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * Keeps only the listed paths of `event` (filter `event_fields`). A path through a non-object, or to
 * a missing key, contributes nothing; the spec lets a server include more than asked, never less of
 * what exists.
 */
export function projectEventFields(event: JsonObject, paths: readonly (readonly string[])[]): JsonObject {
  const out: JsonObject = {};
  // A path under one taken whole adds nothing, and writing into it would mutate the event.
  const isCovered = (path: readonly string[]): boolean =>
    paths.some((p) => p.length < path.length && p.every((k, i) => k === path[i]));
  for (const path of paths) {
    if (isCovered(path)) continue;
    let src: JsonValue | undefined = event;
    for (const key of path) {
      src = isJsonObject(src) && Object.hasOwn(src, key) ? src[key] : undefined;
      if (src === undefined) break;
    }
    if (src === undefined || path.length === 0) continue;
    let dst = out;
    for (const key of path.slice(0, -1)) {
      const existing = dst[key];
      if (!isJsonObject(existing)) dst[key] = {};
      dst = dst[key] as JsonObject;
    }
    dst[path[path.length - 1]!] = src;
  }
  return out;
}
