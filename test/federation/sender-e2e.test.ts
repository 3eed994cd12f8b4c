import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi } from "./outbound-resident.ts";
import { FAST_BACKOFF } from "./sender-support.ts";

/*
 * Two Hearths through the in-process network (real X-Matrix signing, real /send on the receiver):
 * messages sent on hs1 reach a user of hs2 in order, also across a partition and a restart of hs1.
 */
describe("federation sender end to end: hs1 → hs2", () => {
  let fed: TestFederation;
  let alice: Session;
  let bob: Session;
  let roomId: string;
  const enc = encodeURIComponent;
  const hs1 = (): Homeserver => fed.hs("hs1.test");
  const hs2 = (): Homeserver => fed.hs("hs2.test");

  beforeAll(async () => {
    fed = await startFederation(["hs1.test", "hs2.test"], {
      homeserverOptions: { sender: { backoff: FAST_BACKOFF } },
    });
    alice = await createTestUser(hs1(), "alice");
    bob = await createTestUser(hs2(), "bob");
    const created = await clientApi(hs1(), alice.accessToken, "POST", "/createRoom", {
      preset: "public_chat",
    });
    expect(created.status).toBe(200);
    roomId = created.body.room_id;
    const joined = await clientApi(hs2(), bob.accessToken, "POST", `/join/${enc(roomId)}?via=hs1.test`, {});
    expect(joined).toEqual({ status: 200, body: { room_id: roomId } });
  });
  afterAll(() => fed?.destroy());

  async function send(body: string): Promise<void> {
    const res = await clientApi(
      hs1(),
      alice.accessToken,
      "PUT",
      `/rooms/${enc(roomId)}/send/m.room.message/${enc(body)}`,
      {
        msgtype: "m.text",
        body,
      },
    );
    expect(res.status).toBe(200);
  }

  let since: string | undefined;
  /**
   * The messages bob gets after those of the previous call, waiting (long-poll) until `count` arrived.
   * The timeline limit covers a whole transaction of them, which hs2 stores (and wakes bob for) at once.
   */
  async function bobSees(count: number): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const filter = `filter=${enc(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`;
      const query = since === undefined ? `?${filter}` : `?${filter}&since=${enc(since)}&timeout=10000`;
      const res = await clientApi(hs2(), bob.accessToken, "GET", `/sync${query}`);
      expect(res.status).toBe(200);
      since = res.body.next_batch;
      const events: Array<{ type: string; content: { body?: string } }> =
        res.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
      for (const e of events) if (e.type === "m.room.message" && e.content.body) bodies.push(e.content.body);
      if (bodies.length >= count) return bodies;
    }
  }

  it("delivers messages sent on hs1 to bob on hs2, in order", async () => {
    for (const body of ["one", "two", "three"]) await send(body);
    expect(await bobSees(3)).toEqual(["one", "two", "three"]);
  });

  it("partition then heal: nothing lost, order kept", async () => {
    fed.net.partition("hs1.test", "hs2.test");
    const sent = Array.from({ length: 12 }, (_, i) => `p${i}`);
    for (const body of sent) await send(body);
    fed.net.heal();
    expect(await bobSees(sent.length)).toEqual(sent);
    const metrics = await hs1().ctx.metrics.registry.metrics();
    expect(metrics).toMatch(/hearth_federation_transactions_total\{result="sent"\} [1-9]/);
    expect(metrics).toMatch(/hearth_federation_transactions_total\{result="failed"\} [1-9]/);
    expect(metrics).toMatch(/hearth_federation_pdus_sent_total [1-9]/);
  });

  it("hs1 restarted while partitioned still delivers what was queued, in order", async () => {
    fed.net.partition("hs1.test", "hs2.test");
    const sent = ["r0", "r1", "r2"];
    for (const body of sent) await send(body);
    await fed.restart("hs1.test");
    await send("after restart");
    fed.net.heal();
    expect(await bobSees(4)).toEqual([...sent, "after restart"]);
  });
});
