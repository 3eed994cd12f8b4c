import { describe, expect, it } from "vitest";
import { EventFormatError } from "../../src/core/event-format.ts";
import {
  capKeyValidUntil,
  isKeyValidForEvent,
  isOldKeyValidForEvent,
  MAX_KEY_VALIDITY_MS,
  requiredSignatureServers,
} from "../../src/core/signature-requirements.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { getRoomVersion, ROOM_VERSIONS, type RoomVersion } from "../../src/core/room-versions.ts";

function rv(id: string): RoomVersion {
  const v = getRoomVersion(id);
  if (v === undefined) throw new Error(`no room version ${id}`);
  return v;
}

function servers(pdu: JsonObject, version: string): string[] {
  return requiredSignatureServers(pdu, rv(version)).sort();
}

describe("requiredSignatureServers", () => {
  it("needs the sender's server (gomatrixserverlib eventcrypto_test.go TestVerifyAllEventSignatures)", () => {
    // Source: matrix-org/gomatrixserverlib eventcrypto_test.go: one request, for `localhost`.
    const pdu: JsonObject = {
      type: "m.room.name",
      state_key: "",
      event_id: "$test:localhost",
      room_id: "!test:localhost",
      sender: "@test:localhost",
      origin: "originserver",
      content: { name: "Hello World" },
      origin_server_ts: 123456,
    };
    expect(servers(pdu, "1")).toEqual(["localhost"]);
    const { event_id: _id, ...v3 } = pdu;
    expect(servers(v3, "3")).toEqual(["localhost"]);
  });

  it("needs the event id's server too in v1/v2 (ruma verify/tests.rs, for_both_sender_and_event_id)", () => {
    const pdu: JsonObject = {
      event_id: "$event_id:domain-event",
      sender: "@name:domain-sender",
      type: "X",
      content: {},
    };
    expect(servers(pdu, "1")).toEqual(["domain-event", "domain-sender"]);
    expect(servers(pdu, "2")).toEqual(["domain-event", "domain-sender"]);
    expect(servers(pdu, "3")).toEqual(["domain-sender"]);
  });

  it("keeps a port in the server name", () => {
    expect(servers({ sender: "@a:localhost:8448", type: "X", content: {} }, "11")).toEqual([
      "localhost:8448",
    ]);
  });

  it("needs the authorising server for restricted joins from v8 (ruma verify/tests.rs)", () => {
    const join: JsonObject = {
      sender: "@name:domain-sender",
      type: "m.room.member",
      state_key: "@name:domain-sender",
      content: { membership: "join", join_authorised_via_users_server: "@authorized:domain-authorized" },
    };
    expect(servers(join, "7")).toEqual(["domain-sender"]);
    expect(servers(join, "8")).toEqual(["domain-authorized", "domain-sender"]);
    expect(servers(join, "12")).toEqual(["domain-authorized", "domain-sender"]);
    // Auth rule 4.2 (v8+) applies to every membership that carries the key, not only joins.
    const leave = { ...join, content: { membership: "leave", join_authorised_via_users_server: "@x:other" } };
    expect(servers(leave, "10")).toEqual(["domain-sender", "other"]);
    // Not a membership event: the auth rule does not look at it.
    expect(servers({ ...join, type: "X" }, "10")).toEqual(["domain-sender"]);
  });

  it("does not need the sender's server for an invite made from a third-party invite", () => {
    // Source: ruma/ruma crates/ruma-signatures/src/verify/tests.rs
    // verify_event_does_not_check_signatures_invite_via_third_party_id; synapse event_auth.py.
    const invite: JsonObject = {
      type: "m.room.member",
      sender: "@a:domain",
      state_key: "@alice:example.org",
      content: { membership: "invite", third_party_invite: { display_name: "alice", signed: {} } },
    };
    expect(servers(invite, "6")).toEqual([]);
    expect(servers({ ...invite, event_id: "$x:origin" }, "1")).toEqual(["origin"]);
  });

  it("does not need the invited server (gomatrixserverlib does; the spec and Synapse do not)", () => {
    // gomatrixserverlib eventcrypto_test.go TestVerifyAllEventSignaturesForInvite asks for bobserver too.
    const invite: JsonObject = {
      type: "m.room.member",
      state_key: "@bob:bobserver",
      event_id: "$test:aliceserver",
      room_id: "!test:room",
      sender: "@alice:aliceserver",
      content: { membership: "invite" },
    };
    expect(servers(invite, "1")).toEqual(["aliceserver"]);
  });

  it("throws EventFormatError for ids it cannot read", () => {
    const v11 = rv("11");
    expect(() => requiredSignatureServers({ type: "X", content: {} }, v11)).toThrow(EventFormatError);
    expect(() => requiredSignatureServers({ sender: "alice", type: "X", content: {} }, v11)).toThrow(
      EventFormatError,
    );
    expect(() => requiredSignatureServers({ sender: "@alice", type: "X", content: {} }, v11)).toThrow(
      EventFormatError,
    );
    expect(() => requiredSignatureServers({ sender: "@alice:", type: "X", content: {} }, v11)).toThrow(
      EventFormatError,
    );
    expect(() => requiredSignatureServers({ sender: "@a:b", type: "X", content: {} }, rv("1"))).toThrow(
      EventFormatError,
    );
    expect(() =>
      requiredSignatureServers(
        {
          sender: "@a:b",
          type: "m.room.member",
          content: { membership: "join", join_authorised_via_users_server: 5 },
        },
        v11,
      ),
    ).toThrow(EventFormatError);
  });
});

describe("signing key validity", () => {
  it("v5+ require valid_until_ts ≥ origin_server_ts; v1–v4 ignore it", () => {
    for (const v of ROOM_VERSIONS.values()) {
      expect(isKeyValidForEvent(v, 1000, 1000)).toBe(true);
      expect(isKeyValidForEvent(v, 1000, 999)).toBe(true);
      expect(isKeyValidForEvent(v, 1000, 1001)).toBe(["1", "2", "3", "4"].includes(v.id));
    }
  });

  it("old keys count up to and including their expired_ts", () => {
    // Spec: ignore keys "known to have expired prior to the event's origin_server_ts".
    expect(isOldKeyValidForEvent(929059200, 929059199)).toBe(true);
    expect(isOldKeyValidForEvent(929059200, 929059200)).toBe(true);
    expect(isOldKeyValidForEvent(929059200, 929059201)).toBe(false);
  });

  it("caps validity at 7 days after the key was fetched", () => {
    const now = 1_700_000_000_000;
    expect(MAX_KEY_VALIDITY_MS).toBe(604_800_000);
    expect(capKeyValidUntil(now + 1000, now)).toBe(now + 1000);
    expect(capKeyValidUntil(now + 30 * 86_400_000, now)).toBe(now + 604_800_000);
    // gomatrixserverlib keyring_test.go's key (valid_until_ts 1493142432964) fetched long after it lapsed.
    expect(isKeyValidForEvent(rv("5"), capKeyValidUntil(1493142432964, now), 1493142432965)).toBe(false);
  });
});
