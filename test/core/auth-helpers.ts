/** Fixture builders for the auth rule tests: plain JSON events with fake ids, state maps keyed by tuple. */
import { generateKeyPairSync, sign } from "node:crypto";
import canonicalize from "canonicalize";
import { expect } from "vitest";
import type { AuthResult } from "../../src/core/auth-rules.ts";
import { isJsonObject, type JsonObject } from "../../src/core/json.ts";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import { getRoomVersion, type RoomVersion } from "../../src/core/room-versions.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";

export function version(id: string): RoomVersion {
  const v = getRoomVersion(id);
  if (v === undefined) throw new Error(`unknown room version ${id}`);
  return v;
}

export const ALL_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];

/** A PDU from partial JSON; the fields the rules never read get harmless defaults. */
export function pdu(json: JsonObject): IdentifiedPdu {
  return {
    prev_events: [],
    auth_events: [],
    depth: 1,
    origin_server_ts: 0,
    content: {},
    ...json,
    // Fixtures are deliberately partial or malformed JSON (missing state_key, odd types): the rules must cope.
  } as unknown as IdentifiedPdu;
}

export function stateOf(...events: IdentifiedPdu[]): Map<string, IdentifiedPdu> {
  const state = new Map<string, IdentifiedPdu>();
  for (const e of events) state.set(stateTupleKey(e.type, e.state_key as string), e);
  return state;
}

/** gomatrixserverlib's test auth-event layout: {create, join_rules, power_levels, member{}, third_party_invite{}}. */
export function gmslAuthState(authEvents: JsonObject): Map<string, IdentifiedPdu> {
  const state = new Map<string, IdentifiedPdu>();
  const single: Array<[string, string]> = [
    ["create", "m.room.create"],
    ["join_rules", "m.room.join_rules"],
    ["power_levels", "m.room.power_levels"],
  ];
  for (const [field, type] of single) {
    const e = authEvents[field];
    if (isJsonObject(e)) state.set(stateTupleKey(type, ""), pdu(e));
  }
  const keyed: Array<[string, string]> = [
    ["member", "m.room.member"],
    ["third_party_invite", "m.room.third_party_invite"],
  ];
  for (const [field, type] of keyed) {
    const map = authEvents[field];
    if (!isJsonObject(map)) continue;
    for (const [key, e] of Object.entries(map))
      if (isJsonObject(e)) state.set(stateTupleKey(type, key), pdu(e));
  }
  return state;
}

export function expectAllowed(result: AuthResult): void {
  expect(result).toEqual({ allowed: true });
}

export function expectDenied(result: AuthResult, reason?: RegExp): void {
  expect(result.allowed).toBe(false);
  if (result.allowed) return;
  expect(typeof result.reason).toBe("string");
  expect(result.reason.length).toBeGreaterThan(0);
  if (reason) expect(result.reason).toMatch(reason);
}

/**
 * A room in a given version: the creator's create event and join, optional PL / join rules, and other
 * members. v12 rooms get a hash-style room id derived from the create event id.
 */
export interface RoomSpec {
  creator?: string;
  createContent?: JsonObject;
  powerLevels?: JsonObject;
  joinRule?: string;
  /** user → membership, besides the creator's join. */
  members?: Record<string, string>;
  /** Extra member content keyed by user (e.g. join_authorised_via_users_server). */
  extra?: IdentifiedPdu[];
}

export interface TestRoom {
  v: RoomVersion;
  roomId: string;
  create: IdentifiedPdu;
  state: Map<string, IdentifiedPdu>;
  /** An event in this room with a fresh fake id. */
  event(json: JsonObject): IdentifiedPdu;
}

let counter = 0;

export function makeRoom(versionId: string, spec: RoomSpec = {}): TestRoom {
  const v = version(versionId);
  const creator = spec.creator ?? "@alice:a";
  const createId = v.roomIdFromCreateEvent ? "$createhash" + versionId : "$create:a";
  const roomId = v.roomIdFromCreateEvent ? "!createhash" + versionId : "!room:a";
  const createContent: JsonObject = { room_version: versionId, ...(spec.createContent ?? {}) };
  if (!v.implicitRoomCreator && createContent.creator === undefined) createContent.creator = creator;
  const create = pdu({
    event_id: createId,
    type: "m.room.create",
    state_key: "",
    sender: creator,
    content: createContent,
    ...(v.roomIdFromCreateEvent ? {} : { room_id: roomId }),
  });
  const inRoom = (json: JsonObject): IdentifiedPdu =>
    pdu({ event_id: `$e${++counter}:a`, room_id: roomId, ...json });
  const events = [
    create,
    inRoom({ type: "m.room.member", state_key: creator, sender: creator, content: { membership: "join" } }),
  ];
  if (spec.powerLevels)
    events.push(
      inRoom({ type: "m.room.power_levels", state_key: "", sender: creator, content: spec.powerLevels }),
    );
  if (spec.joinRule)
    events.push(
      inRoom({
        type: "m.room.join_rules",
        state_key: "",
        sender: creator,
        content: { join_rule: spec.joinRule },
      }),
    );
  for (const [user, membership] of Object.entries(spec.members ?? {})) {
    const sender = membership === "invite" || membership === "ban" ? creator : user;
    events.push(inRoom({ type: "m.room.member", state_key: user, sender, content: { membership } }));
  }
  events.push(...(spec.extra ?? []).map((e) => ({ ...e, room_id: roomId })));
  return { v, roomId, create, state: stateOf(...events), event: inRoom };
}

function signedBytes(obj: JsonObject): Buffer {
  const { signatures: _s, unsigned: _u, ...rest } = obj;
  // RFC 8785 equals Matrix canonical JSON for the ASCII-only objects used in these tests, and keeps
  // the test's signer independent of src/core/canonical-json.
  return Buffer.from(canonicalize(rest) ?? "", "utf8");
}

/** A fresh Ed25519 identity-server key: returns the unpadded base64 public key and a signer for `signed` blocks. */
export function identityServerKey(): {
  publicKey: string;
  signBlock: (obj: JsonObject, server: string, keyId: string) => JsonObject;
} {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(12);
  return {
    publicKey: raw.toString("base64").replace(/=+$/, ""),
    signBlock: (obj, server, keyId) => {
      const sig = sign(null, signedBytes(obj), privateKey).toString("base64").replace(/=+$/, "");
      return { ...obj, signatures: { [server]: { [keyId]: sig } } };
    },
  };
}
