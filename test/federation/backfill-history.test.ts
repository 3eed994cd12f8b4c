import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi } from "./outbound-resident.ts";

/*
 * Backfill between two real Hearths: a user on hs2 joins a room with history on hs1 and pages back
 * through /messages past the join; hs2 fetches the older events with /backfill, checks and stores them
 * as history, and the client gets every message once, in order, without them turning up in /sync.
 */

let fed: TestFederation;
let hs1: Homeserver;
let hs2: Homeserver;
let alice: Session;
let bob: Session;

const enc = encodeURIComponent;
// Response bodies are arbitrary JSON; tests assert on their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test"], {
    overrides: { rate_limits: { messages: { per_second: 100_000, burst: 100_000 } } },
  });
  [hs1, hs2] = fed.servers as [Homeserver, Homeserver];
  alice = await createTestUser(hs1, "alice");
  bob = await createTestUser(hs2, "bob");
});
afterAll(() => fed?.destroy());

async function createRoomWithHistory(alias: string, visibility: string, messages: number): Promise<string> {
  const created = await clientApi(hs1, alice.accessToken, "POST", "/createRoom", {
    preset: "public_chat",
    room_alias_name: alias,
    initial_state: [
      { type: "m.room.history_visibility", state_key: "", content: { history_visibility: visibility } },
    ],
  });
  expect(created.status).toBe(200);
  const roomId: string = created.body.room_id;
  for (let i = 1; i <= messages; i++) {
    const sent = await clientApi(
      hs1,
      alice.accessToken,
      "PUT",
      `/rooms/${enc(roomId)}/send/m.room.message/${alias}${i}`,
      {
        msgtype: "m.text",
        body: `message ${i}`,
      },
    );
    expect(sent.status).toBe(200);
  }
  return roomId;
}

/** Pages /messages backwards from the newest event to the start; every event, newest first. */
async function pageBack(hs: Homeserver, session: Session, roomId: string): Promise<Body[]> {
  const events: Body[] = [];
  let from: string | undefined;
  for (let page = 0; page < 100; page++) {
    const q = `dir=b&limit=25${from ? `&from=${enc(from)}` : ""}`;
    const res = await clientApi(hs, session.accessToken, "GET", `/rooms/${enc(roomId)}/messages?${q}`);
    expect(res.status).toBe(200);
    events.push(...res.body.chunk);
    if (res.body.end === undefined) return events;
    from = res.body.end;
  }
  throw new Error("pagination never ended");
}

const bodies = (events: Body[]): string[] =>
  events.filter((e) => e.type === "m.room.message").map((e) => e.content.body as string);

describe("backfill when a client pages past the history this server holds", () => {
  it("fetches the room's history from the other server, every message once and in order", async () => {
    const roomId = await createRoomWithHistory("history", "shared", 120);
    const join = await clientApi(hs2, bob.accessToken, "POST", `/join/${enc("#history:hs1.test")}`, {});
    expect(join.status).toBe(200);
    const synced = await clientApi(hs2, bob.accessToken, "GET", "/sync");
    const since: string = synced.body.next_batch;

    const events = await pageBack(hs2, bob, roomId);
    const expected = Array.from({ length: 120 }, (_, i) => `message ${120 - i}`);
    expect(bodies(events)).toEqual(expected);
    // Down to the room's creation, each event once.
    expect(events.at(-1).type).toBe("m.room.create");
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    // The same events, in the same order, as the origin holds (bob's join included).
    const origin = await pageBack(hs1, alice, roomId);
    expect(events.map((e) => e.event_id)).toEqual(origin.map((e) => e.event_id));

    // History is not news: bob's next sync has no backfilled message in it.
    const next = await clientApi(hs2, bob.accessToken, "GET", `/sync?since=${enc(since)}&timeout=0`);
    const timeline: Body[] = next.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
    expect(bodies(timeline)).toEqual([]);
    // And paging again needs no second backfill: it is all held now.
    const requests = fed.net.log.length;
    expect(bodies(await pageBack(hs2, bob, roomId))).toEqual(expected);
    expect(fed.net.log.slice(requests).filter((r) => r.path.includes("/backfill/"))).toEqual([]);
  });

  it("fills a hole in the middle of the history: events a catch-up skipped after an outage", async () => {
    const roomId = await createRoomWithHistory("holes", "shared", 5);
    expect(
      (await clientApi(hs2, bob.accessToken, "POST", `/join/${enc("#holes:hs1.test")}`, {})).status,
    ).toBe(200);
    let since = (await clientApi(hs2, bob.accessToken, "GET", "/sync")).body.next_batch as string;
    fed.net.partition("hs1.test", "hs2.test");
    for (let i = 1; i <= 130; i++) {
      await clientApi(hs1, alice.accessToken, "PUT", `/rooms/${enc(roomId)}/send/m.room.message/gap${i}`, {
        msgtype: "m.text",
        body: `during ${i}`,
      });
    }
    fed.net.heal();
    // Far behind, hs1 catches hs2 up with the latest event only; hs2 closes the gap with state_ids.
    hs1.ctx.federation.sender.destinationIsUp("hs2.test");
    for (let round = 0; ; round++) {
      expect(round).toBeLessThan(30);
      const res = await clientApi(hs2, bob.accessToken, "GET", `/sync?since=${enc(since)}&timeout=5000`);
      since = res.body.next_batch;
      if (bodies(res.body.rooms?.join?.[roomId]?.timeline?.events ?? []).includes("during 130")) break;
    }
    const all = bodies(await pageBack(hs2, bob, roomId));
    const during = Array.from({ length: 130 }, (_, i) => `during ${130 - i}`);
    const before = Array.from({ length: 5 }, (_, i) => `message ${5 - i}`);
    expect(all).toEqual([...during, ...before]);
  });

  it("answers with what it holds when no other server can be reached", async () => {
    const roomId = await createRoomWithHistory("cutoff", "shared", 30);
    expect(
      (await clientApi(hs2, bob.accessToken, "POST", `/join/${enc("#cutoff:hs1.test")}`, {})).status,
    ).toBe(200);
    fed.net.partition("hs1.test", "hs2.test");
    try {
      const res = await clientApi(
        hs2,
        bob.accessToken,
        "GET",
        `/rooms/${enc(roomId)}/messages?dir=b&limit=50`,
      );
      expect(res.status).toBe(200);
      expect(bodies(res.body.chunk)).toEqual([]);
    } finally {
      fed.net.heal();
    }
    // Reachable again, the history comes.
    expect(bodies(await pageBack(hs2, bob, roomId))).toHaveLength(30);
  });

  it("shows no history from before the join when the room's history is for joined members only", async () => {
    const roomId = await createRoomWithHistory("private-past", "joined", 10);
    expect(
      (await clientApi(hs2, bob.accessToken, "POST", `/join/${enc("#private-past:hs1.test")}`, {})).status,
    ).toBe(200);
    await clientApi(hs1, alice.accessToken, "PUT", `/rooms/${enc(roomId)}/send/m.room.message/after`, {
      msgtype: "m.text",
      body: "after the join",
    });
    // Wait for the message to reach hs2 through its sync.
    let since: string | undefined;
    for (let i = 0; i < 20; i++) {
      const res = await clientApi(
        hs2,
        bob.accessToken,
        "GET",
        `/sync${since ? `?since=${enc(since)}&timeout=5000` : ""}`,
      );
      since = res.body.next_batch;
      if (bodies(res.body.rooms?.join?.[roomId]?.timeline?.events ?? []).includes("after the join")) break;
    }
    expect(bodies(await pageBack(hs2, bob, roomId))).toEqual(["after the join"]);
  });
});
