import { dirname, resolve } from "node:path";
import { CONFIG_PATH_VARIABLE, envLayers } from "./env.ts";
import { ConfigError } from "./errors.ts";
import { type ConfigFile, readConfigFile } from "./file.ts";
import { explainIssues, formatPath, parseErrorMap } from "./issues.ts";
import { type PlainObject, isPlainObject, mergeLayer, suppliesPath } from "./merge.ts";
import { resolvePaths } from "./paths.ts";
import { type HearthConfig, hearthConfigSchema } from "./schema.ts";

export interface LoadConfigOptions {
  /** YAML config file, relative to `cwd`. Defaults to `env.HEARTH_CONFIG`; neither means all defaults. */
  path?: string;
  /**
   * Source of `HEARTH_*` overrides. Defaults to none, not process.env, so a homeserver built in a test
   * never picks up the developer's shell; the CLI passes process.env.
   */
  env?: NodeJS.ProcessEnv;
  /** Base for a relative `path`, and for relative paths in the config when there is no file. */
  cwd?: string;
  /** Merged over everything else (objects key by key, arrays replaced, null resets to the default). */
  overrides?: unknown;
}

/**
 * Builds the configuration from defaults ← file ← environment ← overrides, validates it, and resolves
 * its paths. Throws ConfigError listing every problem found in any source.
 */
export function loadConfig(opts: LoadConfigOptions = {}): HearthConfig {
  const env = opts.env ?? {};
  const cwd = opts.cwd ?? process.cwd();
  const issues: string[] = [];

  // `||`, not `??`: an empty path (e.g. HEARTH_CONFIG="") means "no file", not "the directory".
  const filePath = opts.path || env[CONFIG_PATH_VARIABLE] || undefined;
  let file: ConfigFile | undefined;
  let baseDir = cwd;
  let merged: PlainObject = {};
  if (filePath !== undefined) {
    const absolute = resolve(cwd, filePath);
    baseDir = dirname(absolute);
    file = readConfigFile(filePath, absolute);
    issues.push(...file.issues);
    merged = file.layer;
  }

  const fromEnv = envLayers(env);
  issues.push(...fromEnv.issues);
  for (const { layer } of fromEnv.layers) merged = mergeLayer(merged, layer);

  if (isPlainObject(opts.overrides)) merged = mergeLayer(merged, opts.overrides);
  else if (opts.overrides !== undefined) issues.push("overrides: expected a plain object");

  // Names the source that supplied the offending value; the last layer to supply it is the one that won.
  const origin = (path: readonly PropertyKey[]): string => {
    if (suppliesPath(opts.overrides, path)) return " (from overrides)";
    const variable = fromEnv.layers.findLast(({ layer }) => suppliesPath(layer, path))?.variable;
    if (variable !== undefined) return ` (from ${variable})`;
    const where = file?.locate(path);
    return where === undefined ? "" : ` (${where})`;
  };

  const result = hearthConfigSchema.safeParse(merged, { error: parseErrorMap });
  if (!result.success) {
    for (const { path, message, missing } of explainIssues(result.error.issues)) {
      issues.push(`${formatPath(path)}: ${message}${origin(missing ? path.slice(0, -1) : path)}`);
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return resolvePaths(result.data, baseDir);
}
