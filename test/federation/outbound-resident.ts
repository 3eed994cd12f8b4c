/**
 * A remote server holding a room, in memory, for the outbound tests: it serves keys, make_join /
 * send_join v2, make_leave / send_leave v2, invite v2, query/directory, query/profile, backfill and
 * single events over the in-process test network, so a real Hearth joins, leaves, invites and
 * backfills through it with real signatures. `tamper` rewrites answers to forge them.
 */
import { authTypesForEvent } from "../../src/core/auth-rules.ts";
import { hashAndSignEvent, identifyPdu } from "../../src/core/hashes.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../src/core/json.ts";
import { authEventIds, stateKeyOf, type IdentifiedPdu, type Pdu } from "../../src/core/pdu.ts";
import type { RoomVersion } from "../../src/core/room-versions.ts";
import { signingKeyFromSeed, type SigningKey } from "../../src/core/signing.ts";
import { randomBytes } from "node:crypto";
import { stateTupleKey, type StateTupleKey } from "../../src/core/state-key.ts";
import { parseJson } from "../../src/core/json-parse.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { serverKeyResponse } from "../../src/keys/server-key-response.ts";
import { buildEvent, federationPdu, type EventDraft } from "../../src/rooms/build-event.ts";

export type ResidentRoute =
  "make_join" | "send_join" | "make_leave" | "send_leave" | "invite" | "directory" | "profile" | "backfill";

let keys = 0;

export class FakeResident {
  /** A key id of its own, so a server name reused by another test's resident is not refused. */
  readonly key: SigningKey = signingKeyFromSeed(`ed25519:k${++keys}`, randomBytes(32));
  /** Every event of the room, in the order it was built. */
  readonly events: IdentifiedPdu[] = [];
  readonly byId = new Map<string, IdentifiedPdu>();
  readonly state = new Map<StateTupleKey, IdentifiedPdu>();
  readonly aliases = new Map<string, { room_id: string; servers: string[] }>();
  readonly profiles = new Map<string, JsonObject>();
  /** Invites other servers sent here, as received. */
  readonly invites: JsonObject[] = [];
  /** Requests received (method and decoded path). */
  readonly requests: string[] = [];
  /** PDUs other servers sent here with /send, by event id. */
  readonly received = new Map<string, IdentifiedPdu>();
  private readonly waiters = new Map<string, (ev: IdentifiedPdu) => void>();
  roomId = "";
  /** Rewrites the body of a 200 answer (to forge responses), or returns a Response to answer with. */
  tamper?: (route: ResidentRoute, body: JsonObject) => JsonObject | Response;

  constructor(
    readonly serverName: string,
    readonly version: RoomVersion,
  ) {}

  /** A room created by `creator` (public, shared history unless told otherwise). */
  create(creator: string, opts: { joinRule?: string; name?: string } = {}): string {
    const createContent: JsonObject = { room_version: this.version.id };
    if (!this.version.implicitRoomCreator) createContent.creator = creator;
    const create = this.build(creator, { type: "m.room.create", stateKey: "", content: createContent }, true);
    this.roomId = this.version.roomIdFromCreateEvent
      ? `!${create.event_id.slice(1)}`
      : (create.room_id as string);
    this.send(creator, { type: "m.room.member", stateKey: creator, content: { membership: "join" } });
    const users: JsonObject = this.version.privilegedCreators ? {} : { [creator]: 100 };
    this.send(creator, { type: "m.room.power_levels", stateKey: "", content: { users, users_default: 0 } });
    this.send(creator, {
      type: "m.room.join_rules",
      stateKey: "",
      content: { join_rule: opts.joinRule ?? "public" },
    });
    this.send(creator, {
      type: "m.room.history_visibility",
      stateKey: "",
      content: { history_visibility: "shared" },
    });
    if (opts.name) this.send(creator, { type: "m.room.name", stateKey: "", content: { name: opts.name } });
    return this.roomId;
  }

  private build(sender: string, draft: EventDraft, isCreate = false): IdentifiedPdu {
    const last = this.events.at(-1);
    const auth = isCreate
      ? []
      : authTypesForEvent(this.version, {
          type: draft.type,
          sender,
          state_key: draft.stateKey,
          content: draft.content,
        })
          .map(([t, k]) => this.state.get(stateTupleKey(t, k)))
          .filter((e): e is IdentifiedPdu => e !== undefined);
    const roomId = isCreate
      ? this.version.roomIdFromCreateEvent
        ? undefined
        : `!room${this.events.length}${Date.now()}:${this.serverName}`
      : this.roomId;
    const ev = buildEvent({
      version: this.version,
      roomId,
      sender,
      draft,
      prevEvents: last ? [last] : [],
      authEvents: auth,
      originServerTs: Date.now(),
      serverName: this.serverName,
      key: this.key,
    });
    this.add(ev);
    return ev;
  }

  private add(ev: IdentifiedPdu): void {
    this.events.push(ev);
    this.byId.set(ev.event_id, ev);
    const key = stateKeyOf(ev);
    if (key !== undefined) this.state.set(stateTupleKey(ev.type, key), ev);
  }

  /** A new event in the room, on the latest one. */
  send(sender: string, draft: EventDraft): IdentifiedPdu {
    return this.build(sender, draft);
  }

  /** Resolves once a PDU with this id has arrived through /send. */
  waitForPdu(eventId: string): Promise<IdentifiedPdu> {
    const got = this.received.get(eventId);
    if (got) return Promise.resolve(got);
    return new Promise((resolve) => this.waiters.set(eventId, resolve));
  }

  wire(ev: IdentifiedPdu): JsonObject {
    return federationPdu(this.version, ev);
  }

  /** The auth chain of the given events (not including them unless cited), oldest first. */
  authChain(events: Iterable<IdentifiedPdu>): IdentifiedPdu[] {
    const seen = new Set<string>();
    const walk = (ev: IdentifiedPdu): void => {
      for (const id of authEventIds(ev)) {
        if (seen.has(id)) continue;
        seen.add(id);
        const a = this.byId.get(id);
        if (a) walk(a);
      }
    };
    for (const ev of events) walk(ev);
    if (this.version.roomIdFromCreateEvent) seen.add(`$${this.roomId.slice(1)}`);
    return this.events.filter((e) => seen.has(e.event_id));
  }

  /** The unsigned template of a membership event by `userId`, as a resident offers it. */
  template(userId: string, membership: string): JsonObject {
    const draft: EventDraft = { type: "m.room.member", stateKey: userId, content: { membership } };
    const last = this.events.at(-1)!;
    const auth = authTypesForEvent(this.version, {
      type: draft.type,
      sender: userId,
      state_key: userId,
      content: draft.content,
    })
      .map(([t, k]) => this.state.get(stateTupleKey(t, k)))
      .filter((e): e is IdentifiedPdu => e !== undefined);
    const ev = buildEvent({
      version: this.version,
      roomId: this.roomId,
      sender: userId,
      draft,
      prevEvents: [last],
      authEvents: auth,
      originServerTs: Date.now(),
      serverName: this.serverName,
      key: this.key,
    });
    const { signatures: _s, hashes: _h, event_id: _id, ...template } = ev;
    return template;
  }

  /** Serves the routes above; mount with `fed.net.register(resident.serverName, resident.handler)`. */
  readonly handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    // Segments are decoded one by one: v3 event ids may contain "/".
    const raw = url.pathname;
    const path = decodeURIComponent(raw);
    this.requests.push(`${request.method} ${path}`);
    const text = await request.text();
    const body = text === "" ? undefined : parseJson(text);
    const answer = (route: ResidentRoute, out: JsonObject): Response => {
      const tampered = this.tamper ? this.tamper(route, out) : out;
      return tampered instanceof Response ? tampered : Response.json(tampered);
    };
    const error = (status: number, errcode: string, message: string, extra: JsonObject = {}): Response =>
      Response.json({ errcode, error: message, ...extra }, { status });

    if (path === "/_matrix/key/v2/server") {
      return Response.json(serverKeyResponse(this.serverName, { current: this.key, old: [] }, Date.now()));
    }
    let m = /^\/_matrix\/federation\/v1\/make_(join|leave)\/([^/]+)\/([^/]+)$/.exec(raw);
    if (m && request.method === "GET") {
      const membership = m[1] as "join" | "leave";
      const roomId = decodeURIComponent(m[2]!);
      const userId = decodeURIComponent(m[3]!);
      if (roomId !== this.roomId) return error(404, "M_NOT_FOUND", "Unknown room");
      if (membership === "join" && !url.searchParams.getAll("ver").includes(this.version.id)) {
        return error(400, "M_INCOMPATIBLE_ROOM_VERSION", "Your server cannot join this room", {
          room_version: this.version.id,
        });
      }
      return answer(`make_${membership}`, {
        room_version: this.version.id,
        event: this.template(userId, membership),
      });
    }
    m = /^\/_matrix\/federation\/v2\/send_(join|leave)\/([^/]+)\/([^/]+)$/.exec(raw);
    if (m && request.method === "PUT" && isJsonObject(body)) {
      const membership = m[1] as "join" | "leave";
      const stateBefore = [...this.state.values()];
      const signed = identifyPdu(
        hashAndSignEvent(body as Pdu, this.version, this.serverName, this.key),
        this.version,
      );
      if (signed.event_id !== decodeURIComponent(m[3]!)) return error(400, "M_BAD_JSON", "event id mismatch");
      this.add(signed);
      if (membership === "leave") return answer("send_leave", {});
      return answer("send_join", {
        origin: this.serverName,
        members_omitted: false,
        servers_in_room: [this.serverName],
        state: stateBefore.map((e) => this.wire(e)),
        auth_chain: this.authChain([...stateBefore, signed]).map((e) => this.wire(e)),
      });
    }
    m = /^\/_matrix\/federation\/v2\/invite\/([^/]+)\/([^/]+)$/.exec(raw);
    if (m && request.method === "PUT" && isJsonObject(body) && isJsonObject(body.event)) {
      this.invites.push(body);
      const version = body.room_version;
      if (version !== this.version.id) return error(400, "M_INCOMPATIBLE_ROOM_VERSION", "no", {});
      const signed = hashAndSignEvent(body.event, this.version, this.serverName, this.key);
      return answer("invite", { event: signed });
    }
    m = /^\/_matrix\/federation\/v1\/send\/([^/]+)$/.exec(raw);
    if (m && request.method === "PUT" && isJsonObject(body)) {
      const results: JsonObject = {};
      for (const pdu of Array.isArray(body.pdus) ? body.pdus : []) {
        if (!isJsonObject(pdu)) continue;
        const ev = identifyPdu(pdu as Pdu, this.version);
        this.received.set(ev.event_id, ev);
        results[ev.event_id] = {};
        this.waiters.get(ev.event_id)?.(ev);
        this.waiters.delete(ev.event_id);
      }
      return Response.json({ pdus: results });
    }
    if (path === "/_matrix/federation/v1/query/directory") {
      const alias = url.searchParams.get("room_alias") ?? "";
      const found = this.aliases.get(alias);
      return found ? answer("directory", found) : error(404, "M_NOT_FOUND", "Room alias not found");
    }
    if (path === "/_matrix/federation/v1/query/profile") {
      const profile = this.profiles.get(url.searchParams.get("user_id") ?? "");
      if (!profile) return error(404, "M_NOT_FOUND", "Profile not found");
      const field = url.searchParams.get("field");
      return answer("profile", field === null ? profile : { [field]: profile[field] ?? null });
    }
    m = /^\/_matrix\/federation\/v1\/backfill\/([^/]+)$/.exec(raw);
    if (m) {
      const from = url.searchParams.getAll("v");
      const limit = Number(url.searchParams.get("limit") ?? "10");
      const start = Math.max(...from.map((id) => this.events.findIndex((e) => e.event_id === id)));
      const pdus = this.events
        .slice(Math.max(0, start - limit + 1), start + 1)
        .reverse()
        .map((e) => this.wire(e));
      return answer("backfill", { origin: this.serverName, origin_server_ts: Date.now(), pdus });
    }
    m = /^\/_matrix\/federation\/v1\/event\/([^/]+)$/.exec(raw);
    if (m) {
      const ev = this.byId.get(decodeURIComponent(m[1]!));
      if (!ev) return error(404, "M_NOT_FOUND", "no such event");
      return Response.json({ origin: this.serverName, origin_server_ts: Date.now(), pdus: [this.wire(ev)] });
    }
    m = /^\/_matrix\/federation\/v1\/event_auth\/[^/]+\/([^/]+)$/.exec(raw);
    if (m) {
      const ev = this.byId.get(decodeURIComponent(m[1]!));
      if (!ev) return error(404, "M_NOT_FOUND", "no such event");
      return Response.json({ auth_chain: this.authChain([ev]).map((e) => this.wire(e)) });
    }
    return error(404, "M_UNRECOGNIZED", "Unrecognized request");
  };
}

/** A JSON value deep-copied, for tampering with answers without touching the resident's events. */
export function copy<T extends JsonValue>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** One client request to a homeserver of the federation harness. */
export async function clientApi(
  hs: Homeserver,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  // Response bodies are arbitrary JSON; tests assert on their shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await hs.app(["client"]).request(`/_matrix/client/v3${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}
