import {
  deleteLocalMedia,
  deleteUserMedia,
  mediaKeyFromText,
  purgeRemoteMedia,
  quarantineUserMedia,
  setMediaQuarantined,
} from "../../admin/media.ts";
import { localUserId } from "../../admin/users.ts";
import { UsageError } from "../command.ts";
import { userArg, type AdminSession } from "./session.ts";
import { countOpt, flagOpt, stringOpt, type AdminSubcommand, type Values } from "./subcommand.ts";

/** Either one media item (a positional mxc URI) or --user, not both. */
function target(s: AdminSession, values: Values, positionals: string[]): { mxc?: string; userId?: string } {
  const user = stringOpt(values, "user");
  if ((user === undefined) === (positionals.length === 0) || positionals.length > 1) {
    throw new UsageError("give one mxc://server/id or --user USER");
  }
  return user === undefined
    ? { mxc: positionals[0] }
    : { userId: localUserId(s.hs.ctx, userArg(s.hs, user)) };
}

const mediaQuarantine: AdminSubcommand = {
  area: "media",
  action: "quarantine",
  args: "(MXC_URI | --user USER) [--release]",
  summary: "stop serving a media item, or everything a user uploaded (--release: serve it again)",
  options: { user: { type: "string" }, release: { type: "boolean" } },
  async run(s, values, positionals) {
    const t = target(s, values, positionals);
    const release = flagOpt(values, "release");
    let count: number;
    if (t.userId !== undefined) {
      if (release) throw new UsageError("--release works on one item at a time");
      count = await quarantineUserMedia(s.hs.ctx, s.actor, t.userId);
    } else {
      count = await setMediaQuarantined(s.hs.ctx, s.actor, mediaKeyFromText(t.mxc!), !release);
    }
    s.print(`${release ? "released" : "quarantined"} ${count} item(s)`, {
      num_quarantined: release ? 0 : count,
    });
    return 0;
  },
};

const mediaDelete: AdminSubcommand = {
  area: "media",
  action: "delete",
  args: "(MXC_URI | --user USER)",
  summary: "delete a local media item, or everything a user uploaded, bytes and thumbnails included",
  options: { user: { type: "string" } },
  async run(s, values, positionals) {
    const t = target(s, values, positionals);
    let deleted: string[];
    if (t.userId !== undefined) deleted = await deleteUserMedia(s.hs.ctx, s.actor, t.userId);
    else {
      const key = mediaKeyFromText(t.mxc!);
      await deleteLocalMedia(s.hs.ctx, s.actor, key);
      deleted = [key.mediaId];
    }
    s.print(`deleted ${deleted.length} item(s)`, { deleted_media: deleted, total: deleted.length });
    return 0;
  },
};

const DAY_MS = 86_400_000;

const mediaPurgeRemote: AdminSubcommand = {
  area: "media",
  action: "purge-remote",
  args: "(--before DATE | --days N)",
  summary: "drop cached remote media not used since DATE (or for N days); it is fetched again on demand",
  options: { before: { type: "string" }, days: { type: "string" } },
  async run(s, values, positionals) {
    if (positionals.length > 0) throw new UsageError("purge-remote takes no arguments");
    const before = stringOpt(values, "before");
    const days = stringOpt(values, "days");
    if ((before === undefined) === (days === undefined))
      throw new UsageError("give --before DATE or --days N");
    let beforeTs: number;
    if (days !== undefined) beforeTs = Date.now() - countOpt(values, "days", 0) * DAY_MS;
    else {
      beforeTs = /^[0-9]+$/.test(before!) ? Number(before) : Date.parse(before!);
      if (!Number.isSafeInteger(beforeTs))
        throw new UsageError("--before must be an ISO date or ms since 1970");
    }
    const deleted = await purgeRemoteMedia(s.hs.ctx, s.actor, beforeTs);
    s.print(`purged ${deleted} cached remote item(s)`, { deleted });
    return 0;
  },
};

export const mediaSubcommands: readonly AdminSubcommand[] = [mediaQuarantine, mediaDelete, mediaPurgeRemote];
