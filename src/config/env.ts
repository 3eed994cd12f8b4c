import { fieldKind } from "./introspect.ts";
import { type PlainObject, nest } from "./merge.ts";

const PREFIX = "HEARTH_";
/** Names the config file; not a config key itself. */
export const CONFIG_PATH_VARIABLE = "HEARTH_CONFIG";

export interface EnvLayers {
  /**
   * One layer per variable, to merge in order. Kept separate because an empty variable is a `null`
   * that must reach the file's value to remove it; merging the layers together first would drop it.
   */
  layers: Array<{ variable: string; layer: PlainObject }>;
  issues: string[];
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function parseValue(raw: string, kind: string): Parsed {
  switch (kind) {
    case "boolean": {
      const lower = raw.trim().toLowerCase();
      if (lower === "true" || lower === "false") return { ok: true, value: lower === "true" };
      return { ok: false, message: "expected true or false" };
    }
    case "number":
      return NUMBER.test(raw.trim())
        ? { ok: true, value: Number(raw) }
        : { ok: false, message: "expected a number" };
    case "object":
    case "array":
      try {
        return { ok: true, value: JSON.parse(raw) as unknown };
      } catch {
        return { ok: false, message: `expected JSON (an ${kind})` };
      }
    default:
      return { ok: true, value: raw };
  }
}

/**
 * Turns `HEARTH_*` variables into config layers: `HEARTH_A__B_C` sets `a.b_c`, the value read as the
 * schema's type at that key. An empty value unsets the key, so its default applies (an unset variable
 * in a compose file arrives as ""). Only `env` is read, never process.env, so callers and tests decide
 * what the loader sees.
 */
export function envLayers(env: NodeJS.ProcessEnv): EnvLayers {
  const issues: string[] = [];
  // Parents before children, so HEARTH_DATABASE__URL refines whatever HEARTH_DATABASE set.
  const entries = Object.entries(env)
    .filter(([name]) => name.startsWith(PREFIX) && name !== CONFIG_PATH_VARIABLE)
    .map(([name, raw]) => ({ name, raw, keys: name.slice(PREFIX.length).toLowerCase().split("__") }))
    .sort((a, b) => a.keys.length - b.keys.length || a.name.localeCompare(b.name));

  const layers: EnvLayers["layers"] = [];
  for (const { name, raw, keys } of entries) {
    const kind = fieldKind(keys);
    if (kind === undefined) {
      issues.push(`${name}: unknown setting (no config key ${keys.join(".")})`);
      continue;
    }
    if (raw === undefined) continue;
    const parsed: Parsed = raw === "" ? { ok: true, value: null } : parseValue(raw, kind);
    if (parsed.ok) {
      layers.push({ variable: name, layer: nest(keys, parsed.value) });
    } else {
      issues.push(`${name}: ${parsed.message} for ${keys.join(".")}`);
    }
  }
  return { layers, issues };
}
