import { UsageError, type Command } from "./command.ts";
import { mediaSubcommands } from "./admin/media.ts";
import { roomSubcommands } from "./admin/rooms.ts";
import { withAdminSession } from "./admin/session.ts";
import { flagOpt, parseSubcommand, stringOpt, type AdminSubcommand } from "./admin/subcommand.ts";
import { tokenSubcommands } from "./admin/tokens.ts";
import { userSubcommands } from "./admin/users.ts";

const SUBCOMMANDS: readonly AdminSubcommand[] = [
  ...userSubcommands,
  ...roomSubcommands,
  ...tokenSubcommands,
  ...mediaSubcommands,
];

function usageOf(sub: AdminSubcommand): string {
  return `hearth admin ${sub.area} ${sub.action} ${sub.args} [--json] [--config PATH]`;
}

function overview(): string {
  return [
    "hearth admin <area> <action> [arguments] [--json] [--config PATH]",
    "",
    ...SUBCOMMANDS.map((s) => `  ${`${s.area} ${s.action}`.padEnd(22)}${s.summary}`),
    "",
    "Works with the server running or stopped. Exit codes: 0 ok, 1 refused (user exists, unknown user…),",
    "2 usage or configuration error. Passwords are prompted for (not echoed) unless given.",
  ].join("\n");
}

export const adminCommand: Command = {
  name: "admin",
  summary: "manage users, rooms, registration tokens and media (hearth admin --help)",
  usage: overview(),
  async run(args) {
    const [area, action, ...rest] = args;
    const sub = SUBCOMMANDS.find((s) => s.area === area && s.action === action);
    if (!sub) {
      throw new UsageError(
        area === undefined ? "missing area and action" : `unknown command "${args.slice(0, 2).join(" ")}"`,
      );
    }
    const { values, positionals } = parseSubcommand(sub, rest);
    if (flagOpt(values, "help")) {
      console.log(`${usageOf(sub)}\n\n${sub.summary}`);
      return 0;
    }
    try {
      return await withAdminSession(stringOpt(values, "config"), flagOpt(values, "json"), (s) =>
        sub.run(s, values, positionals),
      );
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`${err.message}\nusage: ${usageOf(sub)}`);
      throw err;
    }
  },
};
