import { parseArgs, type ParseArgsConfig } from "node:util";
import type { HearthConfig } from "../config/schema.ts";
import { loadConfig } from "../config/load.ts";
import { UsageError } from "./command.ts";

export const CONFIG_OPTION = { config: { type: "string", short: "c" } } as const;

/** Parses a command's flags, turning node's parse errors into usage errors. */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function loadConfigFrom(path: string | undefined): HearthConfig {
  return loadConfig({ path, env: process.env, cwd: process.cwd() });
}
