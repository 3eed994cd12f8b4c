import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi } from "./outbound-resident.ts";

/*
 * Three real Hearths in one process: users join each other's rooms through the outbound join and
 * these inbound endpoints, and messages travel through the sender's /send into the inbound pipeline.
 */

let fed: TestFederation;
let hs1: Homeserver;
let hs2: Homeserver;
let hs3: Homeserver;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test", "hs3.test"]);
  [hs1, hs2, hs3] = fed.servers as [Homeserver, Homeserver, Homeserver];
  alice = await createTestUser(hs1, "alice");
  bob = await createTestUser(hs2, "bob");
  carol = await createTestUser(hs3, "carol");
});
afterAll(() => fed?.destroy());

const enc = encodeURIComponent;

// Response bodies are arbitrary JSON; tests assert on their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

/**
 * Long-polls `session`'s /sync until `found` returns something from a response (the sync long-poll is
 * the event this waits on; no timers). Gives up after a number of rounds, failing the test.
 */
async function syncUntil<T>(
  hs: Homeserver,
  session: Session,
  found: (body: Body) => T | undefined,
): Promise<T> {
  let since: string | undefined;
  for (let round = 0; round < 50; round++) {
    const q = since ? `?since=${enc(since)}&timeout=5000` : "";
    const res = await clientApi(hs, session.accessToken, "GET", `/sync${q}`);
    expect(res.status).toBe(200);
    const hit = found(res.body);
    if (hit !== undefined) return hit;
    since = res.body.next_batch;
  }
  throw new Error("sync never showed what was expected");
}

function timelineBodies(body: Body, roomId: string): string[] {
  const events: Body[] = body.rooms?.join?.[roomId]?.timeline?.events ?? [];
  return events.filter((e) => e.type === "m.room.message").map((e) => e.content.body as string);
}

describe("chat across three servers", () => {
  it("joins by alias, chats both ways, and the resident server relays a third server's join", async () => {
    const created = await clientApi(hs1, alice.accessToken, "POST", "/createRoom", {
      preset: "public_chat",
      room_alias_name: "lobby",
    });
    expect(created.status).toBe(200);
    const roomId: string = created.body.room_id;

    const joined = await clientApi(hs2, bob.accessToken, "POST", `/join/${enc("#lobby:hs1.test")}`, {});
    expect(joined).toEqual({ status: 200, body: { room_id: roomId } });

    // hs1 → hs2: the sender delivers alice's message, hs2's pipeline accepts it.
    await clientApi(hs1, alice.accessToken, "PUT", `/rooms/${enc(roomId)}/send/m.room.message/a1`, {
      msgtype: "m.text",
      body: "hello from hs1",
    });
    await syncUntil(hs2, bob, (b) =>
      timelineBodies(b, roomId).includes("hello from hs1") ? true : undefined,
    );

    // hs2 → hs1.
    await clientApi(hs2, bob.accessToken, "PUT", `/rooms/${enc(roomId)}/send/m.room.message/b1`, {
      msgtype: "m.text",
      body: "hello from hs2",
    });
    await syncUntil(hs1, alice, (b) =>
      timelineBodies(b, roomId).includes("hello from hs2") ? true : undefined,
    );

    // hs3 joins through hs1 (send_join); hs1 relays the join to hs2, and carol's message reaches both.
    const joined3 = await clientApi(
      hs3,
      carol.accessToken,
      "POST",
      `/join/${enc(roomId)}?server_name=hs1.test`,
      {},
    );
    expect(joined3.status).toBe(200);
    const members = await syncUntil(hs2, bob, (b) => {
      const state: Body[] = [
        ...(b.rooms?.join?.[roomId]?.state?.events ?? []),
        ...(b.rooms?.join?.[roomId]?.timeline?.events ?? []),
      ];
      return state.some((e) => e.type === "m.room.member" && e.state_key === "@carol:hs3.test")
        ? true
        : undefined;
    });
    expect(members).toBe(true);
    await clientApi(hs3, carol.accessToken, "PUT", `/rooms/${enc(roomId)}/send/m.room.message/c1`, {
      msgtype: "m.text",
      body: "hello from hs3",
    });
    await syncUntil(hs1, alice, (b) =>
      timelineBodies(b, roomId).includes("hello from hs3") ? true : undefined,
    );
    await syncUntil(hs2, bob, (b) =>
      timelineBodies(b, roomId).includes("hello from hs3") ? true : undefined,
    );
  });
});
