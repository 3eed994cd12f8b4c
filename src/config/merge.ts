/*
 * Layering of config sources (file, then environment, then programmatic overrides). Objects merge
 * key by key; arrays and scalars replace. `null` removes a key so its default applies again: YAML
 * writes an empty section (`redis:` with every child commented out) as null, and an empty
 * environment variable means "unset".
 */

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// defineProperty rather than assignment, so a "__proto__" key from YAML or JSON stays an ordinary
// (and, to the strict schema, unknown) key instead of replacing the prototype.
function setOwn(target: PlainObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Returns a new object: `base` with `layer` merged over it. Neither argument is modified. */
export function mergeLayer(base: PlainObject, layer: PlainObject): PlainObject {
  const out: PlainObject = {};
  for (const [key, value] of Object.entries(base)) setOwn(out, key, value);
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    if (value === null) {
      delete out[key];
      continue;
    }
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    if (isPlainObject(value)) {
      setOwn(out, key, mergeLayer(isPlainObject(existing) ? existing : {}, value));
    } else {
      setOwn(out, key, value);
    }
  }
  return out;
}

/** Builds `{a: {b: value}}` from `["a", "b"]`, for merging one environment variable as a layer. */
export function nest(keys: readonly string[], value: unknown): PlainObject {
  let out: unknown = value;
  for (let i = keys.length - 1; i >= 0; i--) {
    const wrapper: PlainObject = {};
    setOwn(wrapper, keys[i] as string, out);
    out = wrapper;
  }
  return out as PlainObject;
}

/** True when `layer` supplies a value at `path` or at one of its ancestors. */
export function suppliesPath(layer: unknown, path: readonly PropertyKey[]): boolean {
  if (!isPlainObject(layer)) return false;
  let current: unknown = layer;
  for (const segment of path) {
    // A scalar where the path continues: this layer replaced the whole ancestor.
    if (!isPlainObject(current) && !Array.isArray(current)) return true;
    if (!Object.hasOwn(current, segment)) return false;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current !== undefined;
}
