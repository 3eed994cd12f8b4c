import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { version } from "../rooms/helpers.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { clientApi, copy, FakeResident } from "./outbound-resident.ts";

/*
 * Backfilled events go through the checks on receipt: a forged content (the hash no longer matches)
 * is stored redacted, a bad signature is dropped, and neither shows its forged content to clients.
 */

let fed: TestFederation;
let hs: Homeserver;
let bob: Session;
const enc = encodeURIComponent;
// Response bodies are arbitrary JSON; tests assert on their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

beforeAll(async () => {
  fed = await startFederation(["hs2.test"]);
  hs = fed.hs("hs2.test");
  bob = await createTestUser(hs, "bob");
});
afterAll(() => fed?.destroy());

function residentWithHistory(name: string): FakeResident {
  const r = new FakeResident(name, version("11"));
  r.create(`@alice:${name}`);
  for (let i = 1; i <= 8; i++) {
    r.send(`@alice:${name}`, {
      type: "m.room.message",
      content: { msgtype: "m.text", body: `message ${i}` },
    });
  }
  fed.net.register(name, r.handler);
  return r;
}

async function history(roomId: string, session: Session): Promise<Body[]> {
  const res = await clientApi(
    hs,
    session.accessToken,
    "GET",
    `/rooms/${enc(roomId)}/messages?dir=b&limit=50`,
  );
  expect(res.status).toBe(200);
  return res.body.chunk as Body[];
}

describe("checks on backfilled events", () => {
  it("stores an event whose content was tampered with redacted, and never shows the forged text", async () => {
    const r = residentWithHistory("forger.test");
    const target = r.events.find((e) => e.content.body === "message 5")!;
    r.tamper = (route, body) => {
      if (route !== "backfill") return body;
      const out = copy(body);
      for (const pdu of out.pdus as JsonObject[]) {
        if (pdu.event_id === target.event_id || (pdu.content as JsonObject).body === "message 5") {
          pdu.content = { msgtype: "m.text", body: "forged" };
        }
      }
      return out;
    };
    const join = await clientApi(hs, bob.accessToken, "POST", `/join/${enc(r.roomId)}?via=forger.test`, {});
    expect(join.status).toBe(200);

    const events = await history(r.roomId, bob);
    const bodies = events
      .filter((e) => e.type === "m.room.message")
      .map((e) => e.content.body ?? "(redacted)");
    expect(bodies).not.toContain("forged");
    expect(bodies).toEqual([
      "message 8",
      "message 7",
      "message 6",
      "(redacted)",
      "message 4",
      "message 3",
      "message 2",
      "message 1",
    ]);
    const redacted = events.find((e) => e.event_id === target.event_id);
    expect(redacted?.content).toEqual({});
    expect(r.requests.some((p) => p.startsWith("GET /_matrix/federation/v1/backfill/"))).toBe(true);
  });

  it("drops an event with a bad signature", async () => {
    const r = residentWithHistory("badsig.test");
    const target = r.events.at(-1)!;
    r.tamper = (route, body) => {
      if (route !== "backfill") return body;
      const out = copy(body);
      for (const pdu of out.pdus as JsonObject[]) {
        if ((pdu.content as JsonObject).body === "message 8") {
          pdu.signatures = { "badsig.test": { [r.key.keyId]: "A".repeat(86) } };
        }
      }
      return out;
    };
    const user = await createTestUser(hs, "carol");
    expect(
      (await clientApi(hs, user.accessToken, "POST", `/join/${enc(r.roomId)}?via=badsig.test`, {})).status,
    ).toBe(200);
    const events = await history(r.roomId, user);
    expect(events.some((e) => e.event_id === target.event_id)).toBe(false);
    // The older history, which does not hang on the dropped event, still came.
    const bodies = events.filter((e) => e.type === "m.room.message").map((e) => e.content.body);
    expect(bodies).toEqual([7, 6, 5, 4, 3, 2, 1].map((i) => `message ${i}`));
  });
});
