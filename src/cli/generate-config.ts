import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { generateConfigYaml } from "../config/generate.ts";
import { UsageError, type Command } from "./command.ts";
import { parseFlags } from "./config-args.ts";

export const generateConfigCommand: Command = {
  name: "generate-config",
  summary: "write a starter config file",
  usage: "hearth generate-config [--server-name NAME] [--output PATH] [--force]",
  async run(args) {
    const { values } = parseFlags(args, {
      "server-name": { type: "string" },
      output: { type: "string", short: "o" },
      force: { type: "boolean" },
    });
    const yaml = generateConfigYaml({ serverName: values["server-name"] });
    if (!values.output) {
      process.stdout.write(yaml);
      return 0;
    }
    if (existsSync(values.output) && !values.force) {
      throw new UsageError(`${values.output} exists; pass --force to overwrite it`);
    }
    await writeFile(values.output, yaml, { mode: 0o600 });
    console.log(`wrote ${values.output}`);
    return 0;
  },
};
