import {
  createOrModifyUser,
  deactivateUser,
  localUserId,
  requireUser,
  resetPassword,
  searchUsers,
  setAdmin,
  userDetailsJson,
  userListJson,
} from "../../admin/users.ts";
import { MatrixError } from "../../errors.ts";
import type { AdminUserRow } from "../../storage/admin/users.ts";
import { passwordFrom } from "./password.ts";
import { userArg } from "./session.ts";
import {
  countOpt,
  flagOpt,
  positionalArgs,
  stringOpt,
  type AdminSubcommand,
  type OptionSpec,
} from "./subcommand.ts";

const PASSWORD_OPTIONS: OptionSpec = {
  password: { type: "string" },
  "password-stdin": { type: "boolean" },
};

function describeUser(u: AdminUserRow): string {
  const flags = [u.isAdmin && "admin", u.deactivated && "deactivated", u.isGuest && "guest"].filter(Boolean);
  return [
    u.userId,
    `  display name: ${u.displayname ?? "(none)"}`,
    `  avatar: ${u.avatarUrl ?? "(none)"}`,
    `  created: ${new Date(u.createdTs).toISOString()}`,
    `  last seen: ${u.lastSeenTs === null ? "never" : new Date(u.lastSeenTs).toISOString()}`,
    `  flags: ${flags.length ? flags.join(", ") : "(none)"}`,
  ].join("\n");
}

const userAdd: AdminSubcommand = {
  area: "user",
  action: "add",
  args: "USER [--password P | --password-stdin] [--admin] [--displayname NAME]",
  summary: "create an account (the password is prompted for when not given)",
  options: { ...PASSWORD_OPTIONS, admin: { type: "boolean" }, displayname: { type: "string" } },
  async run(s, values, positionals) {
    const [arg] = positionalArgs(positionals, ["USER"]);
    const userId = localUserId(s.hs.ctx, userArg(s.hs, arg));
    // Refused before asking for a password: "user exists" is the answer, whatever the password.
    if (await requireUser(s.hs.ctx, userId).catch(() => undefined)) {
      throw new MatrixError(400, "M_USER_IN_USE", `${userId} already exists`);
    }
    const password = await passwordFrom({
      password: stringOpt(values, "password"),
      passwordStdin: flagOpt(values, "password-stdin"),
    });
    const { user } = await createOrModifyUser(s.hs.ctx, s.actor, userId, {
      password,
      logoutDevices: false,
      displayname: stringOpt(values, "displayname"),
      admin: flagOpt(values, "admin"),
    });
    s.print(`created ${user.userId}${user.isAdmin ? " (admin)" : ""}`, userDetailsJson(user));
    return 0;
  },
};

const userList: AdminSubcommand = {
  area: "user",
  action: "list",
  args: "[--name TEXT] [--admins] [--deactivated] [--no-guests] [--from N] [--limit N]",
  summary: "list accounts (deactivated ones only with --deactivated)",
  options: {
    name: { type: "string" },
    admins: { type: "boolean" },
    deactivated: { type: "boolean" },
    "no-guests": { type: "boolean" },
    from: { type: "string" },
    limit: { type: "string" },
  },
  async run(s, values, positionals) {
    positionalArgs(positionals, []);
    const from = countOpt(values, "from", 0);
    const { users, total } = await searchUsers(s.hs.ctx, {
      nameContains: stringOpt(values, "name"),
      guests: !flagOpt(values, "no-guests"),
      deactivated: flagOpt(values, "deactivated"),
      admins: flagOpt(values, "admins") ? true : undefined,
      orderBy: "name",
      backwards: false,
      from,
      limit: countOpt(values, "limit", 100),
    });
    const lines = users.map(
      (u) =>
        `${u.userId}${u.displayname ? `  "${u.displayname}"` : ""}${u.isAdmin ? "  admin" : ""}${u.deactivated ? "  deactivated" : ""}`,
    );
    lines.push(`${users.length} of ${total} account(s)`);
    s.print(lines.join("\n"), { users: users.map(userListJson), total });
    return 0;
  },
};

const userShow: AdminSubcommand = {
  area: "user",
  action: "show",
  args: "USER",
  summary: "show an account",
  options: {},
  async run(s, _values, positionals) {
    const [arg] = positionalArgs(positionals, ["USER"]);
    const user = await requireUser(s.hs.ctx, localUserId(s.hs.ctx, userArg(s.hs, arg)));
    s.print(describeUser(user), userDetailsJson(user));
    return 0;
  },
};

const userModify: AdminSubcommand = {
  area: "user",
  action: "modify",
  args: "USER [--displayname NAME] [--avatar-url MXC] [--admin | --no-admin] [--deactivate | --reactivate] [--password P | --password-stdin | --new-password] [--keep-devices]",
  summary: "change an account (an empty --displayname or --avatar-url removes it)",
  options: {
    ...PASSWORD_OPTIONS,
    "new-password": { type: "boolean" },
    displayname: { type: "string" },
    "avatar-url": { type: "string" },
    admin: { type: "boolean" },
    "no-admin": { type: "boolean" },
    deactivate: { type: "boolean" },
    reactivate: { type: "boolean" },
    "keep-devices": { type: "boolean" },
  },
  async run(s, values, positionals) {
    const [arg] = positionalArgs(positionals, ["USER"]);
    const userId = localUserId(s.hs.ctx, userArg(s.hs, arg));
    await requireUser(s.hs.ctx, userId);
    const wantsPassword =
      flagOpt(values, "new-password") ||
      flagOpt(values, "password-stdin") ||
      stringOpt(values, "password") !== undefined;
    const password = wantsPassword
      ? await passwordFrom({
          password: stringOpt(values, "password"),
          passwordStdin: flagOpt(values, "password-stdin"),
        })
      : undefined;
    const { user } = await createOrModifyUser(s.hs.ctx, s.actor, userId, {
      password,
      logoutDevices: !flagOpt(values, "keep-devices"),
      displayname: stringOpt(values, "displayname"),
      avatarUrl: stringOpt(values, "avatar-url"),
      admin: flagOpt(values, "admin") ? true : flagOpt(values, "no-admin") ? false : undefined,
      deactivated: flagOpt(values, "deactivate") ? true : flagOpt(values, "reactivate") ? false : undefined,
    });
    s.print(describeUser(user), userDetailsJson(user));
    return 0;
  },
};

const userDeactivate: AdminSubcommand = {
  area: "user",
  action: "deactivate",
  args: "USER [--erase]",
  summary: "deactivate an account: devices logged out, rooms left; --erase also forgets password and profile",
  options: { erase: { type: "boolean" } },
  async run(s, values, positionals) {
    const [arg] = positionalArgs(positionals, ["USER"]);
    const userId = localUserId(s.hs.ctx, userArg(s.hs, arg));
    await requireUser(s.hs.ctx, userId);
    const { leavesQueued } = await deactivateUser(s.hs.ctx, s.actor, userId, {
      erase: flagOpt(values, "erase"),
    });
    s.print(
      `deactivated ${userId}${leavesQueued ? " (the running server will make it leave its rooms)" : ""}`,
      {
        user_id: userId,
        deactivated: true,
        erased: flagOpt(values, "erase"),
        room_leaves_queued: leavesQueued,
      },
    );
    return 0;
  },
};

const userResetPassword: AdminSubcommand = {
  area: "user",
  action: "reset-password",
  args: "USER [--password P | --password-stdin] [--keep-devices]",
  summary: "set a new password (prompted when not given); logs every device out unless --keep-devices",
  options: { ...PASSWORD_OPTIONS, "keep-devices": { type: "boolean" } },
  async run(s, values, positionals) {
    const [arg] = positionalArgs(positionals, ["USER"]);
    const userId = localUserId(s.hs.ctx, userArg(s.hs, arg));
    await requireUser(s.hs.ctx, userId);
    const password = await passwordFrom({
      password: stringOpt(values, "password"),
      passwordStdin: flagOpt(values, "password-stdin"),
    });
    const logoutDevices = !flagOpt(values, "keep-devices");
    await resetPassword(s.hs.ctx, s.actor, userId, password, logoutDevices);
    s.print(`password of ${userId} changed${logoutDevices ? "; its devices are logged out" : ""}`, {
      user_id: userId,
      logout_devices: logoutDevices,
    });
    return 0;
  },
};

const userMakeAdmin: AdminSubcommand = {
  area: "user",
  action: "make-admin",
  args: "USER [--revoke]",
  summary: "make the account a server admin (--revoke: no longer one)",
  options: { revoke: { type: "boolean" } },
  async run(s, values, positionals) {
    const [arg] = positionalArgs(positionals, ["USER"]);
    const userId = localUserId(s.hs.ctx, userArg(s.hs, arg));
    const admin = !flagOpt(values, "revoke");
    await setAdmin(s.hs.ctx, s.actor, userId, admin);
    s.print(`${userId} is ${admin ? "now" : "no longer"} a server admin`, { user_id: userId, admin });
    return 0;
  },
};

export const userSubcommands: readonly AdminSubcommand[] = [
  userAdd,
  userList,
  userShow,
  userModify,
  userDeactivate,
  userResetPassword,
  userMakeAdmin,
];
