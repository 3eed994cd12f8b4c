import { invalidParam } from "../../errors.ts";
import { readJsonObject } from "../../http/body.ts";
import type { RouteModule } from "../../http/types.ts";
import type { RoomOrder } from "../../storage/admin/rooms.ts";
import {
  deletionStatus,
  deletionStatusesOfRoom,
  deletionStatusJson,
  scheduleRoomDeletion,
} from "../room-deletion.ts";
import {
  blockStatus,
  roomDetails,
  roomIdParam,
  roomListJson,
  roomMembers,
  roomState,
  searchRooms,
  setRoomBlocked,
} from "../rooms.ts";
import {
  adminOf,
  adminV1,
  adminV2,
  boolField,
  boolQuery,
  countQuery,
  enumQuery,
  pathParam,
  requireAdmin,
  textQuery,
} from "./common.ts";

const ROOM_ORDERS = [
  "name",
  "alphabetical",
  "size",
  "canonical_alias",
  "joined_members",
  "joined_local_members",
  "version",
  "creator",
  "encryption",
  "federatable",
  "public",
  "join_rules",
  "guest_access",
  "history_visibility",
  "state_events",
] as const;

/** Synapse's deprecated names for two orders. */
const ORDER_ALIASES: Partial<Record<(typeof ROOM_ORDERS)[number], RoomOrder>> = {
  alphabetical: "name",
  size: "joined_members",
};

/** Rooms (Synapse's rooms admin API): list, details, members, state, block, delete with status. */
export const adminRoomRoutes: RouteModule = (app, ctx) => {
  const admin = requireAdmin(ctx);
  const roomParam = (c: Parameters<typeof pathParam>[0]): string => roomIdParam(pathParam(c, "roomId"));

  app.get(adminV1("/rooms"), admin, async (c) => {
    const from = countQuery(c, "from", 0);
    const limit = countQuery(c, "limit", 100);
    const order = enumQuery(c, "order_by", ROOM_ORDERS, "name");
    const { rooms, total } = await searchRooms(ctx, {
      searchTerm: textQuery(c, "search_term"),
      publicRooms: boolQuery(c, "public_rooms"),
      emptyRooms: boolQuery(c, "empty_rooms"),
      orderBy: ORDER_ALIASES[order] ?? (order as RoomOrder),
      backwards: enumQuery(c, "dir", ["f", "b"], "f") === "b",
      from,
      limit,
    });
    const next = from + rooms.length;
    return c.json({
      rooms: rooms.map(roomListJson),
      offset: from,
      total_rooms: total,
      ...(next < total && rooms.length > 0 ? { next_batch: next } : {}),
      ...(from > 0 ? { prev_batch: Math.max(0, from - limit) } : {}),
    });
  });

  app.get(adminV1("/rooms/:roomId"), admin, async (c) => c.json(await roomDetails(ctx, roomParam(c))));

  app.get(adminV1("/rooms/:roomId/members"), admin, async (c) => {
    const members = await roomMembers(ctx, roomParam(c));
    return c.json({ members, total: members.length });
  });

  app.get(adminV1("/rooms/:roomId/state"), admin, async (c) =>
    c.json({ state: await roomState(ctx, roomParam(c), textQuery(c, "type")) }),
  );

  app.get(adminV1("/rooms/:roomId/block"), admin, async (c) => c.json(await blockStatus(ctx, roomParam(c))));

  app.put(adminV1("/rooms/:roomId/block"), admin, async (c) => {
    const roomId = roomParam(c);
    const body = await readJsonObject(c);
    if (typeof body.block !== "boolean") throw invalidParam("'block' must be a boolean");
    await setRoomBlocked(ctx, adminOf(c), roomId, body.block);
    return c.json({ block: body.block });
  });

  app.delete(adminV2("/rooms/:roomId"), admin, async (c) => {
    const roomId = roomParam(c);
    // Synapse: "The JSON body must not be empty. The body must be at least {}."
    const body = await readJsonObject(c);
    if (body.new_room_user_id !== undefined && body.new_room_user_id !== null) {
      throw invalidParam("new_room_user_id is not supported by this server: local users only leave the room");
    }
    const deleteId = await scheduleRoomDeletion(ctx, adminOf(c), roomId, {
      block: boolField(body, "block", false),
      purge: boolField(body, "purge", true),
      forcePurge: boolField(body, "force_purge", false),
    });
    return c.json({ delete_id: deleteId });
  });

  app.get(adminV2("/rooms/:roomId/delete_status"), admin, async (c) => {
    const all = await deletionStatusesOfRoom(ctx, roomParam(c));
    return c.json({ results: all.map(deletionStatusJson) });
  });

  app.get(adminV2("/rooms/delete_status/:deleteId"), admin, async (c) =>
    c.json(deletionStatusJson(await deletionStatus(ctx, pathParam(c, "deleteId")))),
  );
};
