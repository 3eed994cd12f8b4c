import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { signingKeyFromSeed } from "../../src/core/signing.ts";
import { hashAndSignEvent } from "../../src/core/hashes.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Pdu } from "../../src/core/pdu.ts";
import { receivePdu } from "../../src/federation/inbound/receive-pdu.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { getCurrentMembership } from "../../src/storage/rooms/memberships.ts";
import { getRoom } from "../../src/storage/rooms/rooms.ts";
import { version } from "../rooms/helpers.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi, copy, FakeResident } from "./outbound-resident.ts";

let fed: TestFederation;
let hs: Homeserver;
let bob: Session;

const enc = encodeURIComponent;

beforeAll(async () => {
  fed = await startFederation(["hs2.test"]);
  hs = fed.hs("hs2.test");
  bob = await createTestUser(hs, "bob");
});
afterAll(() => fed?.destroy());

let servers = 0;

/**
 * A resident server with a public room by alice, reachable from hs2; each under a name of its own,
 * since hs2's keyring remembers the keys of the names it has seen.
 */
function resident(v = "12", name = `remote${++servers}.test`): FakeResident {
  const r = new FakeResident(name, version(v));
  r.create(`@alice:${name}`, { name: "Remote room" });
  fed.net.register(name, r.handler);
  return r;
}

const api = (method: string, path: string, body?: unknown, session: Session = bob) =>
  clientApi(hs, session.accessToken, method, path, body);

async function joinedRoom(roomId: string): Promise<JsonObject | undefined> {
  const sync = await api("GET", "/sync");
  expect(sync.status).toBe(200);
  return sync.body.rooms?.join?.[roomId];
}

describe("joining a room on another server", () => {
  it.each(["1", "2", "3", "5", "9", "10", "11", "12"])(
    "joins by room id through via in room version %s, and sync shows its state",
    async (v) => {
      const r = resident(v);
      const user = await createTestUser(hs, `joiner${v}`);
      const res = await api("POST", `/join/${enc(r.roomId)}?via=${r.serverName}`, {}, user);
      expect(res).toEqual({ status: 200, body: { room_id: r.roomId } });
      expect(r.requests.some((p) => p.startsWith("GET /_matrix/federation/v1/make_join/"))).toBe(true);
      const sent = r.events.at(-1)!;
      expect(sent).toMatchObject({ type: "m.room.member", state_key: user.userId, sender: user.userId });
      expect(sent.content.membership).toBe("join");
      expect((await getCurrentMembership(hs.ctx.db, r.roomId, user.userId))?.membership).toBe("join");

      const sync = await clientApi(hs, user.accessToken, "GET", "/sync");
      const room = sync.body.rooms.join[r.roomId];
      expect(room).toBeDefined();
      const all = [...room.state.events, ...room.timeline.events];
      const types = all.map((e: JsonObject) => `${e.type}|${e.state_key}`);
      expect(types).toEqual(
        expect.arrayContaining([
          "m.room.create|",
          "m.room.power_levels|",
          "m.room.name|",
          `m.room.member|@alice:${r.serverName}`,
          `m.room.member|${user.userId}`,
        ]),
      );
      expect(room.timeline.events.at(-1)).toMatchObject({ event_id: sent.event_id });
    },
  );

  it("is live afterwards: events from the resident arrive in sync, and local users can send", async () => {
    const r = resident();
    expect((await api("POST", `/join/${enc(r.roomId)}?server_name=${r.serverName}`, {})).status).toBe(200);
    const since = (await api("GET", "/sync")).body.next_batch;
    const msg = r.send(`@alice:${r.serverName}`, {
      type: "m.room.message",
      content: { msgtype: "m.text", body: "welcome" },
    });
    // The /send route is the inbound engineer's; the pipeline it runs is called here directly.
    const result = await receivePdu(hs.ctx, hs.ctx.federation, r.serverName, r.wire(msg));
    expect(result).toEqual({ eventId: msg.event_id, outcome: "accepted" });
    const sync = await api("GET", `/sync?since=${enc(since)}&timeout=0`);
    const timeline = sync.body.rooms.join[r.roomId].timeline.events;
    expect(timeline.map((e: JsonObject) => e.event_id)).toContain(msg.event_id);

    const reply = await api("PUT", `/rooms/${enc(r.roomId)}/send/m.room.message/t1`, {
      msgtype: "m.text",
      body: "hi",
    });
    expect(reply.status).toBe(200);
    // The sender delivers it to the servers in the room, here the resident.
    const delivered = await r.waitForPdu(reply.body.event_id);
    expect(delivered.content).toEqual({ msgtype: "m.text", body: "hi" });
    expect(delivered.prev_events).toEqual([msg.event_id]);
  });

  it("leaves a joined remote room with a leave event the resident receives", async () => {
    const r = resident("10");
    expect((await api("POST", `/join/${enc(r.roomId)}?via=${r.serverName}`, {})).status).toBe(200);
    const left = await api("POST", `/rooms/${enc(r.roomId)}/leave`, {});
    expect(left.status).toBe(200);
    expect((await getCurrentMembership(hs.ctx.db, r.roomId, bob.userId))?.membership).toBe("leave");
    const leaveId = (await getCurrentMembership(hs.ctx.db, r.roomId, bob.userId))!.eventId;
    const delivered = await r.waitForPdu(leaveId);
    expect(delivered.content.membership).toBe("leave");
    const sync = await api("GET", "/sync");
    expect(sync.body.rooms?.join?.[r.roomId]).toBeUndefined();
  });

  it("joins by another server's alias through the servers its directory names", async () => {
    const r = resident();
    const alias = `#lounge:${r.serverName}`;
    r.aliases.set(alias, { room_id: r.roomId, servers: [r.serverName] });
    const lookup = await api("GET", `/directory/room/${enc(alias)}`);
    expect(lookup).toEqual({ status: 200, body: { room_id: r.roomId, servers: [r.serverName] } });
    const res = await api("POST", `/join/${enc(alias)}`, {});
    expect(res).toEqual({ status: 200, body: { room_id: r.roomId } });
    expect(await joinedRoom(r.roomId)).toBeDefined();
    const missing = await api("GET", `/directory/room/${enc(`#nope:${r.serverName}`)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
  });

  it("falls back to the next server when one is down or not in the room", async () => {
    const r = resident("11");
    const other = new FakeResident("empty.test", version("11"));
    fed.net.register("empty.test", other.handler);
    const res = await api(
      "POST",
      `/join/${enc(r.roomId)}?via=down.test&via=empty.test&via=${r.serverName}`,
      {},
    );
    expect(res).toEqual({ status: 200, body: { room_id: r.roomId } });
    expect(other.requests.filter((p) => p.includes("make_join"))).toHaveLength(1);
  });

  it("a second join of the same user is answered without a new event", async () => {
    const r = resident();
    expect((await api("POST", `/join/${enc(r.roomId)}?via=${r.serverName}`, {})).status).toBe(200);
    const count = r.events.length;
    expect((await api("POST", `/join/${enc(r.roomId)}?via=${r.serverName}`, {})).status).toBe(200);
    expect(r.events.length).toBe(count);
  });
});

describe("joins that fail store nothing", () => {
  async function failedJoin(r: FakeResident, query = `?via=${r.serverName}`) {
    const res = await api("POST", `/join/${enc(r.roomId)}${query}`, {});
    expect(await getRoom(hs.ctx.db, r.roomId)).toBeUndefined();
    return res;
  }

  it("refuses a make_join template for another user or another room", async () => {
    const r = resident();
    r.tamper = (route, body) => {
      if (route !== "make_join") return body;
      const out = copy(body);
      (out.event as JsonObject).state_key = "@mallory:remote.test";
      return out;
    };
    const res = await failedJoin(r);
    expect(res.status).toBe(502);
    expect(res.body.errcode).toBe("M_UNKNOWN");
    expect(res.body.error).toContain("another user");

    r.tamper = (route, body) => {
      if (route !== "make_join") return body;
      const out = copy(body);
      (out.event as JsonObject).room_id = "!other:remote.test";
      return out;
    };
    expect((await failedJoin(r)).body.error).toContain("another room");
  });

  it("refuses a room version it does not support, and relays the resident's incompatibility", async () => {
    const r = resident();
    r.tamper = (route, body) => (route === "make_join" ? { ...body, room_version: "org.example.99" } : body);
    const unsupported = await failedJoin(r);
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");

    r.tamper = (route, body) =>
      route === "make_join"
        ? Response.json(
            { errcode: "M_INCOMPATIBLE_ROOM_VERSION", error: "no", room_version: "99" },
            { status: 400 },
          )
        : body;
    const incompatible = await failedJoin(r);
    expect(incompatible).toEqual({
      status: 400,
      body: { errcode: "M_INCOMPATIBLE_ROOM_VERSION", error: "no", room_version: "99" },
    });
  });

  it("relays a resident's refusal (403) rather than trying elsewhere", async () => {
    const r = resident();
    r.tamper = (route, body) =>
      route === "make_join"
        ? Response.json({ errcode: "M_FORBIDDEN", error: "You are banned" }, { status: 403 })
        : body;
    const res = await failedJoin(r);
    expect(res).toEqual({ status: 403, body: { errcode: "M_FORBIDDEN", error: "You are banned" } });
  });

  it("never relays a remote 401 or 429 as the client's own (502 instead)", async () => {
    const r = resident();
    for (const [status, errcode] of [
      [401, "M_UNAUTHORIZED"],
      [429, "M_LIMIT_EXCEEDED"],
    ] as const) {
      r.tamper = (route, body) =>
        route === "make_join" ? Response.json({ errcode, error: "no" }, { status }) : body;
      const res = await failedJoin(r);
      expect(res.status).toBe(502);
      expect(res.body.errcode).toBe("M_UNKNOWN");
    }
  });

  it("refuses a send_join response with a forged state event (bad signature)", async () => {
    const r = resident();
    const forger = signingKeyFromSeed(r.key.keyId, new Uint8Array(32).fill(7));
    r.tamper = (route, body) => {
      if (route !== "send_join") return body;
      const out = copy(body);
      const state = out.state as JsonObject[];
      const i = state.findIndex((e) => e.type === "m.room.name");
      const forged = { ...state[i]!, content: { name: "Forged" } } as unknown as Pdu;
      delete forged.signatures;
      state[i] = hashAndSignEvent(forged, r.version, r.serverName, forger);
      return out;
    };
    const res = await failedJoin(r);
    expect(res.status).toBe(502);
    expect(res.body.errcode).toBe("M_UNKNOWN");
    expect(res.body.error).toContain("fail the checks");
  });

  it("refuses a send_join response missing auth events", async () => {
    const r = resident("10");
    r.tamper = (route, body) => {
      if (route !== "send_join") return body;
      const out = copy(body);
      const isPl = (e: JsonObject) => e.type === "m.room.power_levels";
      out.state = (out.state as JsonObject[]).filter((e) => !isPl(e));
      out.auth_chain = (out.auth_chain as JsonObject[]).filter((e) => !isPl(e));
      return out;
    };
    const res = await failedJoin(r);
    expect(res.status).toBe(502);
    expect(res.body.error).toMatch(/auth/);
  });

  it("refuses a send_join response whose state lacks the create event or is not a list", async () => {
    const r = resident("11");
    r.tamper = (route, body) => (route === "send_join" ? { ...body, state: "nope" } : body);
    expect((await failedJoin(r)).status).toBe(502);
    r.tamper = (route, body) => {
      if (route !== "send_join") return body;
      return { ...body, state: (body.state as JsonObject[]).filter((e) => e.type !== "m.room.create") };
    };
    expect((await failedJoin(r)).body.error).toContain("create event");
  });

  it("answers 502 M_UNKNOWN when no server can be reached, 404 when none is known", async () => {
    const r = new FakeResident("gone.test", version("12"));
    r.create("@alice:gone.test");
    const res = await api("POST", `/join/${enc(r.roomId)}?via=gone.test&via=down2.test`, {});
    expect(res.status).toBe(502);
    expect(res.body.errcode).toBe("M_UNKNOWN");
    const none = await api("POST", `/join/${enc(r.roomId)}`, {});
    expect(none.status).toBe(404);
    expect(none.body.errcode).toBe("M_NOT_FOUND");
  });

  it("refuses a via that is not a server name", async () => {
    const res = await api("POST", `/join/${enc("!abc:remote.test")}?via=${enc("bad/name")}`, {});
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_INVALID_PARAM");
  });
});

describe("remote profiles", () => {
  it("asks the user's server, for the whole profile or one field", async () => {
    const r = resident();
    const alice = `@alice:${r.serverName}`;
    r.profiles.set(alice, { displayname: "Alice", avatar_url: "mxc://remote.test/a" });
    expect(await api("GET", `/profile/${enc(alice)}`)).toEqual({
      status: 200,
      body: { displayname: "Alice", avatar_url: "mxc://remote.test/a" },
    });
    expect(await api("GET", `/profile/${enc(alice)}/displayname`)).toEqual({
      status: 200,
      body: { displayname: "Alice" },
    });
    const unknown = await api("GET", `/profile/${enc(`@nobody:${r.serverName}`)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    const down = await api("GET", `/profile/${enc("@x:unreachable.test")}`);
    expect(down.status).toBe(502);
  });
});
