import pino, { type Logger } from "pino";

export type { Logger };

export interface LogOptions {
  level: string;
  format: "json" | "pretty";
}

export function createLogger(opts: LogOptions, bindings: Record<string, unknown> = {}): Logger {
  const transport =
    opts.format === "pretty" ? { target: "pino-pretty", options: { colorize: true } } : undefined;
  return pino({ level: opts.level, base: bindings, transport });
}
