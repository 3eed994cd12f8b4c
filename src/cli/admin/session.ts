import { userInfo } from "node:os";
import pino from "pino";
import { MatrixError } from "../../errors.ts";
import { ConfigError } from "../../config/errors.ts";
import { createHomeserver, type Homeserver } from "../../homeserver.ts";
import { UsageError } from "../command.ts";
import { loadConfigFrom } from "../config-args.ts";

/** What an admin subcommand works with: the homeserver's services, without listeners. */
export interface AdminSession {
  hs: Homeserver;
  /** `cli:<os user>`: how admin actions from the CLI appear in the log and the database. */
  actor: string;
  json: boolean;
  /** Prints a result: JSON with --json, else the human text. */
  print(human: string, json: unknown): void;
}

/** A Matrix error's exit code: 1, a runtime refusal (user exists, unknown user, bad value). */
function describe(err: MatrixError): string {
  return `${err.message} (${err.errcode})`;
}

/**
 * Opens the configured database through the same services the server uses (no listeners, no banner,
 * no first-account token), runs `fn`, and maps failures to exit codes: 2 for usage and configuration
 * errors, 1 for runtime ones. With another process writing rooms (a running server), room changes are
 * queued for it rather than written here.
 */
export async function withAdminSession(
  configPath: string | undefined,
  json: boolean,
  fn: (s: AdminSession) => Promise<number>,
): Promise<number> {
  let hs: Homeserver | undefined;
  try {
    const config = loadConfigFrom(configPath);
    // Admin actions are logged like the server's, on stderr so stdout stays for results.
    const logger = pino(
      { level: config.log.level, base: { server: config.server_name } },
      pino.destination(2),
    );
    try {
      hs = await createHomeserver(config, { roomWriterLock: "try", firstAccountToken: false, logger });
    } catch (err) {
      if (!config.database.url && err instanceof Error && err.message.startsWith("embedded PostgreSQL")) {
        throw new Error(
          `${err.message}\nThe embedded database is in use, probably by a running server: stop it, or use the ` +
            "admin API (/_synapse/admin) while it runs.",
        );
      }
      throw err;
    }
    const session: AdminSession = {
      hs,
      actor: `cli:${userInfo().username}`,
      json,
      print(human, value) {
        console.log(json ? JSON.stringify(value, null, 2) : human);
      },
    };
    return await fn(session);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    if (err instanceof UsageError) throw err;
    if (err instanceof MatrixError) {
      console.error(`hearth admin: ${describe(err)}`);
      return 1;
    }
    throw err;
  } finally {
    await hs?.stop();
  }
}

/** A user from the command line: a full id, or a localpart on this server. */
export function userArg(hs: Homeserver, arg: string | undefined): string {
  if (arg === undefined || arg === "") throw new UsageError("missing user (a localpart or @user:server)");
  return arg.startsWith("@") ? arg : `@${arg}:${hs.ctx.serverName}`;
}
