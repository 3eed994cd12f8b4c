import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi } from "./outbound-resident.ts";

/*
 * The sender honours m.room.server_acl: once a room denies a server, the room's events are no longer
 * queued for it (it would refuse them, and must not get them), while allowed servers still get them.
 */

let fed: TestFederation;
let hs1: Homeserver;
let hs2: Homeserver;
let hs3: Homeserver;
let alice: Session;
let bob: Session;
let carol: Session;
const enc = encodeURIComponent;

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test", "hs3.test"]);
  [hs1, hs2, hs3] = fed.servers as [Homeserver, Homeserver, Homeserver];
  alice = await createTestUser(hs1, "alice");
  bob = await createTestUser(hs2, "bob");
  carol = await createTestUser(hs3, "carol");
});
afterAll(() => fed?.destroy());

async function queuedFor(destination: string, eventId: string): Promise<number> {
  const rows = await hs1.ctx.db
    .selectFrom("federation_outbox_pdus")
    .select("event_id")
    .where("destination", "=", destination)
    .where("event_id", "=", eventId)
    .execute();
  return rows.length;
}

describe("the sender and server ACLs", () => {
  it("stops sending a room's events to a server its ACL denies", async () => {
    const created = await clientApi(hs1, alice.accessToken, "POST", "/createRoom", { preset: "public_chat" });
    const roomId: string = created.body.room_id;
    for (const [hs, user, name] of [
      [hs2, bob, "hs2"],
      [hs3, carol, "hs3"],
    ] as const) {
      const join = await clientApi(
        hs,
        user.accessToken,
        "POST",
        `/join/${enc(roomId)}?server_name=hs1.test`,
        {},
      );
      expect(join.status, name).toBe(200);
    }
    const before = await clientApi(
      hs1,
      alice.accessToken,
      "PUT",
      `/rooms/${enc(roomId)}/send/m.room.message/b`,
      {
        msgtype: "m.text",
        body: "before the ACL",
      },
    );
    // hs3 takes part until the ACL: carol's sync shows the message.
    let since: string | undefined;
    for (let round = 0; ; round++) {
      expect(round).toBeLessThan(20);
      const q = since ? `?since=${enc(since)}&timeout=5000` : "";
      const res = await clientApi(hs3, carol.accessToken, "GET", `/sync${q}`);
      since = res.body.next_batch;
      const events: { event_id: string }[] = res.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
      if (events.some((e) => e.event_id === before.body.event_id)) break;
    }

    const acl = await clientApi(
      hs1,
      alice.accessToken,
      "PUT",
      `/rooms/${enc(roomId)}/state/m.room.server_acl/`,
      {
        allow: ["*"],
        deny: ["hs3.test"],
        allow_ip_literals: false,
      },
    );
    expect(acl.status).toBe(200);
    const after = await clientApi(
      hs1,
      alice.accessToken,
      "PUT",
      `/rooms/${enc(roomId)}/send/m.room.message/a`,
      {
        msgtype: "m.text",
        body: "after the ACL",
      },
    );
    const afterId: string = after.body.event_id;
    // Outbox rows are written in the event's own transaction: none for hs3.
    expect(await queuedFor("hs3.test", afterId)).toBe(0);
    expect(await queuedFor("hs3.test", acl.body.event_id)).toBe(0);
    // hs2 still gets it; hs3, once the sender has nothing left in flight, never did.
    await hs1.ctx.federation.sender.settled("hs2.test");
    await hs1.ctx.federation.sender.settled("hs3.test");
    const sentTo = fed.net.log.filter((r) => r.method === "PUT" && r.path.includes("/send/"));
    expect(sentTo.some((r) => r.destination === "hs2.test")).toBe(true);
    const atHs3 = await hs3.ctx.db
      .selectFrom("events")
      .select("event_id")
      .where("event_id", "=", afterId)
      .execute();
    expect(atHs3).toEqual([]);
  });
});
