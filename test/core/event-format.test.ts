import { describe, expect, it } from "vitest";
import { parseJson } from "../../src/core/canonical-json.ts";
import {
  assertValidPdu,
  checkEventSize,
  EventFormatError,
  MAX_PDU_BYTES,
} from "../../src/core/event-format.ts";
import type { JsonObject, JsonValue } from "../../src/core/json.ts";
import type { Pdu } from "../../src/core/pdu.ts";
import { getRoomVersion, type RoomVersion } from "../../src/core/room-versions.ts";

function rv(id: string): RoomVersion {
  const v = getRoomVersion(id);
  if (v === undefined) throw new Error(`no room version ${id}`);
  return v;
}

function pdu(extra: JsonObject = {}): Pdu {
  return {
    type: "m.room.message",
    sender: "@a:domain",
    room_id: "!r:domain",
    content: { body: "hi" },
    origin_server_ts: 1,
    depth: 2,
    hashes: { sha256: "x" },
    signatures: { domain: { "ed25519:1": "sig" } },
    prev_events: ["$p"],
    auth_events: ["$a"],
    ...extra,
  } as Pdu;
}

function v1pdu(extra: JsonObject = {}): Pdu {
  return pdu({
    event_id: "$e:domain",
    prev_events: [["$p:domain", { sha256: "h" }]],
    auth_events: [["$a:domain", { sha256: "h" }]],
    ...extra,
  });
}

function rejects(value: JsonValue, version: string): boolean {
  try {
    assertValidPdu(value, rv(version));
    return false;
  } catch (e) {
    if (e instanceof EventFormatError) return true;
    throw e;
  }
}

describe("assertValidPdu", () => {
  it("accepts well-formed PDUs of each format", () => {
    expect(rejects(v1pdu(), "1")).toBe(false);
    expect(rejects(pdu(), "3")).toBe(false);
    expect(rejects(pdu(), "11")).toBe(false);
    expect(rejects(pdu({ state_key: "", unsigned: { age: 1 } }), "12")).toBe(false);
  });

  it("uses the reference format of the version", () => {
    expect(rejects(pdu(), "1")).toBe(true);
    expect(rejects(v1pdu(), "3")).toBe(true);
    expect(rejects(v1pdu({ prev_events: [["$p:domain"]] }), "2")).toBe(true);
    expect(rejects(pdu({ auth_events: "x" }), "10")).toBe(true);
  });

  it("requires event_id in v1/v2 only", () => {
    const { event_id: _e, ...noId } = v1pdu();
    expect(rejects(noId, "1")).toBe(true);
    expect(rejects(pdu({ event_id: "$x" }), "11")).toBe(false);
  });

  it("v12 create events have no room_id; every other event has one", () => {
    const create = pdu({ type: "m.room.create", state_key: "", content: { room_version: "12" } });
    const { room_id: _r, ...createNoRoom } = create;
    expect(rejects(createNoRoom, "12")).toBe(false);
    expect(rejects(create, "12")).toBe(true);
    expect(rejects(createNoRoom, "11")).toBe(true);
    const { room_id: _r2, ...messageNoRoom } = pdu();
    expect(rejects(messageNoRoom, "12")).toBe(true);
  });

  it.each([
    ["not an object", [] as JsonValue],
    ["type", pdu({ type: 5 })],
    ["sender", pdu({ sender: null })],
    ["content", pdu({ content: "x" })],
    ["origin_server_ts", pdu({ origin_server_ts: "1" })],
    ["depth", pdu({ depth: -1 })],
    ["depth not integer", pdu({ depth: "2" })],
    ["hashes", pdu({ hashes: {} })],
    ["signatures", pdu({ signatures: [] })],
    ["signature values", pdu({ signatures: { domain: { "ed25519:1": 1 } } })],
    ["signature map", pdu({ signatures: { domain: "x" } })],
    ["unsigned", pdu({ unsigned: 1 })],
    ["state_key", pdu({ state_key: 1 })],
  ])("rejects a bad %s", (_what, value) => {
    expect(rejects(value, "11")).toBe(true);
  });

  it("enforces strict canonical JSON from v6 only", () => {
    const withFloat = parseJson(
      '{"type":"X","sender":"@a:d","room_id":"!r:d","content":{"f":1.5},"origin_server_ts":1,"depth":1,' +
        '"hashes":{"sha256":"x"},"signatures":{},"prev_events":[],"auth_events":[]}',
    );
    expect(rejects(withFloat, "5")).toBe(false);
    expect(rejects(withFloat, "6")).toBe(true);
    const bigInt = pdu({ content: { n: 2 ** 53 } });
    expect(rejects(bigInt, "6")).toBe(true);
  });
});

describe("checkEventSize", () => {
  const v10 = rv("10");
  const v11 = rv("11");

  it("accepts an ordinary event", () => {
    expect(checkEventSize(pdu(), v11)).toBeUndefined();
  });

  it("limits the whole PDU to 65536 canonical bytes", () => {
    const base = JSON.stringify(pdu({ content: { body: "" } })).length;
    const fits = pdu({ content: { body: "x".repeat(MAX_PDU_BYTES - base) } });
    expect(checkEventSize(fits, v11)).toBeUndefined();
    const over = pdu({ content: { body: "x".repeat(MAX_PDU_BYTES - base + 1) } });
    expect(checkEventSize(over, v11)).toEqual({ field: "event", limit: 65536, actual: 65537, drop: true });
  });

  it("limits ids, types and state keys to 255", () => {
    expect(checkEventSize(pdu({ type: "t".repeat(255) }), v11)).toBeUndefined();
    expect(checkEventSize(pdu({ type: "t".repeat(256) }), v11)).toMatchObject({ field: "type", drop: true });
    expect(checkEventSize(pdu({ state_key: "s".repeat(256) }), v11)).toMatchObject({ field: "state_key" });
    expect(checkEventSize(pdu({ sender: "@" + "a".repeat(251) + ":dom" }), v11)).toMatchObject({
      field: "sender",
    });
    expect(checkEventSize(pdu({ room_id: "!" + "r".repeat(255) }), v11)).toMatchObject({ field: "room_id" });
    expect(checkEventSize(pdu(), v11, "$" + "e".repeat(255))).toMatchObject({ field: "event_id" });
  });

  it("drops byte-only violations from v11, keeps them as rejected before (Synapse compatibility)", () => {
    const wide = pdu({ state_key: "é".repeat(200) }); // 200 code points, 400 bytes
    expect(checkEventSize(wide, v11)).toEqual({ field: "state_key", limit: 255, actual: 400, drop: true });
    expect(checkEventSize(wide, v10)).toEqual({ field: "state_key", limit: 255, actual: 400, drop: false });
    // Too many code points is never tolerated.
    expect(checkEventSize(pdu({ state_key: "é".repeat(256) }), v10)).toMatchObject({
      drop: true,
      actual: 256,
    });
    // Astral characters count once as code points.
    expect(checkEventSize(pdu({ state_key: "🐈".repeat(100) }), v10)).toMatchObject({
      actual: 400,
      drop: false,
    });
  });
});
