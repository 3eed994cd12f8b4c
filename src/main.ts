import { ConfigError } from "./config/errors.ts";
import { adminCommand } from "./cli/admin.ts";
import { generateConfigCommand } from "./cli/generate-config.ts";
import { generateKeysCommand } from "./cli/generate-keys.ts";
import { migrateCommand } from "./cli/migrate.ts";
import { serveCommand } from "./cli/serve.ts";
import { UsageError, type Command } from "./cli/command.ts";

const COMMANDS: readonly Command[] = [
  serveCommand,
  adminCommand,
  migrateCommand,
  generateConfigCommand,
  generateKeysCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: hearth <command> [options]    (no command: serve)",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Every command takes --help. Configuration: --config PATH or HEARTH_CONFIG, overridden by HEARTH_* variables.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--help" || first === "-h" || first === "help") {
    console.log(help());
    return 0;
  }
  const named = first !== undefined && !first.startsWith("-");
  const command = named ? COMMANDS.find((c) => c.name === first) : serveCommand;
  if (!command) {
    console.error(`hearth: unknown command "${first}"\n\n${help()}`);
    return 2;
  }
  const args = named ? rest : argv;
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    if (err instanceof UsageError) {
      console.error(`hearth ${command.name}: ${err.message}\nusage: ${command.usage}`);
      return 2;
    }
    console.error(`hearth ${command.name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
