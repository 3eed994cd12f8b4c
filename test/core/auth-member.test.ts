/** Spec-derived cases for the `m.room.member` auth rules and their room-version differences. */
import { describe, expect, it } from "vitest";
import { checkAuth } from "../../src/core/auth-rules.ts";
import type { JsonObject } from "../../src/core/json.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import {
  ALL_VERSIONS,
  expectAllowed,
  expectDenied,
  identityServerKey,
  makeRoom,
  stateOf,
  type RoomSpec,
  type TestRoom,
} from "./auth-helpers.ts";

const ALICE = "@alice:a"; // creator in every room below
const BOB = "@bob:b";
const CAROL = "@carol:c";

function member(room: TestRoom, sender: string, target: string, content: JsonObject, extra: JsonObject = {}) {
  return room.event({ type: "m.room.member", sender, state_key: target, content, ...extra });
}
function check(room: TestRoom, event: ReturnType<typeof member>) {
  return checkAuth(room.v, event, room.state);
}
function roomWith(versionId: string, spec: RoomSpec) {
  return makeRoom(versionId, spec);
}

describe("m.room.member: structure", () => {
  const room = makeRoom("10", { joinRule: "public" });
  it("rejects a member event without a state_key", () => {
    const e = room.event({ type: "m.room.member", sender: BOB, content: { membership: "join" } });
    expectDenied(checkAuth(room.v, e, room.state), /state_key/);
  });
  it("rejects a member event without content.membership", () => {
    expectDenied(check(room, member(room, BOB, BOB, {})), /membership/);
  });
  it("rejects an unknown membership", () => {
    expectDenied(check(room, member(room, BOB, BOB, { membership: "dance" })), /unknown membership/);
  });
});

describe("join: the creator's first join", () => {
  for (const id of ALL_VERSIONS) {
    it(`v${id}: allowed when the only prev_event is the create event`, () => {
      const room = makeRoom(id);
      const state = stateOf(room.create);
      const join = member(
        room,
        ALICE,
        ALICE,
        { membership: "join" },
        { prev_events: [room.create.event_id] },
      );
      expectAllowed(checkAuth(room.v, join, state));
      const late = member(room, ALICE, ALICE, { membership: "join" }, { prev_events: ["$other:a"] });
      expectDenied(checkAuth(room.v, late, state));
    });
  }
  it("v1/v2 prev_events as [id, hashes] pairs", () => {
    const room = makeRoom("1");
    const join = member(
      room,
      ALICE,
      ALICE,
      { membership: "join" },
      { prev_events: [[room.create.event_id, {}]] },
    );
    expectAllowed(checkAuth(room.v, join, stateOf(room.create)));
  });
  it("v10: the creator is content.creator, not the create event's sender", () => {
    const room = makeRoom("10", { createContent: { creator: BOB } });
    const state = stateOf(room.create);
    const prev = { prev_events: [room.create.event_id] };
    expectAllowed(checkAuth(room.v, member(room, BOB, BOB, { membership: "join" }, prev), state));
    expectDenied(checkAuth(room.v, member(room, ALICE, ALICE, { membership: "join" }, prev), state));
  });
  it("v11: the creator is the create event's sender; content.creator means nothing", () => {
    const room = makeRoom("11", { createContent: { creator: BOB } });
    const state = stateOf(room.create);
    const prev = { prev_events: [room.create.event_id] };
    expectAllowed(checkAuth(room.v, member(room, ALICE, ALICE, { membership: "join" }, prev), state));
    expectDenied(checkAuth(room.v, member(room, BOB, BOB, { membership: "join" }, prev), state));
  });
  it("v12: an additional creator does not get the first-join exception", () => {
    const room = makeRoom("12", { createContent: { additional_creators: [BOB] } });
    const prev = { prev_events: [room.create.event_id] };
    expectDenied(
      checkAuth(room.v, member(room, BOB, BOB, { membership: "join" }, prev), stateOf(room.create)),
    );
  });
});

describe("join: join rules", () => {
  it("public: anyone may join themselves, nobody may join someone else", () => {
    const room = makeRoom("10", { joinRule: "public" });
    expectAllowed(check(room, member(room, BOB, BOB, { membership: "join" })));
    expectDenied(check(room, member(room, ALICE, BOB, { membership: "join" })), /sender/);
  });
  it("a banned user cannot join a public room", () => {
    const room = makeRoom("10", { joinRule: "public", members: { [BOB]: "ban" } });
    expectDenied(check(room, member(room, BOB, BOB, { membership: "join" })), /banned/);
  });
  it("invite: only invited or joined users may join", () => {
    const room = makeRoom("10", { joinRule: "invite", members: { [BOB]: "invite", [CAROL]: "leave" } });
    expectAllowed(check(room, member(room, BOB, BOB, { membership: "join" })));
    expectAllowed(check(room, member(room, ALICE, ALICE, { membership: "join", displayname: "A" })));
    expectDenied(check(room, member(room, CAROL, CAROL, { membership: "join" })));
  });
  it("no join_rules event behaves as invite", () => {
    const room = makeRoom("10", { members: { [BOB]: "invite" } });
    expectAllowed(check(room, member(room, BOB, BOB, { membership: "join" })));
    expectDenied(check(room, member(room, CAROL, CAROL, { membership: "join" })));
  });
  it("private and unknown join rules allow no joins", () => {
    for (const rule of ["private", "nonsense"]) {
      const room = makeRoom("10", { joinRule: rule, members: { [BOB]: "invite" } });
      expectDenied(check(room, member(room, BOB, BOB, { membership: "join" })), /join rule/);
    }
  });
  it("knock join rule: v6 treats it as unknown, v7+ lets invited users join", () => {
    const v6 = makeRoom("6", { joinRule: "knock", members: { [BOB]: "invite" } });
    expectDenied(check(v6, member(v6, BOB, BOB, { membership: "join" })));
    const v7 = makeRoom("7", { joinRule: "knock", members: { [BOB]: "invite" } });
    expectAllowed(check(v7, member(v7, BOB, BOB, { membership: "join" })));
    expectDenied(check(v7, member(v7, CAROL, CAROL, { membership: "join" })));
  });
});

describe("join: restricted (v8+) and knock_restricted (v10+)", () => {
  const authorised = (via: string) => ({ membership: "join", join_authorised_via_users_server: via });

  it("v7 does not know the restricted rule", () => {
    const room = makeRoom("7", { joinRule: "restricted", members: { [CAROL]: "join" } });
    expectDenied(check(room, member(room, BOB, BOB, authorised(CAROL))));
  });
  for (const id of ["8", "9", "10", "11", "12"]) {
    it(`v${id}: a joined user with invite power can authorise a join`, () => {
      const room = makeRoom(id, { joinRule: "restricted", members: { [CAROL]: "join" } });
      expectAllowed(check(room, member(room, BOB, BOB, authorised(CAROL))));
      expectAllowed(check(room, member(room, BOB, BOB, authorised(ALICE))));
    });
  }
  it("rejects without join_authorised_via_users_server unless already invited or joined", () => {
    const room = makeRoom("9", { joinRule: "restricted", members: { [CAROL]: "invite" } });
    expectDenied(
      check(room, member(room, BOB, BOB, { membership: "join" })),
      /join_authorised_via_users_server/,
    );
    expectAllowed(check(room, member(room, CAROL, CAROL, { membership: "join" })));
  });
  it("rejects an authoriser who is not joined", () => {
    const room = makeRoom("9", { joinRule: "restricted", members: { [CAROL]: "invite" } });
    expectDenied(check(room, member(room, BOB, BOB, authorised(CAROL))), /not joined/);
  });
  it("rejects an authoriser below the invite level", () => {
    const room = makeRoom("9", {
      joinRule: "restricted",
      members: { [CAROL]: "join" },
      powerLevels: { users: { [ALICE]: 100 }, invite: 50 },
    });
    expectDenied(check(room, member(room, BOB, BOB, authorised(CAROL))), /invite/);
    expectAllowed(check(room, member(room, BOB, BOB, authorised(ALICE))));
  });
  it("a banned user stays out even with an authoriser", () => {
    const room = makeRoom("9", { joinRule: "restricted", members: { [BOB]: "ban" } });
    expectDenied(check(room, member(room, BOB, BOB, authorised(ALICE))), /banned/);
  });
  it("knock_restricted: v9 does not know it, v10 allows invited users and authorised joins", () => {
    const v9 = makeRoom("9", { joinRule: "knock_restricted" });
    expectDenied(check(v9, member(v9, BOB, BOB, authorised(ALICE))));
    const v10 = makeRoom("10", { joinRule: "knock_restricted", members: { [CAROL]: "invite" } });
    expectAllowed(check(v10, member(v10, BOB, BOB, authorised(ALICE))));
    expectAllowed(check(v10, member(v10, CAROL, CAROL, { membership: "join" })));
    expectDenied(check(v10, member(v10, BOB, BOB, { membership: "join" })));
  });
  it("v12: a creator authorises joins whatever the invite level", () => {
    const room = makeRoom("12", { joinRule: "restricted", powerLevels: { invite: 1000000 } });
    expectAllowed(check(room, member(room, BOB, BOB, authorised(ALICE))));
  });
  it("rule 4.2: the injected signature check must pass for the authoriser's server", () => {
    const room = makeRoom("10", { joinRule: "restricted" });
    const join = member(room, BOB, BOB, authorised(ALICE));
    const seen: string[] = [];
    const signedBy = (ok: boolean) => ({
      isSignedByServer: (_e: unknown, server: string) => {
        seen.push(server);
        return ok;
      },
    });
    expectAllowed(checkAuth(room.v, join, room.state, signedBy(true)));
    expectDenied(checkAuth(room.v, join, room.state, signedBy(false)), /signed/);
    expect(seen).toEqual(["a", "a"]);
  });
});

describe("invite", () => {
  it("needs a joined sender at or above the invite level", () => {
    const room = makeRoom("10", {
      members: { [CAROL]: "join" },
      powerLevels: { users: { [ALICE]: 100 }, invite: 50 },
    });
    expectAllowed(check(room, member(room, ALICE, BOB, { membership: "invite" })));
    expectDenied(check(room, member(room, CAROL, BOB, { membership: "invite" })), /invite level/);
    expectDenied(check(room, member(room, "@dave:d", BOB, { membership: "invite" })), /not joined/);
  });
  it("with no power levels event everyone may invite (invite level 0)", () => {
    const room = makeRoom("10", { members: { [CAROL]: "join" } });
    expectAllowed(check(room, member(room, CAROL, BOB, { membership: "invite" })));
  });
  it("cannot invite someone joined or banned", () => {
    const room = makeRoom("10", { members: { [BOB]: "join", [CAROL]: "ban" } });
    expectDenied(check(room, member(room, ALICE, BOB, { membership: "invite" })), /join/);
    expectDenied(check(room, member(room, ALICE, CAROL, { membership: "invite" })), /ban/);
  });
  it("re-inviting an invited or knocking user is allowed", () => {
    const room = makeRoom("10", { members: { [BOB]: "invite", [CAROL]: "knock" } });
    expectAllowed(check(room, member(room, ALICE, BOB, { membership: "invite" })));
    expectAllowed(check(room, member(room, ALICE, CAROL, { membership: "invite" })));
  });
});

describe("invite with third_party_invite", () => {
  const idServer = identityServerKey();
  const token = "tok";
  const inviteState = (
    room: TestRoom,
    sender = ALICE,
    content: JsonObject = { public_key: idServer.publicKey },
  ) => room.event({ type: "m.room.third_party_invite", state_key: token, sender, content });
  const roomWithInvite = (spec: RoomSpec = {}, sender = ALICE, content?: JsonObject) => {
    const room = makeRoom("10", { ...spec, members: { [CAROL]: "join", ...spec.members } });
    room.state.set(stateTupleKey("m.room.third_party_invite", token), inviteState(room, sender, content));
    return room;
  };
  const signed = (mxid = BOB, t = token) => idServer.signBlock({ mxid, token: t }, "id.example", "ed25519:0");
  const tpInvite = (room: TestRoom, signedBlock: JsonObject | undefined, sender = ALICE, target = BOB) =>
    member(room, sender, target, {
      membership: "invite",
      third_party_invite:
        signedBlock === undefined ? { display_name: "b…" } : { display_name: "b…", signed: signedBlock },
    });

  it("allows a correctly signed invite (key in public_key), with the core/signing verifier", () => {
    const room = roomWithInvite();
    expectAllowed(check(room, tpInvite(room, signed())));
  });
  it("finds the key in public_keys too, and accepts a URL-safe key", () => {
    const urlSafe = idServer.publicKey.replace(/\+/g, "-").replace(/\//g, "_");
    const room = roomWithInvite({}, ALICE, { public_key: "junk", public_keys: [{ public_key: urlSafe }] });
    expectAllowed(check(room, tpInvite(room, signed())));
  });
  it("rejects a signature by another key", () => {
    const other = identityServerKey();
    const room = roomWithInvite();
    const forged = other.signBlock({ mxid: BOB, token }, "id.example", "ed25519:0");
    expectDenied(check(room, tpInvite(room, forged)), /signature/);
  });
  it("rejects a tampered signed block", () => {
    const room = roomWithInvite();
    expectDenied(check(room, tpInvite(room, { ...signed(), extra: 1 })), /signature/);
  });
  it("rejects a banned target, a missing signed block, missing mxid/token, an mxid mismatch", () => {
    const banned = roomWithInvite({ members: { [BOB]: "ban" } });
    expectDenied(check(banned, tpInvite(banned, signed())), /banned/);
    const room = roomWithInvite();
    expectDenied(check(room, tpInvite(room, undefined)), /signed/);
    expectDenied(check(room, tpInvite(room, { token })), /mxid and token/);
    expectDenied(check(room, tpInvite(room, signed(CAROL))), /mxid/);
  });
  it("rejects an unknown token and a sender other than the third-party invite's sender", () => {
    const room = roomWithInvite();
    expectDenied(check(room, tpInvite(room, signed(BOB, "other"))), /token/);
    expectDenied(check(room, tpInvite(room, signed(), CAROL)), /sender/);
  });
  it("uses the injected verifier when given one", () => {
    const room = roomWithInvite();
    const bogus = { mxid: BOB, token, signatures: { "id.example": { "ed25519:0": "x" } } };
    const e = tpInvite(room, bogus);
    expectDenied(checkAuth(room.v, e, room.state));
    expectAllowed(checkAuth(room.v, e, room.state, { verifyJsonSignature: () => true }));
  });
});

describe("leave", () => {
  it("a user may leave from join or invite, not from leave or ban", () => {
    const room = makeRoom("10", {
      members: { [BOB]: "invite", [CAROL]: "join", "@d:d": "leave", "@e:e": "ban" },
    });
    expectAllowed(check(room, member(room, BOB, BOB, { membership: "leave" })));
    expectAllowed(check(room, member(room, CAROL, CAROL, { membership: "leave" })));
    expectDenied(check(room, member(room, "@d:d", "@d:d", { membership: "leave" })));
    expectDenied(check(room, member(room, "@e:e", "@e:e", { membership: "leave" })));
    expectDenied(check(room, member(room, "@f:f", "@f:f", { membership: "leave" })));
  });
  it("rescinding a knock: v7+ only", () => {
    const v7 = makeRoom("7", { members: { [BOB]: "knock" } });
    expectAllowed(check(v7, member(v7, BOB, BOB, { membership: "leave" })));
    const v6 = makeRoom("6", { members: { [BOB]: "knock" } });
    expectDenied(check(v6, member(v6, BOB, BOB, { membership: "leave" })));
  });
  describe("kick and unban", () => {
    const pl = { users: { [ALICE]: 100, [BOB]: 50, [CAROL]: 50 }, kick: 50, ban: 75 };
    const room = roomWith("10", {
      powerLevels: pl,
      members: { [BOB]: "join", [CAROL]: "join", "@d:d": "join", "@e:e": "ban" },
    });
    it("needs the kick level and strictly more power than the target", () => {
      expectAllowed(check(room, member(room, BOB, "@d:d", { membership: "leave" })));
      expectDenied(check(room, member(room, BOB, CAROL, { membership: "leave" })), /kick/);
      expectDenied(check(room, member(room, BOB, ALICE, { membership: "leave" })));
      expectDenied(check(room, member(room, "@d:d", BOB, { membership: "leave" })));
    });
    it("the sender must be joined", () => {
      expectDenied(check(room, member(room, "@x:x", "@d:d", { membership: "leave" })), /not joined/);
    });
    it("unbanning needs the ban level as well as the kick level", () => {
      expectDenied(check(room, member(room, BOB, "@e:e", { membership: "leave" })), /ban level/);
      expectAllowed(check(room, member(room, ALICE, "@e:e", { membership: "leave" })));
    });
  });
});

describe("ban", () => {
  const pl = { users: { [ALICE]: 100, [BOB]: 50 }, ban: 50 };
  const room = roomWith("10", { powerLevels: pl, members: { [BOB]: "join", [CAROL]: "join" } });
  it("needs the ban level and strictly more power than the target", () => {
    expectAllowed(check(room, member(room, BOB, CAROL, { membership: "ban" })));
    expectAllowed(check(room, member(room, BOB, "@never:x", { membership: "ban" })));
    expectDenied(check(room, member(room, BOB, ALICE, { membership: "ban" })));
    expectDenied(check(room, member(room, CAROL, BOB, { membership: "ban" })));
  });
  it("equal power is not enough", () => {
    const eq = roomWith("10", {
      powerLevels: { users: { [ALICE]: 100, [BOB]: 100 } },
      members: { [BOB]: "join" },
    });
    expectDenied(check(eq, member(eq, BOB, ALICE, { membership: "ban" })));
  });
  it("the sender must be joined", () => {
    const r = roomWith("10", { members: { [BOB]: "leave" }, powerLevels: { users: { [BOB]: 100 } } });
    expectDenied(check(r, member(r, BOB, CAROL, { membership: "ban" })), /not joined/);
  });
  it("without a PL event the v1–v11 creator has 100 and may ban", () => {
    const r = roomWith("10", { members: { [BOB]: "join" } });
    expectAllowed(check(r, member(r, ALICE, BOB, { membership: "ban" })));
    expectDenied(check(r, member(r, BOB, ALICE, { membership: "ban" })));
  });
});

describe("v12 creators in membership changes", () => {
  const room = makeRoom("12", {
    createContent: { additional_creators: [CAROL] },
    powerLevels: { users: { [BOB]: 1000000 } },
    members: { [BOB]: "join", [CAROL]: "join" },
  });
  it("nobody can kick or ban a creator, not even the highest-ranked admin", () => {
    expectDenied(check(room, member(room, BOB, ALICE, { membership: "ban" })));
    expectDenied(check(room, member(room, BOB, CAROL, { membership: "leave" })));
  });
  it("creators cannot kick each other (both infinite)", () => {
    expectDenied(check(room, member(room, ALICE, CAROL, { membership: "leave" })));
  });
  it("a creator can ban the admin", () => {
    expectAllowed(check(room, member(room, CAROL, BOB, { membership: "ban" })));
  });
});

describe("knock (v7+)", () => {
  it("v6: knock is an unknown membership", () => {
    const room = makeRoom("6", { joinRule: "knock" });
    expectDenied(check(room, member(room, BOB, BOB, { membership: "knock" })), /unknown membership/);
  });
  for (const id of ["7", "10", "12"]) {
    it(`v${id}: allowed on a knock room for users not invited, joined or banned`, () => {
      const room = makeRoom(id, { joinRule: "knock", members: { [CAROL]: "leave" } });
      expectAllowed(check(room, member(room, BOB, BOB, { membership: "knock" })));
      expectAllowed(check(room, member(room, CAROL, CAROL, { membership: "knock" })));
      expectDenied(check(room, member(room, ALICE, ALICE, { membership: "knock" })), /join/);
    });
  }
  it("rejects knocking on a room whose join rule is not knock", () => {
    for (const rule of ["public", "invite", "restricted"]) {
      const room = makeRoom("10", { joinRule: rule });
      expectDenied(check(room, member(room, BOB, BOB, { membership: "knock" })), /knock/);
    }
  });
  it("rejects knocking on behalf of someone else", () => {
    const room = makeRoom("7", { joinRule: "knock" });
    expectDenied(check(room, member(room, ALICE, BOB, { membership: "knock" })), /state_key/);
  });
  it("rejects invited users knocking", () => {
    const room = makeRoom("7", { joinRule: "knock", members: { [BOB]: "invite" } });
    expectDenied(check(room, member(room, BOB, BOB, { membership: "knock" })), /invite/);
  });
  it("knock_restricted: v9 rejects knocks, v10 allows them", () => {
    const v9 = makeRoom("9", { joinRule: "knock_restricted" });
    expectDenied(check(v9, member(v9, BOB, BOB, { membership: "knock" })));
    const v10 = makeRoom("10", { joinRule: "knock_restricted" });
    expectAllowed(check(v10, member(v10, BOB, BOB, { membership: "knock" })));
  });
});
