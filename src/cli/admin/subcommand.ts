import { parseArgs } from "node:util";
import { UsageError } from "../command.ts";
import type { AdminSession } from "./session.ts";

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;
export type Values = Record<string, string | boolean | undefined>;

/** One `hearth admin <area> <action>`. */
export interface AdminSubcommand {
  area: string;
  action: string;
  /** Positional arguments and options, for --help and usage errors. */
  args: string;
  summary: string;
  options: OptionSpec;
  /** Runs against an open session; returns the exit code. */
  run(s: AdminSession, values: Values, positionals: string[]): Promise<number>;
}

/** Options every subcommand takes. */
export const COMMON_OPTIONS: OptionSpec = {
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export function parseSubcommand(
  sub: AdminSubcommand,
  args: string[],
): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...sub.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function stringOpt(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export const flagOpt = (values: Values, name: string): boolean => values[name] === true;

/** A non-negative integer option. */
export function countOpt(values: Values, name: string, fallback: number): number {
  const v = stringOpt(values, name);
  if (v === undefined) return fallback;
  if (!/^[0-9]{1,15}$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer`);
  return Number(v);
}

/** Exactly `n` positionals, named in the usage error. */
export function positionalArgs(positionals: string[], names: string[]): string[] {
  if (positionals.length !== names.length) {
    throw new UsageError(`expected ${names.length === 0 ? "no arguments" : names.join(" ")}`);
  }
  return positionals;
}
