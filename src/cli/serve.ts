import { createHomeserver, type Homeserver } from "../homeserver.ts";
import type { Command } from "./command.ts";
import { CONFIG_OPTION, loadConfigFrom, parseFlags } from "./config-args.ts";

const ADMIN_JOB_POLL_MS = 2_000;

function banner(hs: Homeserver): string {
  const { config } = hs.ctx;
  const lines = [
    `Hearth is running as ${config.server_name}`,
    ...hs.listeners.map((l) => `  listening on ${l.url} (${l.config.resources.join(", ")})`),
    `  data directory: ${config.data_dir}`,
    `  database: ${hs.startup.embeddedDatabase ? `embedded PostgreSQL in ${hs.startup.embeddedDatabase}` : "external PostgreSQL"}`,
    `  signing key: ${hs.ctx.keys.current.keyId}${hs.startup.createdSigningKey ? " (generated now)" : ""}`,
  ];
  const reg = config.registration;
  const tokens = [...(reg.token ? [reg.token] : []), ...reg.tokens];
  if (hs.startup.firstAccountToken) {
    lines.push(
      `  registration: closed; register the first account with the single-use token ${hs.startup.firstAccountToken}`,
    );
  } else if (!reg.enabled) lines.push("  registration: closed");
  else if (tokens.length > 0) lines.push(`  registration: needs a token: ${tokens.join(", ")}`);
  else lines.push("  registration: open");
  return lines.join("\n");
}

export const serveCommand: Command = {
  name: "serve",
  summary: "run the homeserver (the default command)",
  usage: "hearth serve [--config PATH]",
  async run(args) {
    const { values } = parseFlags(args, CONFIG_OPTION);
    const config = loadConfigFrom(values.config);
    const hs = await createHomeserver(config, { roomWriterLock: "wait" });
    try {
      await hs.listen();
      // Room deletions and leaves queued by `hearth admin` while this server owns the room writer.
      hs.ctx.admin.jobs.poll(hs.ctx, ADMIN_JOB_POLL_MS);
    } catch (err) {
      await hs.stop();
      throw err;
    }
    console.log(banner(hs));
    return new Promise<number>((resolve) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) {
          console.error(`${signal} again: exiting without waiting`);
          process.exit(1);
        }
        stopping = true;
        console.log(`${signal}: stopping (draining requests, then the database)…`);
        hs.stop().then(
          () => resolve(0),
          (err: unknown) => {
            console.error("error while stopping:", err);
            resolve(1);
          },
        );
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    });
  },
};
