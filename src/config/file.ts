import { readFileSync } from "node:fs";
import { type Document, LineCounter, type Node, isMap, isScalar, isSeq, parseDocument } from "yaml";
import { type PlainObject, isPlainObject, mergeLayer } from "./merge.ts";

export interface ConfigFile {
  /** The file's settings with `null`s already applied (removed); empty when the file is unusable. */
  layer: PlainObject;
  issues: string[];
  /** Where in the file a data path was written, as `file:line`, for error messages. */
  locate(path: readonly PropertyKey[]): string | undefined;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}

/** Offset of the deepest node along `path` that exists in the document (the key, for map entries). */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    let next: unknown;
    let at: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) break;
      at = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      next = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      next = node.items[segment];
      at = (next as Node | undefined)?.range?.[0];
    } else {
      break;
    }
    if (at !== undefined) offset = at;
    if (next === undefined || next === null) break;
    node = next;
  }
  return offset;
}

/** Reads and parses a YAML config file, reporting (not throwing) every problem it finds. */
export function readConfigFile(displayPath: string, absolutePath: string): ConfigFile {
  const none = { layer: {}, locate: () => undefined };
  let text: string;
  try {
    text = readFileSync(absolutePath, "utf8");
  } catch (err) {
    const why =
      errorCode(err) === "ENOENT" ? "file not found" : `cannot read file (${errorCode(err) ?? err})`;
    return { ...none, issues: [`${displayPath}: ${why}`] };
  }

  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: "yes"/"no"/"on" stay strings; duplicate keys are errors.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      return `${displayPath}:${pos.line}:${pos.col}: YAML syntax error: ${e.message}`;
    });
    return { ...none, issues };
  }

  const value: unknown = doc.toJS();
  const locate = (path: readonly PropertyKey[]) => {
    const offset = offsetOf(doc, path);
    return offset === undefined ? undefined : `${displayPath}:${lineCounter.linePos(offset).line}`;
  };
  // An empty file (or one with only comments) means "all defaults".
  if (value === null || value === undefined) return { layer: {}, issues: [], locate };
  if (!isPlainObject(value)) {
    return { ...none, issues: [`${displayPath}: expected a mapping of settings at the top level`] };
  }
  return { layer: mergeLayer({}, value), issues: [], locate };
}
