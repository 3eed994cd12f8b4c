import {
  createRegistrationToken,
  DEFAULT_TOKEN_LENGTH,
  registrationTokens,
  removeRegistrationToken,
  tokenJson,
} from "../../admin/registration-tokens.ts";
import { UsageError } from "../command.ts";
import { countOpt, flagOpt, positionalArgs, stringOpt, type AdminSubcommand } from "./subcommand.ts";

/** --expires: an ISO date or milliseconds since the epoch. */
function expiryOpt(text: string | undefined): number | null {
  if (text === undefined) return null;
  const ms = /^[0-9]+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms))
    throw new UsageError("--expires must be an ISO date or milliseconds since 1970");
  return ms;
}

const tokenCreate: AdminSubcommand = {
  area: "token",
  action: "create",
  args: "[--token TOKEN | --length N] [--uses N] [--expires DATE]",
  summary: "create a registration token (random unless --token)",
  options: {
    token: { type: "string" },
    length: { type: "string" },
    uses: { type: "string" },
    expires: { type: "string" },
  },
  async run(s, values, positionals) {
    positionalArgs(positionals, []);
    const uses = stringOpt(values, "uses");
    const row = await createRegistrationToken(s.hs.ctx, s.actor, {
      token: stringOpt(values, "token"),
      usesAllowed: uses === undefined ? null : countOpt(values, "uses", 0),
      expiryTime: expiryOpt(stringOpt(values, "expires")),
      length: countOpt(values, "length", DEFAULT_TOKEN_LENGTH),
    });
    s.print(row.token, tokenJson(row));
    return 0;
  },
};

const tokenList: AdminSubcommand = {
  area: "token",
  action: "list",
  args: "[--valid | --invalid]",
  summary: "list registration tokens",
  options: { valid: { type: "boolean" }, invalid: { type: "boolean" } },
  async run(s, values, positionals) {
    positionalArgs(positionals, []);
    const valid = flagOpt(values, "valid") ? true : flagOpt(values, "invalid") ? false : undefined;
    const tokens = await registrationTokens(s.hs.ctx, valid);
    const lines = tokens.map(
      (t) =>
        `${t.token}  used ${t.completed}/${t.usesAllowed ?? "unlimited"}  expires ${
          t.expiryTs === null ? "never" : new Date(t.expiryTs).toISOString()
        }`,
    );
    lines.push(`${tokens.length} token(s)`);
    s.print(lines.join("\n"), { registration_tokens: tokens.map(tokenJson) });
    return 0;
  },
};

const tokenDelete: AdminSubcommand = {
  area: "token",
  action: "delete",
  args: "TOKEN",
  summary: "delete a registration token",
  options: {},
  async run(s, _values, positionals) {
    const [token] = positionalArgs(positionals, ["TOKEN"]);
    await removeRegistrationToken(s.hs.ctx, s.actor, token!);
    s.print(`deleted ${token!}`, { token, deleted: true });
    return 0;
  },
};

export const tokenSubcommands: readonly AdminSubcommand[] = [tokenCreate, tokenList, tokenDelete];
