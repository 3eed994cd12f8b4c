import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { hashAndSignEvent } from "../../src/core/hashes.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { signingKeyFromSeed } from "../../src/core/signing.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { getEvent } from "../../src/storage/rooms/events.ts";
import { getCurrentMembership } from "../../src/storage/rooms/memberships.ts";
import { getRoom } from "../../src/storage/rooms/rooms.ts";
import { version } from "../rooms/helpers.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi, copy, FakeResident } from "./outbound-resident.ts";

let fed: TestFederation;
let hs: Homeserver;
let bob: Session;
let servers = 0;
const enc = encodeURIComponent;

beforeAll(async () => {
  fed = await startFederation(["hs2.test"]);
  hs = fed.hs("hs2.test");
  bob = await createTestUser(hs, "bob");
});
afterAll(() => fed?.destroy());

/** The invitee's server (a resident with no room of its own in play). */
function inviteeServer(): FakeResident {
  const r = new FakeResident(`invitee${++servers}.test`, version("12"));
  fed.net.register(r.serverName, r.handler);
  return r;
}

const api = (method: string, path: string, body?: unknown) =>
  clientApi(hs, bob.accessToken, method, path, body);

async function room(): Promise<string> {
  const res = await api("POST", "/createRoom", { preset: "private_chat", name: "Plans" });
  expect(res.status).toBe(200);
  return res.body.room_id;
}

describe("inviting users of other servers", () => {
  it("asks the invitee's server first and stores the invite with its signature", async () => {
    const r = inviteeServer();
    const roomId = await room();
    const carol = `@carol:${r.serverName}`;
    const res = await api("POST", `/rooms/${enc(roomId)}/invite`, { user_id: carol });
    expect(res).toEqual({ status: 200, body: {} });

    expect(r.invites).toHaveLength(1);
    const sent = r.invites[0]!;
    expect(sent.room_version).toBe("12");
    expect(sent.event).toMatchObject({ type: "m.room.member", state_key: carol, sender: bob.userId });
    expect((sent.event as JsonObject).unsigned).toBeUndefined();
    // Stripped state goes over federation as full PDUs (spec v1.16+): the create event among them.
    const state = sent.invite_room_state as JsonObject[];
    expect(state.map((e) => e.type)).toEqual(expect.arrayContaining(["m.room.create", "m.room.name"]));
    expect(state.every((e) => e.signatures !== undefined && e.hashes !== undefined)).toBe(true);

    const membership = await getCurrentMembership(hs.ctx.db, roomId, carol);
    expect(membership?.membership).toBe("invite");
    const stored = await getEvent(hs.ctx.db, membership!.eventId);
    expect(Object.keys(stored!.pdu.signatures as JsonObject).sort()).toEqual(
      ["hs2.test", r.serverName].sort(),
    );

    const members = await api("GET", `/rooms/${enc(roomId)}/members`);
    const carolEvent = members.body.chunk.find((e: JsonObject) => e.state_key === carol);
    expect(carolEvent.content.membership).toBe("invite");
  });

  it("invites through PUT /state/m.room.member too", async () => {
    const r = inviteeServer();
    const roomId = await room();
    const dan = `@dan:${r.serverName}`;
    const res = await api("PUT", `/rooms/${enc(roomId)}/state/m.room.member/${enc(dan)}`, {
      membership: "invite",
    });
    expect(res.status).toBe(200);
    expect(r.invites).toHaveLength(1);
    expect((await getCurrentMembership(hs.ctx.db, roomId, dan))?.membership).toBe("invite");
  });

  it("createRoom invites remote users through their servers", async () => {
    const r = inviteeServer();
    const erin = `@erin:${r.serverName}`;
    const res = await api("POST", "/createRoom", { invite: [erin], is_direct: true });
    expect(res.status).toBe(200);
    expect(r.invites).toHaveLength(1);
    const membership = await getCurrentMembership(hs.ctx.db, res.body.room_id, erin);
    expect(membership?.membership).toBe("invite");
    const stored = await getEvent(hs.ctx.db, membership!.eventId);
    expect(stored!.pdu.content.is_direct).toBe(true);
    expect((stored!.pdu.signatures as JsonObject)[r.serverName]).toBeDefined();
  });

  it("relays the invitee server's refusal and stores no invite", async () => {
    const r = inviteeServer();
    r.tamper = () =>
      Response.json({ errcode: "M_FORBIDDEN", error: "Not accepting invites" }, { status: 403 });
    const roomId = await room();
    const frank = `@frank:${r.serverName}`;
    const res = await api("POST", `/rooms/${enc(roomId)}/invite`, { user_id: frank });
    expect(res).toEqual({ status: 403, body: { errcode: "M_FORBIDDEN", error: "Not accepting invites" } });
    expect(await getCurrentMembership(hs.ctx.db, roomId, frank)).toBeUndefined();
  });

  it("createRoom creates the room when one invitee's server refuses, and invites the others", async () => {
    const refusing = inviteeServer();
    refusing.tamper = () =>
      Response.json({ errcode: "M_FORBIDDEN", error: "Not accepting invites" }, { status: 403 });
    const accepting = inviteeServer();
    const frank = `@frank:${refusing.serverName}`;
    const gina = `@gina:${accepting.serverName}`;
    const created = await api("POST", "/createRoom", { invite: [frank, gina], name: "Both" });
    expect(created.status).toBe(200);
    const roomId: string = created.body.room_id;
    // The refusing server was asked and said no: no invite for frank, none dangling anywhere.
    expect(refusing.requests.some((p) => p.startsWith("PUT /_matrix/federation/v2/invite/"))).toBe(true);
    expect(await getCurrentMembership(hs.ctx.db, roomId, frank)).toBeUndefined();
    // Gina's server signed hers, after the room existed: the invite carries the room's name.
    expect((await getCurrentMembership(hs.ctx.db, roomId, gina))?.membership).toBe("invite");
    expect(accepting.invites).toHaveLength(1);
    const shown = JSON.stringify(accepting.invites[0]);
    expect(shown).toContain("Both");
  });

  it("refuses an answer with another event, or without a valid signature, and an unreachable server", async () => {
    const r = inviteeServer();
    const roomId = await room();
    const gina = `@gina:${r.serverName}`;
    r.tamper = (route, body) => {
      const out = copy(body);
      ((out.event as JsonObject).content as JsonObject).membership = "join";
      return out;
    };
    const changed = await api("POST", `/rooms/${enc(roomId)}/invite`, { user_id: gina });
    expect(changed.status).toBe(502);
    expect(changed.body.errcode).toBe("M_UNKNOWN");

    const forger = signingKeyFromSeed(r.key.keyId, new Uint8Array(32).fill(9));
    r.tamper = (_route, body) => {
      const event = copy(body.event as JsonObject);
      const signatures = event.signatures as JsonObject;
      delete signatures[r.serverName];
      return { event: hashAndSignEvent(event, r.version, r.serverName, forger) };
    };
    const forged = await api("POST", `/rooms/${enc(roomId)}/invite`, { user_id: gina });
    expect(forged.status).toBe(502);
    expect(forged.body.error).toMatch(/signature/);
    expect(await getCurrentMembership(hs.ctx.db, roomId, gina)).toBeUndefined();

    const down = await api("POST", `/rooms/${enc(roomId)}/invite`, { user_id: "@x:nowhere.test" });
    expect(down.status).toBe(502);
    expect(await getRoom(hs.ctx.db, roomId)).toBeDefined();
  });
});
