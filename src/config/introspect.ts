import type { z } from "zod";
import { hearthConfigSchema } from "./schema.ts";

/*
 * Reads the schema's structure so that environment overrides, unknown-key suggestions and the
 * example-coverage test all follow the schema instead of a hand-kept list of keys.
 */

export type FieldKind = "object" | "array" | "boolean" | "number" | "string";

type Schema = z.core.$ZodType;

/** Strips wrappers (default, optional, refinements, transforms) down to the type users write. */
function core(schema: Schema): Schema {
  const s = schema as z.core.$ZodTypes;
  const def = s._zod.def;
  switch (def.type) {
    case "default":
    case "prefault":
    case "optional":
    case "nullable":
    case "readonly":
    case "catch":
      return core(def.innerType);
    case "pipe":
      // A preprocess is pipe(transform, target): the target says what is expected. Otherwise the
      // input side is what users write (e.g. a string later normalised).
      return core(def.in._zod.def.type === "transform" ? def.out : def.in);
    default:
      return s;
  }
}

function kindOf(schema: Schema): FieldKind | undefined {
  const type = schema._zod.def.type;
  if (type === "enum" || type === "literal") return "string";
  if (type === "object" || type === "array" || type === "boolean" || type === "number" || type === "string") {
    return type;
  }
  return undefined;
}

function shapeOf(schema: Schema): Record<string, Schema> | undefined {
  const s = core(schema) as z.core.$ZodTypes;
  return s._zod.def.type === "object" ? s._zod.def.shape : undefined;
}

/** The schema at a key path (object keys only; arrays are leaves), or undefined if there is none. */
export function schemaAt(keys: readonly string[], root: Schema = hearthConfigSchema): Schema | undefined {
  let current: Schema = root;
  for (const key of keys) {
    const shape = shapeOf(current);
    if (shape === undefined || !Object.hasOwn(shape, key)) return undefined;
    current = shape[key] as Schema;
  }
  return core(current);
}

export function fieldKind(keys: readonly string[]): FieldKind | undefined {
  const schema = schemaAt(keys);
  return schema === undefined ? undefined : kindOf(schema);
}

/** Key names allowed in the object at a data path (array indices skipped), for "did you mean". */
export function keysAt(path: readonly PropertyKey[]): string[] {
  let current: Schema | undefined = core(hearthConfigSchema);
  for (const segment of path) {
    if (current === undefined) return [];
    const s = current as z.core.$ZodTypes;
    if (typeof segment === "number" && s._zod.def.type === "array") current = core(s._zod.def.element);
    else current = schemaAt([String(segment)], current);
  }
  const shape = current === undefined ? undefined : shapeOf(current);
  return shape === undefined ? [] : Object.keys(shape);
}

/**
 * Every key path in the schema, dotted (`database.url`, `listeners.tls.cert`): objects are descended,
 * and so are the objects inside arrays (listed without an index).
 */
export function allKeyPaths(root: Schema = hearthConfigSchema, prefix = ""): string[] {
  const paths: string[] = [];
  const shape = shapeOf(root);
  if (shape === undefined) return paths;
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix + key;
    paths.push(path);
    const c = core(child) as z.core.$ZodTypes;
    const inner = c._zod.def.type === "array" ? c._zod.def.element : c;
    paths.push(...allKeyPaths(inner, `${path}.`));
  }
  return paths;
}
