import { setTimeout as sleep } from "node:timers/promises";
import { deletionStatus, deletionStatusJson, scheduleRoomDeletion } from "../../admin/room-deletion.ts";
import { roomDetails, roomIdParam, roomListJson, searchRooms } from "../../admin/rooms.ts";
import type { HearthContext } from "../../context.ts";
import type { RoomDeletion } from "../../storage/admin/room-deletions.ts";
import { countOpt, flagOpt, positionalArgs, stringOpt, type AdminSubcommand } from "./subcommand.ts";

const roomList: AdminSubcommand = {
  area: "room",
  action: "list",
  args: "[--search TEXT] [--from N] [--limit N]",
  summary: "list rooms, by name",
  options: { search: { type: "string" }, from: { type: "string" }, limit: { type: "string" } },
  async run(s, values, positionals) {
    positionalArgs(positionals, []);
    const { rooms, total } = await searchRooms(s.hs.ctx, {
      searchTerm: stringOpt(values, "search"),
      orderBy: "name",
      backwards: false,
      from: countOpt(values, "from", 0),
      limit: countOpt(values, "limit", 100),
    });
    const lines = rooms.map(
      (r) => `${r.roomId}  ${r.name ?? r.canonicalAlias ?? "(unnamed)"}  ${r.joinedMembers} joined`,
    );
    lines.push(`${rooms.length} of ${total} room(s)`);
    s.print(lines.join("\n"), { rooms: rooms.map(roomListJson), total_rooms: total });
    return 0;
  },
};

const roomShow: AdminSubcommand = {
  area: "room",
  action: "show",
  args: "ROOM_ID",
  summary: "show a room's details",
  options: {},
  async run(s, _values, positionals) {
    const [arg] = positionalArgs(positionals, ["ROOM_ID"]);
    const details = await roomDetails(s.hs.ctx, roomIdParam(arg!));
    const human = Object.entries(details)
      .map(([k, v]) => `${k}: ${v === null ? "-" : String(v)}`)
      .join("\n");
    s.print(human, details);
    return 0;
  },
};

/** How often the CLI looks at a deletion the running server is doing. */
const STATUS_POLL_MS = 500;

/** Waits for a deletion another process runs (the server polls its queue every couple of seconds). */
async function awaitDeletion(
  ctx: HearthContext,
  deleteId: string,
  waitSeconds: number,
): Promise<RoomDeletion> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const d = await deletionStatus(ctx, deleteId);
    if (d.status === "complete" || d.status === "failed" || Date.now() >= deadline) return d;
    await sleep(STATUS_POLL_MS);
  }
}

const roomDelete: AdminSubcommand = {
  area: "room",
  action: "delete",
  args: "ROOM_ID [--block] [--no-purge] [--force-purge] [--wait SECONDS]",
  summary: "make every local member leave, drop local aliases, optionally block, then purge the room's data",
  options: {
    block: { type: "boolean" },
    "no-purge": { type: "boolean" },
    "force-purge": { type: "boolean" },
    wait: { type: "string" },
  },
  async run(s, values, positionals) {
    const [arg] = positionalArgs(positionals, ["ROOM_ID"]);
    const ctx = s.hs.ctx;
    const deleteId = await scheduleRoomDeletion(ctx, s.actor, roomIdParam(arg!), {
      block: flagOpt(values, "block"),
      purge: !flagOpt(values, "no-purge"),
      forcePurge: flagOpt(values, "force-purge"),
    });
    let d: RoomDeletion;
    if (ctx.admin.jobs.writesRooms) {
      await ctx.admin.jobs.idle();
      d = await deletionStatus(ctx, deleteId);
    } else {
      d = await awaitDeletion(ctx, deleteId, countOpt(values, "wait", 60));
    }
    const human =
      d.status === "complete"
        ? `deleted ${d.roomId}: ${d.kickedUsers.length} local member(s) left, ${d.localAliases.length} alias(es) removed`
        : d.status === "failed"
          ? `deleting ${d.roomId} failed: ${d.error ?? "unknown error"}`
          : `deletion ${deleteId} of ${d.roomId} is ${d.status} (the running server does it)`;
    s.print(human, deletionStatusJson(d));
    return d.status === "failed" ? 1 : 0;
  },
};

export const roomSubcommands: readonly AdminSubcommand[] = [roomList, roomShow, roomDelete];
