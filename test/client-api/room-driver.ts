import { getRoomVersion } from "../../src/core/room-versions.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { createRoom } from "../../src/rooms/create-room.ts";
import type { Preset } from "../../src/rooms/create-room-presets.ts";
import { updateMembership, type MembershipAction } from "../../src/rooms/membership.ts";
import { sendRedaction } from "../../src/rooms/redact.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";

/**
 * Room writes for the read-side tests, through the room writer's operations (the same ones its HTTP
 * endpoints call). One place to switch to the endpoints once they are registered.
 */
export interface RoomDriver {
  createRoom(
    creator: string,
    opts?: {
      preset?: Preset;
      isPublic?: boolean;
      name?: string;
      topic?: string;
      alias?: string;
      version?: string;
    },
  ): Promise<string>;
  send(sender: string, roomId: string, content: JsonObject, type?: string): Promise<string>;
  state(sender: string, roomId: string, type: string, stateKey: string, content: JsonObject): Promise<string>;
  member(sender: string, roomId: string, action: MembershipAction, target?: string): Promise<string>;
  redact(sender: string, roomId: string, targetId: string): Promise<string>;
}

export function roomDriver(hs: Homeserver): RoomDriver {
  const ctx = hs.ctx;
  return {
    async createRoom(creator, opts = {}) {
      const version = getRoomVersion(opts.version ?? "12");
      if (!version) throw new Error("bad version");
      const { roomId } = await createRoom(ctx, {
        creator,
        version,
        preset: opts.preset ?? "private_chat",
        isPublic: opts.isPublic ?? false,
        creationContent: {},
        initialState: [],
        invite: [],
        isDirect: false,
        name: opts.name,
        topic: opts.topic,
        alias: opts.alias,
      });
      return roomId;
    },
    async send(sender, roomId, content, type = "m.room.message") {
      return (await sendLocalEvent(ctx, { roomId, sender, draft: { type, content } })).eventId;
    },
    async state(sender, roomId, type, stateKey, content) {
      return (await sendLocalEvent(ctx, { roomId, sender, draft: { type, stateKey, content } })).eventId;
    },
    async member(sender, roomId, action, target = sender) {
      return (await updateMembership(ctx, { roomId, sender, target, action })).eventId;
    },
    async redact(sender, roomId, targetId) {
      return (await sendRedaction(ctx, { roomId, sender, targetId, content: {} })).eventId;
    },
  };
}

export const text = (body: string): JsonObject => ({ msgtype: "m.text", body });
