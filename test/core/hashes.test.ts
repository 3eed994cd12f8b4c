import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBase64 } from "../../src/core/base64.ts";
import { encodeCanonicalJson, parseJson } from "../../src/core/canonical-json.ts";
import {
  checkContentHash,
  computeContentHash,
  computeEventId,
  computeReferenceHash,
  hashAndSignEvent,
  hashSignAndIdentify,
  identifyPdu,
  redactedSigningJson,
  roomIdFromCreateEvent,
  verifyEventSignature,
} from "../../src/core/hashes.ts";
import type { JsonObject } from "../../src/core/json.ts";
import type { Pdu } from "../../src/core/pdu.ts";
import { redactEvent } from "../../src/core/redaction.ts";
import { getRoomVersion, ROOM_VERSIONS, type RoomVersion } from "../../src/core/room-versions.ts";
import { RUMA_KEY, RUMA_PUBLIC_KEY, SPEC_KEY, SPEC_PUBLIC_KEY } from "./crypto-fixtures.ts";

function rv(id: string): RoomVersion {
  const v = getRoomVersion(id);
  if (v === undefined) throw new Error(`no room version ${id}`);
  return v;
}
const V1 = rv("1");
const V3 = rv("3");
const V4 = rv("4");
const V5 = rv("5");
const V6 = rv("6");
const V11 = rv("11");
const V12 = rv("12");

function obj(text: string): JsonObject {
  return parseJson(text) as JsonObject;
}
function b64(buf: Buffer): string {
  return encodeBase64(buf);
}
function sigOf(pdu: JsonObject, server: string, keyId: string): unknown {
  const sigs = pdu.signatures as Record<string, Record<string, unknown>>;
  return sigs[server]?.[keyId];
}

// Source: matrix-org/matrix-spec content/appendices.md §Cryptographic Test Vectors, "Event Signing".
const SPEC_MINIMAL_IN = `{
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "signatures": {},
    "hashes": {},
    "type": "X",
    "content": {},
    "prev_events": [],
    "auth_events": [],
    "depth": 3,
    "unsigned": {
        "age_ts": 1000000
    }
}`;
const SPEC_MINIMAL_OUT = `{
    "auth_events": [],
    "content": {},
    "depth": 3,
    "hashes": {
        "sha256": "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"
    },
    "origin": "domain",
    "origin_server_ts": 1000000,
    "prev_events": [],
    "room_id": "!x:domain",
    "sender": "@a:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg"
        }
    },
    "type": "X",
    "unsigned": {
        "age_ts": 1000000
    }
}`;
const SPEC_MESSAGE_IN = `{
    "content": {
        "body": "Here is the message content"
    },
    "event_id": "$0:domain",
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {},
    "unsigned": {
        "age_ts": 1000000
    }
}`;
const SPEC_MESSAGE_OUT = `{
    "content": {
        "body": "Here is the message content"
    },
    "event_id": "$0:domain",
    "hashes": {
        "sha256": "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"
    },
    "origin": "domain",
    "origin_server_ts": 1000000,
    "type": "m.room.message",
    "room_id": "!r:domain",
    "sender": "@u:domain",
    "signatures": {
        "domain": {
            "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA"
        }
    },
    "unsigned": {
        "age_ts": 1000000
    }
}`;

describe("event signing: spec vectors (room v1 rules)", () => {
  it("hashes and signs the minimal event", () => {
    const out = hashAndSignEvent(obj(SPEC_MINIMAL_IN), V1, "domain", SPEC_KEY);
    expect(encodeCanonicalJson(out)).toBe(encodeCanonicalJson(obj(SPEC_MINIMAL_OUT)));
  });

  it("hashes and signs the event with redactable content", () => {
    const out = hashAndSignEvent(obj(SPEC_MESSAGE_IN), V1, "domain", SPEC_KEY);
    expect(encodeCanonicalJson(out)).toBe(encodeCanonicalJson(obj(SPEC_MESSAGE_OUT)));
  });

  it("verifies both outputs, and their content hashes", () => {
    for (const text of [SPEC_MINIMAL_OUT, SPEC_MESSAGE_OUT]) {
      const pdu = obj(text);
      expect(verifyEventSignature(pdu, V1, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
      expect(checkContentHash(pdu, V1)).toBe(true);
    }
  });

  it("does not mutate its input", () => {
    const input = obj(SPEC_MESSAGE_IN);
    const before = encodeCanonicalJson(input);
    hashAndSignEvent(input, V1, "domain", SPEC_KEY);
    expect(encodeCanonicalJson(input)).toBe(before);
  });
});

describe("event signing: gomatrixserverlib eventcrypto_test.go", () => {
  // Source: matrix-org/gomatrixserverlib eventcrypto_test.go TestSignEventTestVectors (third and fourth
  // cases) and TestVerifyEventSignatureTestVectors.
  it("signs an event without content or room_id (the redacted form still gets content: {})", () => {
    const out = hashAndSignEvent(
      obj(
        `{"event_id":"$0:domain","origin":"domain","origin_server_ts":1000000,"type":"X","unsigned":{"age_ts":1000000}}`,
      ),
      V1,
      "domain",
      SPEC_KEY,
    );
    expect(out.hashes).toEqual({ sha256: "6tJjLpXtggfke8UxFhAKg82QVkJzvKOVOOSjUDK4ZSI" });
    expect(sigOf(out, "domain", "ed25519:1")).toBe(
      "2Wptgo4CwmLo/Y8B8qinxApKaCkBG2fjTWB7AbP5Uy+aIbygsSdLOFzvdDjww8zUVKCmI02eP9xtyJxc/cLiBA",
    );
  });

  it("signs the message event without a signatures field", () => {
    const input = obj(SPEC_MESSAGE_IN);
    delete input.signatures;
    const out = hashAndSignEvent(input, V1, "domain", SPEC_KEY);
    expect(encodeCanonicalJson(out)).toBe(encodeCanonicalJson(obj(SPEC_MESSAGE_OUT)));
  });

  const noContent = (type: string, unsigned: string): JsonObject =>
    obj(`{
      "event_id": "$0:domain",
      "hashes": {"sha256": "6tJjLpXtggfke8UxFhAKg82QVkJzvKOVOOSjUDK4ZSI"},
      "origin": "domain",
      "origin_server_ts": 1000000,
      "signatures": {"domain": {"ed25519:1": "2Wptgo4CwmLo/Y8B8qinxApKaCkBG2fjTWB7AbP5Uy+aIbygsSdLOFzvdDjww8zUVKCmI02eP9xtyJxc/cLiBA"}},
      "type": "${type}",
      "unsigned": ${unsigned}
    }`);
  const message = (content: string, hash: string): JsonObject =>
    obj(`{
      "content": ${content},
      "event_id": "$0:domain",
      "hashes": {"sha256": "${hash}"},
      "origin": "domain",
      "origin_server_ts": 1000000,
      "type": "m.room.message",
      "room_id": "!r:domain",
      "sender": "@u:domain",
      "signatures": {"domain": {"ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA"}},
      "unsigned": {}
    }`);

  it("verifies with or without unsigned data, and after the content is redacted", () => {
    expect(
      verifyEventSignature(noContent("X", '{"age_ts": 1000000}'), V1, "domain", "ed25519:1", SPEC_PUBLIC_KEY),
    ).toBe(true);
    expect(verifyEventSignature(noContent("X", "{}"), V1, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    const full = message(
      '{"body": "Here is the message content"}',
      "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g",
    );
    const redacted = message("{}", "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g");
    expect(verifyEventSignature(full, V1, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    expect(verifyEventSignature(redacted, V1, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    // The signature survives redaction; the content hash does not, which is how a receiver knows.
    expect(checkContentHash(full, V1)).toBe(true);
    expect(checkContentHash(redacted, V1)).toBe(false);
  });

  it("fails when the event type or the content hash is modified", () => {
    expect(
      verifyEventSignature(noContent("modified", "{}"), V1, "domain", "ed25519:1", SPEC_PUBLIC_KEY),
    ).toBe(false);
    const badHash = message("{}", "adifferenthashvalueaP9SorVmRQNdN5aM2JYU2n/g");
    expect(verifyEventSignature(badHash, V1, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    expect(checkContentHash(badHash, V1)).toBe(false);
  });
});

describe("event signing: Synapse vectors without `origin`", () => {
  // Source: element-hq/synapse tests/crypto/test_event_signing.py (the origin-less version read at
  // a58ad44eb0ce3cc14153f921206f322e17339dc5, as transcribed in shared/reference/matrix-spec-notes.md
  // C.1 #15 and C.2; the message signature is only quoted there by its first and last characters).
  it("test_sign_minimal", () => {
    const out = hashAndSignEvent(
      obj(
        '{"event_id":"$0:domain","origin_server_ts":1000000,"signatures":{},"type":"X","content":{},"unsigned":{"age_ts":1000000}}',
      ),
      V1,
      "domain",
      SPEC_KEY,
    );
    expect(out.hashes).toEqual({ sha256: "mq4QfPPpC+QsBd6eqfVsmJIEz8uvMSVK0+AU67PLESk" });
    expect(sigOf(out, "domain", "ed25519:1")).toBe(
      "18rGIkd4JJXxw9m+1j3BtN+TmqmLip4VHvFbyXLngpBLXOqbxlQViQABRzep2cODQ2aa5FnFgz+Llt2P03WiAw",
    );
  });

  it("test_sign_message", () => {
    const out = hashAndSignEvent(
      obj(`{"content":{"body":"Here is the message content"},"event_id":"$0:domain","origin_server_ts":1000000,
            "type":"m.room.message","room_id":"!r:domain","sender":"@u:domain","signatures":{},"unsigned":{"age_ts":1000000}}`),
      V1,
      "domain",
      SPEC_KEY,
    );
    expect(out.hashes).toEqual({ sha256: "rDCeYBepPlI891h/RkI2/Lkf9bt7u0TxFku4tMs7WKk" });
    const sig = sigOf(out, "domain", "ed25519:1") as string;
    expect(sig.startsWith("Ay4aj2b5")).toBe(true);
    expect(sig.endsWith("Zs9akDw")).toBe(true);
  });
});

describe("event signing: ruma's independent key", () => {
  // Source: ruma/ruma crates/ruma-signatures/src/lib.rs tests sign_minimal_event, sign_redacted_event,
  // verify_minimal_event.
  it("signs the spec's minimal event", () => {
    const out = hashAndSignEvent(obj(SPEC_MINIMAL_IN), V1, "domain", RUMA_KEY);
    expect(encodeCanonicalJson(out)).toBe(
      '{"auth_events":[],"content":{},"depth":3,"hashes":{"sha256":"5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"},"origin":"domain","origin_server_ts":1000000,"prev_events":[],"room_id":"!x:domain","sender":"@a:domain","signatures":{"domain":{"ed25519:1":"PxOFMn6ORll8PFSQp0IRF6037MEZt3Mfzu/ROiT/gb/ccs1G+f6Ddoswez4KntLPBI3GKCGIkhctiK37JOy2Aw"}},"type":"X","unsigned":{"age_ts":1000000}}',
    );
  });

  it("signs the spec's message event", () => {
    const out = hashAndSignEvent(obj(SPEC_MESSAGE_IN), V1, "domain", RUMA_KEY);
    expect(encodeCanonicalJson(out)).toBe(
      '{"content":{"body":"Here is the message content"},"event_id":"$0:domain","hashes":{"sha256":"onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"},"origin":"domain","origin_server_ts":1000000,"room_id":"!r:domain","sender":"@u:domain","signatures":{"domain":{"ed25519:1":"D2V+qWBJssVuK/pEUJtwaYMdww2q1fP4PRCo226ChlLz8u8AWmQdLKes19NMjs/X0Hv0HIjU0c1TDKFMtGuoCA"}},"type":"m.room.message","unsigned":{"age_ts":1000000}}',
    );
  });

  it("verifies the spec's minimal event under room v5 and v6 rules", () => {
    const pdu = obj(SPEC_MINIMAL_OUT);
    expect(verifyEventSignature(pdu, V5, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    expect(verifyEventSignature(pdu, V6, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    expect(verifyEventSignature(pdu, V6, "domain", "ed25519:1", RUMA_PUBLIC_KEY)).toBe(false);
  });
});

// Source: matrix-org/gomatrixserverlib eventversion_test.go TestEventIDForRoomVersionV3/V4
// (a real room-v5 create event from jki.re).
const JKI_CREATE = `{"auth_events": [], "prev_events": [], "type": "m.room.create", "room_id": "!uXDCzlYgCTHtiWCkEx:jki.re", "sender": "@erikj:jki.re", "content": {"room_version": "5", "predecessor": {"room_id": "!gdRMqOrTFdOCYHNwOo:half-shot.uk", "event_id": "$LP7ROBc4b+cMc1UE9haIz8q5AK2AIW4eJ90FfKLvyZI"}, "creator": "@erikj:jki.re"}, "depth": 1, "prev_state": [], "state_key": "", "origin": "jki.re", "origin_server_ts": 1560284621137, "hashes": {"sha256": "IX6zuNiJpJPNf70BLleL3HSCpjKeq9Uhu7uUpyDjBmc"}, "signatures": {"jki.re": {"ed25519:auto": "O4IyFfF2PPtGp5uaDm8t57dZbdh8vc8Q64LgCwvzYRVItAMI0uisfiAFaxkVT7MRpzh6N2QNN5NMRXZKmgPYDA"}}, "unsigned": {"age": 1321650}}`;

describe("event ids and reference hashes", () => {
  it("derives the v3 and v4 ids of the jki.re create event", () => {
    const pdu = obj(JKI_CREATE);
    expect(checkContentHash(pdu, V5)).toBe(true);
    expect(redactedSigningJson(pdu, V5)).toBe(
      '{"auth_events":[],"content":{"creator":"@erikj:jki.re"},"depth":1,"hashes":{"sha256":"IX6zuNiJpJPNf70BLleL3HSCpjKeq9Uhu7uUpyDjBmc"},"origin":"jki.re","origin_server_ts":1560284621137,"prev_events":[],"prev_state":[],"room_id":"!uXDCzlYgCTHtiWCkEx:jki.re","sender":"@erikj:jki.re","state_key":"","type":"m.room.create"}',
    );
    expect(computeEventId(pdu, V3)).toBe("$RrGxF28UrHLmoASHndYb9Jb/1SFww2ptmtur9INS438");
    expect(computeEventId(pdu, V4)).toBe("$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438");
    expect(computeEventId(pdu, V5)).toBe("$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438");
    // v11 keeps the whole create content (and drops origin/prev_state), so the id differs.
    expect(computeEventId(pdu, V11)).not.toBe("$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438");
  });

  it("ignores a locally attached event_id in v3+", () => {
    const pdu = obj(JKI_CREATE);
    const identified = { ...pdu, event_id: "$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438" };
    expect(computeEventId(identified, V4)).toBe("$RrGxF28UrHLmoASHndYb9Jb_1SFww2ptmtur9INS438");
    expect(checkContentHash(identified, V4)).toBe(true);
    expect(identifyPdu(pdu as unknown as Pdu, V3).event_id).toBe(
      "$RrGxF28UrHLmoASHndYb9Jb/1SFww2ptmtur9INS438",
    );
    expect(identifyPdu(identified as unknown as Pdu, V4)).toEqual(identified);
  });

  it("passes through v1 event ids", () => {
    // Source: matrix-org/gomatrixserverlib eventversion_test.go TestEventIDForRoomVersionV1.
    const pdu = obj(
      `{"auth_events":[["$oXL79cT7fFxR7dPH:localhost",{"sha256":"abjkiDSg1RkuZrbj2jZoGMlQaaj1Ue3Jhi7I7NlKfXY"}],["$IVUsaSkm1LBAZYYh:localhost",{"sha256":"X7RUj46hM/8sUHNBIFkStbOauPvbDzjSdH4NibYWnko"}],["$VS2QT0EeArZYi8wf:localhost",{"sha256":"k9eM6utkCH8vhLW9/oRsH74jOBS/6RVK42iGDFbylno"}]],"content":{"name":"test3"},"depth":7,"event_id":"$yvN1b43rlmcOs5fY:localhost","hashes":{"sha256":"Oh1mwI1jEqZ3tgJ+V1Dmu5nOEGpCE4RFUqyJv2gQXKs"},"origin":"localhost","origin_server_ts":1510854416361,"prev_events":[["$FqI6TVvWpcbcnJ97:localhost",{"sha256":"upCsBqUhNUgT2/+zkzg8TbqdQpWWKQnZpGJc6KcbUC4"}]],"prev_state":[],"room_id":"!19Mp0U9hjajeIiw1:localhost","sender":"@test:localhost","signatures":{"localhost":{"ed25519:u9kP":"5IzSuRXkxvbTp0vZhhXYZeOe+619iG3AybJXr7zfNn/4vHz4TH7qSJVQXSaHHvcTcDodAKHnTG1WDulgO5okAQ"}},"state_key":"","type":"m.room.name"}`,
    );
    expect(computeEventId(pdu, V1)).toBe("$yvN1b43rlmcOs5fY:localhost");
    expect(checkContentHash(pdu, V1)).toBe(true);
    expect(() => computeEventId({ type: "X" }, V1)).toThrow();
  });

  it("hashes v1 events with their event_id (gomatrixserverlib authchain_test.go)", () => {
    // Source: matrix-org/gomatrixserverlib authchain_test.go TestVerifyEventAuthChain: each event cites
    // the reference hashes of its auth/prev events, and carries its own content hash.
    const chain = [
      `{"auth_events":[],"content":{"creator":"@userid:baba.is.you"},"depth":0,"event_id":"$WCraVpPZe5TtHAqs:baba.is.you","hashes":{"sha256":"EehWNbKy+oDOMC0vIvYl1FekdDxMNuabXKUVzV7DG74"},"origin":"baba.is.you","origin_server_ts":0,"prev_events":[],"prev_state":[],"room_id":"!roomid:baba.is.you","sender":"@userid:baba.is.you","signatures":{"baba.is.you":{"ed25519:auto":"08aF4/bYWKrdGPFdXmZCQU6IrOE1ulpevmWBM3kiShJPAbRbZ6Awk7buWkIxlMF6kX3kb4QpbAlZfHLQgncjCw"}},"state_key":"","type":"m.room.create"}`,
      `{"auth_events":[["$WCraVpPZe5TtHAqs:baba.is.you",{"sha256":"gBxQI2xzDLMoyIjkrpCJFBXC5NnrSemepc7SninSARI"}]],"content":{"membership":"join"},"depth":1,"event_id":"$fnwGrQEpiOIUoDU2:baba.is.you","hashes":{"sha256":"DqOjdFgvFQ3V/jvQW2j3ygHL4D+t7/LaIPZ/tHTDZtI"},"origin":"baba.is.you","origin_server_ts":0,"prev_events":[["$WCraVpPZe5TtHAqs:baba.is.you",{"sha256":"gBxQI2xzDLMoyIjkrpCJFBXC5NnrSemepc7SninSARI"}]],"prev_state":[],"room_id":"!roomid:baba.is.you","sender":"@userid:baba.is.you","signatures":{"baba.is.you":{"ed25519:auto":"qBWLb42zicQVsbh333YrcKpHfKokcUOM/ytldGlrgSdXqDEDDxvpcFlfadYnyvj3Z/GjA2XZkqKHanNEh575Bw"}},"state_key":"@userid:baba.is.you","type":"m.room.member"}`,
      `{"auth_events":[["$WCraVpPZe5TtHAqs:baba.is.you",{"sha256":"gBxQI2xzDLMoyIjkrpCJFBXC5NnrSemepc7SninSARI"}],["$fnwGrQEpiOIUoDU2:baba.is.you",{"sha256":"gUr26K5Tt7GQlNs8BlUup92gOzAZHbT8WNEobkrEIqk"}]],"content":{"body":"Test Message"},"depth":2,"event_id":"$xOJZshi3NeKKJiCf:baba.is.you","hashes":{"sha256":"lu5fF5HE090AXdu/+NpJ/RjRVRk/2tWCUozUc5t7Ru4"},"origin":"baba.is.you","origin_server_ts":0,"prev_events":[["$fnwGrQEpiOIUoDU2:baba.is.you",{"sha256":"gUr26K5Tt7GQlNs8BlUup92gOzAZHbT8WNEobkrEIqk"}]],"room_id":"!roomid:baba.is.you","sender":"@userid:baba.is.you","signatures":{"baba.is.you":{"ed25519:auto":"5KoVSLOBesqH9vciKXDExdu95lKFDtK1I72Hq1GG/UeEsH9jx7wL3V4jGYSKDnX2aLYp/VPiBQje7DFjde+hDQ"}},"type":"m.room.message"}`,
      `{"auth_events":[["$WCraVpPZe5TtHAqs:baba.is.you",{"sha256":"gBxQI2xzDLMoyIjkrpCJFBXC5NnrSemepc7SninSARI"}],["$fnwGrQEpiOIUoDU2:baba.is.you",{"sha256":"gUr26K5Tt7GQlNs8BlUup92gOzAZHbT8WNEobkrEIqk"}]],"content":{"body":"Test Message"},"depth":3,"event_id":"$4Kp0G1yWZ6tNpeI7:baba.is.you","hashes":{"sha256":"B+MjcGZRh72iaGOgyNbIxgFkHDJo6NO8NQDgiKDKDBA"},"origin":"baba.is.you","origin_server_ts":0,"prev_events":[["$xOJZshi3NeKKJiCf:baba.is.you",{"sha256":"5PGENImHC863Yz9sO6IJX+bIQthZFI2RMhFZyFy+bC0"}]],"room_id":"!roomid:baba.is.you","sender":"@userid:baba.is.you","signatures":{"baba.is.you":{"ed25519:auto":"rP+Ybp17GPCqQBrTQ3yz+q6PihdaMWvNY3SngV8aDLHv8wdDlH4ULGnjsB+Az7trqYdCE3rZVo9M7Hy5tOObDg"}},"type":"m.room.message"}`,
    ].map(obj);
    for (const pdu of chain) expect(checkContentHash(pdu, V1)).toBe(true);
    const [create, member, message] = chain as [JsonObject, JsonObject, JsonObject];
    expect(b64(computeReferenceHash(create, V1))).toBe("gBxQI2xzDLMoyIjkrpCJFBXC5NnrSemepc7SninSARI");
    expect(b64(computeReferenceHash(member, V1))).toBe("gUr26K5Tt7GQlNs8BlUup92gOzAZHbT8WNEobkrEIqk");
    expect(b64(computeReferenceHash(message, V1))).toBe("5PGENImHC863Yz9sO6IJX+bIQthZFI2RMhFZyFy+bC0");
    // Without event_id the hash would be different (spec notes C.3: `yjRlnqmO…`).
    const { event_id: _dropped, ...withoutId } = create;
    expect(b64(computeReferenceHash(withoutId, V1)).startsWith("yjRlnqmO")).toBe(true);
  });
});

describe("room v12 and v11: self-generated vectors", () => {
  // NOT upstream: shared/reference/matrix-spec-notes.md C.6, produced with independent reference code
  // (which reproduces every upstream vector above) using the spec's seed. Hearth reproduces them too.
  const create = obj(
    '{"auth_events":[],"content":{"room_version":"12"},"depth":1,"origin_server_ts":1000000,"prev_events":[],"sender":"@alice:domain","state_key":"","type":"m.room.create"}',
  );

  it("v12 create event: hash, signature, event id and room id", () => {
    const { pdu, eventId } = hashSignAndIdentify(create, V12, "domain", SPEC_KEY);
    expect(pdu.hashes).toEqual({ sha256: "EuctRYAOm/Q3+u7XMoJ13sc+5fL2jk+7++bLmTCCC+4" });
    expect(sigOf(pdu, "domain", "ed25519:1")).toBe(
      "1ESs4FTrLeN2K0z+avAH+Yn2ZOQfRZZS1q9QUPa8UbpJNiR55Kt2vd4gbTSh0nuBekDE+wGm3mW7A3Clzoy4AQ",
    );
    expect(eventId).toBe("$b3tOUX8xQBm1sCO5nM3_29t9zsIqsOly2d6sLXXi2Ps");
    expect(computeEventId(pdu, V12)).toBe(eventId);
    expect(roomIdFromCreateEvent(pdu)).toBe("!b3tOUX8xQBm1sCO5nM3_29t9zsIqsOly2d6sLXXi2Ps");
    expect(roomIdFromCreateEvent(pdu, V12)).toBe("!b3tOUX8xQBm1sCO5nM3_29t9zsIqsOly2d6sLXXi2Ps");
    expect(verifyEventSignature(pdu, V12, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
  });

  it("v12 creator join", () => {
    const join = obj(`{"auth_events":[],"content":{"membership":"join"},"depth":2,"origin_server_ts":1000001,
      "prev_events":["$b3tOUX8xQBm1sCO5nM3_29t9zsIqsOly2d6sLXXi2Ps"],"room_id":"!b3tOUX8xQBm1sCO5nM3_29t9zsIqsOly2d6sLXXi2Ps",
      "sender":"@alice:domain","state_key":"@alice:domain","type":"m.room.member"}`);
    const { pdu, eventId } = hashSignAndIdentify(join, V12, "domain", SPEC_KEY);
    expect(pdu.hashes).toEqual({ sha256: "enWGZIQTNpIwJO65W5EV84XRRr82NLfCfBXMVRY0JQE" });
    expect(eventId).toBe("$2zIP4aXVyyl0s7NR5JOD7_aLjLpi_iIFf49_2rUq8Iw");
  });

  it("v11 message", () => {
    const msg =
      obj(`{"auth_events":["$${"a".repeat(43)}"],"content":{"body":"hello","msgtype":"m.text"},"depth":5,
      "origin_server_ts":1000002,"prev_events":["$${"b".repeat(43)}"],"room_id":"!r:domain","sender":"@alice:domain",
      "type":"m.room.message","unsigned":{"age":5}}`);
    const { pdu, eventId } = hashSignAndIdentify(msg, V11, "domain", SPEC_KEY);
    expect(pdu.hashes).toEqual({ sha256: "Qx6QWdqT8M47ehEXJN2WxDDw6U7mpaxrcbleEdlIRDk" });
    expect(sigOf(pdu, "domain", "ed25519:1")).toBe(
      "jND1rioBKDN0muJz4t5UZLKoMMiTxnF7rKbIgv3bjU/kojQ8J/RWlq9plFems55fzuDLxcMEfSkIMy60pKP0CA",
    );
    expect(eventId).toBe("$vXZ6ZDiLy29F_xeMMiK4MfHGYe0nUT7v7IzBhIYzh-E");
    expect(pdu.unsigned).toEqual({ age: 5 });
  });

  it("refuses to derive a room id outside v12", () => {
    expect(() => roomIdFromCreateEvent(obj(JKI_CREATE))).toThrow();
    expect(() => roomIdFromCreateEvent(create, V11)).toThrow();
    expect(() => roomIdFromCreateEvent({ type: "m.room.create", content: {} })).toThrow();
  });
});

describe("event hashing and signing: behaviour", () => {
  it("keeps other servers' signatures and replaces hashes", () => {
    const input = obj(
      '{"type":"X","sender":"@a:domain","content":{"x":1},"hashes":{"sha256":"stale","other":"x"},"signatures":{"other.example":{"ed25519:z":"abc"}}}',
    );
    const out = hashAndSignEvent(input, V11, "domain", SPEC_KEY);
    expect(Object.keys(out.hashes as object)).toEqual(["sha256"]);
    expect(sigOf(out, "other.example", "ed25519:z")).toBe("abc");
    expect(verifyEventSignature(out, V11, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
  });

  it("a v3+ event still verifies with a locally attached event_id", () => {
    const { pdu, eventId } = hashSignAndIdentify(
      obj('{"type":"m.room.message","sender":"@a:domain","room_id":"!r:domain","content":{"body":"x"}}'),
      V11,
      "domain",
      SPEC_KEY,
    );
    const identified = { ...pdu, event_id: eventId };
    expect(verifyEventSignature(identified, V11, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    expect(checkContentHash(identified, V11)).toBe(true);
    expect(computeEventId(identified, V11)).toBe(eventId);
  });

  it("handles v1–v5 floats verbatim and refuses them in v6+", () => {
    const withFloat = obj('{"type":"X","sender":"@a:domain","event_id":"$1:domain","content":{"f":1.50}}');
    const signed = hashAndSignEvent(withFloat, V1, "domain", SPEC_KEY);
    expect(checkContentHash(signed, V1)).toBe(true);
    expect(verifyEventSignature(signed, V1, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    expect(() => hashAndSignEvent(withFloat, V6, "domain", SPEC_KEY)).toThrow();
    expect(checkContentHash(signed, V6)).toBe(false);
  });

  it("checkContentHash is false, never a throw, for malformed hashes", () => {
    const base = obj('{"type":"X","content":{}}');
    expect(checkContentHash(base, V11)).toBe(false);
    expect(checkContentHash({ ...base, hashes: "x" }, V11)).toBe(false);
    expect(checkContentHash({ ...base, hashes: { sha256: "!!" } }, V11)).toBe(false);
    expect(checkContentHash({ ...base, hashes: { sha256: "Zm9v" } }, V11)).toBe(false);
    expect(b64(computeContentHash(base))).toBe(b64(computeContentHash(base, V11)));
  });

  it("verifyEventSignature is false, never a throw, for junk", () => {
    expect(verifyEventSignature({}, V11, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    expect(
      verifyEventSignature({ content: "x", signatures: 5 }, V11, "d", "ed25519:1", SPEC_PUBLIC_KEY),
    ).toBe(false);
  });

  const contents: fc.Arbitrary<JsonObject> = fc.dictionary(
    fc.string({ maxLength: 5 }),
    fc.oneof(fc.string({ unit: "binary", maxLength: 6 }), fc.integer(), fc.boolean()),
    { minKeys: 1, maxKeys: 4 },
  );

  it("property: every room version signs, verifies, survives redaction and detects it", () => {
    fc.assert(
      fc.property(contents, fc.constantFrom(...ROOM_VERSIONS.values()), (content, version) => {
        const pdu: JsonObject = {
          type: "m.room.message",
          sender: "@a:domain",
          room_id: "!r:domain",
          content,
          depth: 3,
          origin_server_ts: 5,
          prev_events: [],
          auth_events: [],
        };
        if (version.eventIdFormat === "v1") pdu.event_id = "$e:domain";
        const { pdu: signed, eventId } = hashSignAndIdentify(pdu, version, "domain", SPEC_KEY);
        expect(verifyEventSignature(signed, version, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
        expect(checkContentHash(signed, version)).toBe(true);
        expect(computeEventId(signed, version)).toBe(eventId);
        const redacted = redactEvent(signed, version);
        expect(verifyEventSignature(redacted, version, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
        expect(checkContentHash(redacted, version)).toBe(false);
        expect(computeEventId(redacted, version)).toBe(eventId);
        const tampered = { ...signed, origin_server_ts: 6 };
        expect(verifyEventSignature(tampered, version, "domain", "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
