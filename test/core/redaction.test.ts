import { describe, expect, it } from "vitest";
import { encodeCanonicalJson, parseJson } from "../../src/core/canonical-json.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { mayApplyRedaction, redactContent, redactEvent } from "../../src/core/redaction.ts";
import { getRoomVersion, ROOM_VERSIONS, type RoomVersion } from "../../src/core/room-versions.ts";

function rv(id: string): RoomVersion {
  const v = getRoomVersion(id);
  if (v === undefined) throw new Error(`no room version ${id}`);
  return v;
}

function obj(text: string): JsonObject {
  return parseJson(text) as JsonObject;
}

/** Compare as canonical JSON, the form that matters for hashes and signatures. */
function expectRedacted(input: JsonObject, version: string, expected: JsonObject): void {
  expect(encodeCanonicalJson(redactEvent(input, rv(version)))).toBe(encodeCanonicalJson(expected));
}

describe("redaction: gomatrixserverlib redactevent_test.go", () => {
  // Source: matrix-org/gomatrixserverlib redactevent_test.go TestRedactionAlgorithmV4.
  it("v8 drops join_authorised_via_users_server, v9 keeps it", () => {
    const input = obj(
      `{"content":{"avatar_url":"mxc://something/somewhere","displayname":"Someone","join_authorised_via_users_server":"@someoneelse:somewhere.org","membership":"join"},"origin_server_ts":1633108629915,"sender":"@someone:somewhere.org","state_key":"@someone:somewhere.org","type":"m.room.member","unsigned":{"age":539338},"room_id":"!someroom:matrix.org"}`,
    );
    const v8 = obj(
      `{"sender":"@someone:somewhere.org","room_id":"!someroom:matrix.org","content":{"membership":"join"},"type":"m.room.member","state_key":"@someone:somewhere.org","origin_server_ts":1633108629915}`,
    );
    const v9 = obj(
      `{"sender":"@someone:somewhere.org","room_id":"!someroom:matrix.org","content":{"membership":"join","join_authorised_via_users_server":"@someoneelse:somewhere.org"},"type":"m.room.member","state_key":"@someone:somewhere.org","origin_server_ts":1633108629915}`,
    );
    expectRedacted(input, "8", v8);
    expectRedacted(input, "9", v9);
    expectRedacted(v8, "9", v8);
  });

  // Source: matrix-org/gomatrixserverlib redactevent_test.go TestRedactionAlgorithmV5.
  it("v10 vs v11: create content, top-level origin/membership/prev_state", () => {
    const input = obj(
      `{"content":{"placeholder":"value"},"origin_server_ts":1633108629915,"sender":"@someone:somewhere.org","state_key":"@someone:somewhere.org","type":"m.room.create","unsigned":{"age":539338},"room_id":"!someroom:matrix.org","origin":"matrix.org","membership":"join","prev_state":""}`,
    );
    const v10 = obj(
      `{"sender":"@someone:somewhere.org","room_id":"!someroom:matrix.org","content":{},"type":"m.room.create","state_key":"@someone:somewhere.org","prev_state":"","origin":"matrix.org","origin_server_ts":1633108629915,"membership":"join"}`,
    );
    const v11 = obj(
      `{"sender":"@someone:somewhere.org","room_id":"!someroom:matrix.org","content":{"placeholder":"value"},"type":"m.room.create","state_key":"@someone:somewhere.org","origin_server_ts":1633108629915}`,
    );
    const v10ThenV11 = obj(
      `{"sender":"@someone:somewhere.org","room_id":"!someroom:matrix.org","content":{},"type":"m.room.create","state_key":"@someone:somewhere.org","origin_server_ts":1633108629915}`,
    );
    expectRedacted(input, "10", v10);
    expectRedacted(input, "11", v11);
    expectRedacted(v10, "11", v10ThenV11);
  });

  it("v11 keeps power_levels invite and redaction redacts", () => {
    const pl = obj(
      `{"content":{"invite":"","placeholder":"value"},"origin_server_ts":1633108629915,"sender":"@someone:somewhere.org","state_key":"@someone:somewhere.org","type":"m.room.power_levels","unsigned":{"age":539338},"room_id":"!someroom:matrix.org","origin":"matrix.org","membership":"join","prev_state":""}`,
    );
    expectRedacted(
      pl,
      "11",
      obj(
        `{"sender":"@someone:somewhere.org","room_id":"!someroom:matrix.org","content":{"invite":""},"type":"m.room.power_levels","state_key":"@someone:somewhere.org","origin_server_ts":1633108629915}`,
      ),
    );
    const redaction = obj(
      `{"content":{"redacts":"","placeholder":"value"},"origin_server_ts":1633108629915,"sender":"@someone:somewhere.org","state_key":"@someone:somewhere.org","type":"m.room.redaction","unsigned":{"age":539338},"room_id":"!someroom:matrix.org","origin":"matrix.org","membership":"join","prev_state":""}`,
    );
    expectRedacted(
      redaction,
      "11",
      obj(
        `{"sender":"@someone:somewhere.org","room_id":"!someroom:matrix.org","content":{"redacts":""},"type":"m.room.redaction","state_key":"@someone:somewhere.org","origin_server_ts":1633108629915}`,
      ),
    );
  });
});

describe("redaction: ruma redaction.rs", () => {
  // Source: ruma/ruma crates/ruma-common/tests/it/canonical_json/redaction.rs (RedactionRules::V1 is
  // room v1, ::V9 is room v9–v10, ::V11 is room v11+).
  const plContent = {
    ban: 50,
    events: {
      "m.room.avatar": 50,
      "m.room.canonical_alias": 50,
      "m.room.history_visibility": 100,
      "m.room.name": 50,
      "m.room.power_levels": 100,
    },
    events_default: 0,
    invite: 0,
    kick: 50,
    redact: 50,
    state_default: 50,
    users: { "@example:localhost": 100 },
    users_default: 0,
  };
  const plHead = {
    event_id: "$15139375512JaHAW:localhost",
    origin_server_ts: 45,
    sender: "@example:localhost",
    room_id: "!room:localhost",
    state_key: "",
    type: "m.room.power_levels",
  };

  it("redact_power_levels: v1 drops invite, v11 keeps it", () => {
    const input = { ...plHead, content: plContent, unsigned: { age: 45 } };
    const { invite: _invite, ...withoutInvite } = plContent;
    expectRedacted(input, "1", { ...plHead, content: withoutInvite });
    expectRedacted(input, "11", { ...plHead, content: plContent });
  });

  it("redact_room_aliases: v1 keeps aliases, v9 does not", () => {
    const head = {
      event_id: "$152037280074GZeOm:localhost",
      origin_server_ts: 1,
      sender: "@example:localhost",
      state_key: "room.com",
      room_id: "!room:room.com",
      type: "m.room.aliases",
    };
    const input = { ...head, content: { aliases: ["#somewhere:localhost"] }, unsigned: { age: 1 } };
    expectRedacted(input, "1", { ...head, content: { aliases: ["#somewhere:localhost"] } });
    expectRedacted(input, "9", { ...head, content: {} });
  });

  const head = {
    event_id: "$143273582443PhrSn",
    origin_server_ts: 1_432_735,
    room_id: "!jEsUZKDJdhlrceRyVU:example.org",
    sender: "@example:example.org",
  };

  it("redact_room_create: v1 keeps creator, v11 keeps everything", () => {
    const content = {
      creator: "@example:example.org",
      "m.federate": true,
      predecessor: { event_id: "$something", room_id: "!oldroom:example.org" },
      room_version: "11",
      "local.custom.key": "foo",
    };
    const input = { ...head, state_key: "", type: "m.room.create", content, unsigned: { age: 1234 } };
    expectRedacted(input, "1", {
      ...head,
      state_key: "",
      type: "m.room.create",
      content: { creator: "@example:example.org" },
    });
    expectRedacted(input, "11", { ...head, state_key: "", type: "m.room.create", content });
  });

  it("redact_room_member_third_party_invite: v11 keeps only third_party_invite.signed", () => {
    const signed = {
      mxid: "@alice:example.org",
      signatures: {
        "magic.forest": {
          "ed25519:3":
            "fQpGIW1Snz+pwLZu6sTy2aHy/DYWWTspTJRPyNp0PKkymfIsNffysMl6ObMMFdIJhk6g6pwlIqZ54rxo8SLmAg",
        },
      },
      token: "abc123",
    };
    const member = { ...head, state_key: "@alice:example.org", type: "m.room.member" };
    const input = {
      ...member,
      content: {
        membership: "invite",
        displayname: "Example",
        third_party_invite: { display_name: "example", signed },
      },
      unsigned: { age: 1234 },
    };
    expectRedacted(input, "1", { ...member, content: { membership: "invite" } });
    expectRedacted(input, "11", {
      ...member,
      content: { membership: "invite", third_party_invite: { signed } },
    });
  });

  it("redact_room_member_join_authorised_via_users_server: v1 drops it, v11 keeps it", () => {
    const member = { ...head, state_key: "@example:example.org", type: "m.room.member" };
    const input = {
      ...member,
      content: {
        membership: "join",
        displayname: "Example",
        join_authorised_via_users_server: "@alice:example.org",
      },
      unsigned: { age: 1234 },
    };
    expectRedacted(input, "1", { ...member, content: { membership: "join" } });
    expectRedacted(input, "11", {
      ...member,
      content: { membership: "join", join_authorised_via_users_server: "@alice:example.org" },
    });
  });

  it("redact_room_join_rules: v1 drops allow, v11 keeps it", () => {
    const jr = { ...head, state_key: "", type: "m.room.join_rules" };
    const allow = [{ room_id: "!other:example.org", type: "m.room_membership" }];
    const input = { ...jr, content: { join_rule: "restricted", allow } };
    expectRedacted(input, "1", { ...jr, content: { join_rule: "restricted" } });
    expectRedacted(input, "11", { ...jr, content: { join_rule: "restricted", allow } });
  });

  it("redact_room_history_visibility keeps history_visibility", () => {
    const hv = { ...head, state_key: "", type: "m.room.history_visibility" };
    const input = { ...hv, content: { history_visibility: "invited" } };
    expectRedacted(input, "1", input);
  });

  it("redact_room_redaction: v1 drops content and top-level redacts, v11 keeps content.redacts", () => {
    const r = { ...head, type: "m.room.redaction" };
    const input = {
      ...r,
      content: { reason: "Spamming", redacts: "$fukweghifu23" },
      redacts: "$fukweghifu23",
    };
    expectRedacted(input, "1", { ...r, content: {} });
    expectRedacted(input, "11", { ...r, content: { redacts: "$fukweghifu23" } });
  });

  it("redacting_serializer_custom_redacted_root_fields: hashes and signatures survive", () => {
    const input = {
      ...head,
      type: "local.custom.type",
      content: { foo: "bar" },
      hashes: { sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
      signatures: {
        "example.org": { "ed25519:10": "cd372fb85148700fa88095e3492d3f9f5beb43e555e5ff26d95f5a6adc36f8e6" },
      },
    };
    expectRedacted(input, "11", { ...input, content: {} });
  });
});

describe("redaction: the version matrix", () => {
  const member = { membership: "join", join_authorised_via_users_server: "@a:b", displayname: "x" };
  const joinRules = { join_rule: "restricted", allow: [], extra: 1 };
  const pl = {
    ban: 1,
    events: {},
    events_default: 0,
    invite: 0,
    kick: 1,
    redact: 1,
    notifications: {},
    x: 1,
  };

  it.each([...ROOM_VERSIONS.keys()])("room v%s keeps what its rules say", (id) => {
    const v = rv(id);
    const n = Number(id);
    expect(Object.keys(redactContent("m.room.member", member, v)).sort()).toEqual(
      n >= 9 ? ["join_authorised_via_users_server", "membership"] : ["membership"],
    );
    expect(Object.keys(redactContent("m.room.join_rules", joinRules, v)).sort()).toEqual(
      n >= 8 ? ["allow", "join_rule"] : ["join_rule"],
    );
    const plKeys = ["ban", "events", "events_default", "kick", "redact"];
    expect(Object.keys(redactContent("m.room.power_levels", pl, v)).sort()).toEqual(
      n >= 11 ? [...plKeys, "invite"].sort() : plKeys,
    );
    expect(redactContent("m.room.aliases", { aliases: ["#a:b"] }, v)).toEqual(
      n <= 5 ? { aliases: ["#a:b"] } : {},
    );
    expect(redactContent("m.room.create", { creator: "@a:b", room_version: id }, v)).toEqual(
      n >= 11 ? { creator: "@a:b", room_version: id } : { creator: "@a:b" },
    );
    expect(redactContent("m.room.redaction", { redacts: "$x", reason: "r" }, v)).toEqual(
      n >= 11 ? { redacts: "$x" } : {},
    );
    expect(redactContent("m.room.message", { body: "x" }, v)).toEqual({});
    const top = redactEvent(
      {
        type: "X",
        content: {},
        origin: "o",
        membership: "join",
        prev_state: [],
        unsigned: { age: 1 },
        age_ts: 1,
        redacts: "$x",
      },
      v,
    );
    expect(Object.keys(top).sort()).toEqual(
      n >= 11 ? ["content", "type"] : ["content", "membership", "origin", "prev_state", "type"],
    );
  });

  it("v11 third_party_invite edge cases follow Synapse: an object keeps {signed?}, anything else goes", () => {
    const v11 = rv("11");
    expect(
      redactContent(
        "m.room.member",
        { membership: "invite", third_party_invite: { display_name: "x" } },
        v11,
      ),
    ).toEqual({
      membership: "invite",
      third_party_invite: {},
    });
    expect(redactContent("m.room.member", { membership: "invite", third_party_invite: "junk" }, v11)).toEqual(
      {
        membership: "invite",
      },
    );
  });

  it("always produces an object content and never copies unsigned", () => {
    const v = rv("11");
    expect(redactEvent({ type: "m.room.member" }, v)).toEqual({ type: "m.room.member", content: {} });
    expect(redactEvent({ type: "m.room.member", content: "junk" }, v)).toEqual({
      type: "m.room.member",
      content: {},
    });
    expect(redactEvent({ content: { membership: "join" } }, v)).toEqual({ content: {} });
  });

  it("does not mutate the input", () => {
    const input = {
      type: "m.room.member",
      content: { membership: "join", displayname: "x" },
      unsigned: { a: 1 },
    };
    const copy = JSON.parse(JSON.stringify(input));
    redactEvent(input, rv("1"));
    expect(input).toEqual(copy);
  });
});

describe("mayApplyRedaction (v3-handling-redactions)", () => {
  it("applies when the sender has the redact level", () => {
    expect(
      mayApplyRedaction({
        redactionSender: "@mod:a",
        targetSender: "@u:b",
        senderPowerLevel: 50,
        redactLevel: 50,
      }),
    ).toBe(true);
    expect(
      mayApplyRedaction({
        redactionSender: "@mod:a",
        targetSender: "@u:b",
        senderPowerLevel: Infinity,
        redactLevel: 100,
      }),
    ).toBe(true);
  });

  it("applies when the sender is on the target sender's server, whatever its power", () => {
    expect(
      mayApplyRedaction({
        redactionSender: "@x:b",
        targetSender: "@u:b",
        senderPowerLevel: 0,
        redactLevel: 50,
      }),
    ).toBe(true);
    expect(
      mayApplyRedaction({
        redactionSender: "@x:b.example:8448",
        targetSender: "@u:b.example:8448",
        senderPowerLevel: 0,
        redactLevel: 50,
      }),
    ).toBe(true);
  });

  it("does not apply otherwise", () => {
    expect(
      mayApplyRedaction({
        redactionSender: "@x:a",
        targetSender: "@u:b",
        senderPowerLevel: 49,
        redactLevel: 50,
      }),
    ).toBe(false);
    expect(
      mayApplyRedaction({
        redactionSender: "@x:b.example:8448",
        targetSender: "@u:b.example",
        senderPowerLevel: 0,
        redactLevel: 50,
      }),
    ).toBe(false);
    expect(
      mayApplyRedaction({
        redactionSender: "bad",
        targetSender: "bad",
        senderPowerLevel: 0,
        redactLevel: 50,
      }),
    ).toBe(false);
  });
});
