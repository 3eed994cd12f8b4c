import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { getCurrentMembership } from "../../src/storage/rooms/memberships.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi } from "./outbound-resident.ts";

/*
 * Two real Hearths: state changes, kicks and bans made on one server take effect on the other, and
 * state changed on both sides at once while partitioned converges to the same state once healed.
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
  fed = await startFederation(["hs1.test", "hs2.test"]);
  [hs1, hs2] = fed.servers as [Homeserver, Homeserver];
  alice = await createTestUser(hs1, "alice");
  bob = await createTestUser(hs2, "bob");
});
afterAll(() => fed?.destroy());

/** Long-polls `session`'s sync until an event `match` accepts shows in the room's timeline. */
async function seen(hs: Homeserver, session: Session, roomId: string, match: (e: Body) => boolean) {
  let since: string | undefined;
  for (let round = 0; round < 40; round++) {
    const q = since ? `?since=${enc(since)}&timeout=5000` : "";
    const res = await clientApi(hs, session.accessToken, "GET", `/sync${q}`);
    since = res.body.next_batch;
    const rooms = res.body.rooms ?? {};
    for (const section of ["join", "leave"]) {
      const events: Body[] = rooms[section]?.[roomId]?.timeline?.events ?? [];
      if (events.some(match)) return;
    }
  }
  throw new Error("the event never arrived");
}

async function sharedRoom(): Promise<string> {
  const created = await clientApi(hs1, alice.accessToken, "POST", "/createRoom", { preset: "public_chat" });
  const roomId: string = created.body.room_id;
  const join = await clientApi(hs2, bob.accessToken, "POST", `/join/${enc(roomId)}?server_name=hs1.test`, {});
  expect(join.status).toBe(200);
  return roomId;
}

const membershipOn = async (hs: Homeserver, roomId: string, userId: string) =>
  (await getCurrentMembership(hs.ctx.db, roomId, userId))?.membership;

describe("moderation and state across servers", () => {
  it("a state change, a kick and a ban on hs1 take effect on hs2", async () => {
    const roomId = await sharedRoom();
    const topic = await clientApi(
      hs1,
      alice.accessToken,
      "PUT",
      `/rooms/${enc(roomId)}/state/m.room.topic/`,
      {
        topic: "set on hs1",
      },
    );
    expect(topic.status).toBe(200);
    await seen(hs2, bob, roomId, (e) => e.event_id === topic.body.event_id);
    const onHs2 = await clientApi(hs2, bob.accessToken, "GET", `/rooms/${enc(roomId)}/state/m.room.topic/`);
    expect(onHs2.body.topic).toBe("set on hs1");

    const kick = await clientApi(hs1, alice.accessToken, "POST", `/rooms/${enc(roomId)}/kick`, {
      user_id: bob.userId,
      reason: "testing",
    });
    expect(kick.status).toBe(200);
    await seen(hs2, bob, roomId, (e) => e.type === "m.room.member" && e.content.membership === "leave");
    expect(await membershipOn(hs2, roomId, bob.userId)).toBe("leave");

    // Kicked, not banned: bob may come back.
    const rejoin = await clientApi(
      hs2,
      bob.accessToken,
      "POST",
      `/join/${enc(roomId)}?server_name=hs1.test`,
      {},
    );
    expect(rejoin.status).toBe(200);
    expect(await membershipOn(hs1, roomId, bob.userId)).toBe("join");

    const ban = await clientApi(hs1, alice.accessToken, "POST", `/rooms/${enc(roomId)}/ban`, {
      user_id: bob.userId,
    });
    expect(ban.status).toBe(200);
    await seen(hs2, bob, roomId, (e) => e.type === "m.room.member" && e.content.membership === "ban");
    expect(await membershipOn(hs2, roomId, bob.userId)).toBe("ban");
    const again = await clientApi(
      hs2,
      bob.accessToken,
      "POST",
      `/join/${enc(roomId)}?server_name=hs1.test`,
      {},
    );
    expect(again.status).toBe(403);
    expect(await membershipOn(hs1, roomId, bob.userId)).toBe("ban");
  });

  it("concurrent state changes on both sides of a partition converge once healed", async () => {
    const roomId = await sharedRoom();
    const pl = await clientApi(
      hs1,
      alice.accessToken,
      "GET",
      `/rooms/${enc(roomId)}/state/m.room.power_levels/`,
    );
    const power = await clientApi(
      hs1,
      alice.accessToken,
      "PUT",
      `/rooms/${enc(roomId)}/state/m.room.power_levels/`,
      {
        ...pl.body,
        users: { ...pl.body.users, [bob.userId]: 100 },
      },
    );
    expect(power.status).toBe(200);
    await seen(hs2, bob, roomId, (e) => e.event_id === power.body.event_id);

    fed.net.partition("hs1.test", "hs2.test");
    const nameA = await clientApi(hs1, alice.accessToken, "PUT", `/rooms/${enc(roomId)}/state/m.room.name/`, {
      name: "named on hs1",
    });
    const nameB = await clientApi(hs2, bob.accessToken, "PUT", `/rooms/${enc(roomId)}/state/m.room.name/`, {
      name: "named on hs2",
    });
    expect([nameA.status, nameB.status]).toEqual([200, 200]);
    fed.net.heal();
    hs1.ctx.federation.sender.destinationIsUp("hs2.test");
    hs2.ctx.federation.sender.destinationIsUp("hs1.test");
    await seen(hs2, bob, roomId, (e) => e.event_id === nameA.body.event_id);
    await seen(hs1, alice, roomId, (e) => e.event_id === nameB.body.event_id);

    // Both servers now hold both names and resolve the fork alike.
    const names = await Promise.all(
      [
        [hs1, alice],
        [hs2, bob],
      ].map(async ([hs, s]) => {
        const res = await clientApi(
          hs as Homeserver,
          (s as Session).accessToken,
          "GET",
          `/rooms/${enc(roomId)}/state/m.room.name/`,
        );
        return res.body.name as string;
      }),
    );
    expect(["named on hs1", "named on hs2"]).toContain(names[0]);
    expect(names[1]).toBe(names[0]);
    // A message from each side merges the fork; the servers still agree.
    for (const [hs, s, txn] of [
      [hs1, alice, "m1"],
      [hs2, bob, "m2"],
    ] as const) {
      const sent = await clientApi(
        hs,
        s.accessToken,
        "PUT",
        `/rooms/${enc(roomId)}/send/m.room.message/${txn}`,
        {
          msgtype: "m.text",
          body: txn,
        },
      );
      expect(sent.status).toBe(200);
    }
    await seen(hs1, alice, roomId, (e) => e.content?.body === "m2");
    await seen(hs2, bob, roomId, (e) => e.content?.body === "m1");
    const after1 = await clientApi(hs1, alice.accessToken, "GET", `/rooms/${enc(roomId)}/state`);
    const after2 = await clientApi(hs2, bob.accessToken, "GET", `/rooms/${enc(roomId)}/state`);
    const ids = (events: Body[]) => events.map((e) => e.event_id).sort();
    expect(ids(after2.body)).toEqual(ids(after1.body));
  });
});
