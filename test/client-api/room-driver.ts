import type { Session } from "../../src/accounts/session.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import type { Preset } from "../../src/rooms/create-room-presets.ts";
import type { MembershipAction } from "../../src/rooms/membership.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { call, enc } from "./room-read-support.ts";

/** A server for the room read tests: message rate limits out of the way of bulk sends. */
export function startReadTestHomeserver(opts: { clock?: () => number } = {}): Promise<TestHomeserver> {
  return startTestHomeserver({ rate_limits: { messages: { per_second: 100_000, burst: 100_000 } } }, opts);
}

/** Room writes for the read-side tests, through the room writer's client endpoints. */
export interface RoomDriver {
  createRoom(
    creator: Session,
    opts?: {
      preset?: Preset;
      isPublic?: boolean;
      name?: string;
      topic?: string;
      /** Full alias; its localpart becomes room_alias_name. */
      alias?: string;
      version?: string;
    },
  ): Promise<string>;
  send(sender: Session, roomId: string, content: JsonObject, type?: string): Promise<string>;
  state(
    sender: Session,
    roomId: string,
    type: string,
    stateKey: string,
    content: JsonObject,
  ): Promise<string>;
  member(sender: Session, roomId: string, action: MembershipAction, target?: string): Promise<void>;
  redact(sender: Session, roomId: string, targetId: string): Promise<string>;
}

export function roomDriver(hs: Homeserver): RoomDriver {
  let txn = 0;
  const ok = (
    res: { status: number; body: { event_id?: string; room_id?: string } },
    what: string,
  ): string => {
    const id = res.body.event_id ?? res.body.room_id;
    if (res.status !== 200 || id === undefined)
      throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return id;
  };
  return {
    async createRoom(creator, opts = {}) {
      const body: JsonObject = { preset: opts.preset ?? "private_chat" };
      if (opts.isPublic) body.visibility = "public";
      if (opts.name !== undefined) body.name = opts.name;
      if (opts.topic !== undefined) body.topic = opts.topic;
      if (opts.alias !== undefined) body.room_alias_name = opts.alias.slice(1, opts.alias.indexOf(":"));
      if (opts.version !== undefined) body.room_version = opts.version;
      return ok(await call(hs, "POST", "/createRoom", creator, body), "createRoom");
    },
    async send(sender, roomId, content, type = "m.room.message") {
      const path = `/rooms/${enc(roomId)}/send/${enc(type)}/t${txn++}`;
      return ok(await call(hs, "PUT", path, sender, content), "send");
    },
    async state(sender, roomId, type, stateKey, content) {
      const path = `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`;
      return ok(await call(hs, "PUT", path, sender, content), "state");
    },
    async member(sender, roomId, action, target = sender.userId) {
      const path = action === "knock" ? `/knock/${enc(roomId)}` : `/rooms/${enc(roomId)}/${action}`;
      const body = action === "join" || action === "leave" || action === "knock" ? {} : { user_id: target };
      const res = await call(hs, "POST", path, sender, body);
      if (res.status !== 200) throw new Error(`${action}: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async redact(sender, roomId, targetId) {
      const path = `/rooms/${enc(roomId)}/redact/${enc(targetId)}/t${txn++}`;
      return ok(await call(hs, "PUT", path, sender, {}), "redact");
    },
  };
}

export const text = (body: string): JsonObject => ({ msgtype: "m.text", body });
