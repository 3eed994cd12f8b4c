import { signingKeyPath } from "../homeserver.ts";
import { loadOrCreateServerKeys, rotateServerKeys } from "../keys/signing-key-file.ts";
import type { Command } from "./command.ts";
import { CONFIG_OPTION, loadConfigFrom, parseFlags } from "./config-args.ts";

export const generateKeysCommand: Command = {
  name: "generate-keys",
  summary: "create the signing key if missing, or --rotate to replace it (the old one stays published)",
  usage: "hearth generate-keys [--config PATH] [--rotate]",
  async run(args) {
    const { values } = parseFlags(args, { ...CONFIG_OPTION, rotate: { type: "boolean" } });
    const file = signingKeyPath(loadConfigFrom(values.config));
    if (values.rotate) {
      const keys = await rotateServerKeys(file, Date.now());
      console.log(`new signing key ${keys.current.keyId} in ${file}; ${keys.old.length} old key(s) kept`);
      return 0;
    }
    const { keys, created } = await loadOrCreateServerKeys(file);
    console.log(`${created ? "created" : "kept existing"} signing key ${keys.current.keyId} in ${file}`);
    return 0;
  },
};
