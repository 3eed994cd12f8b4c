import { describe, expect, it } from "vitest";
import { mayUserSeeEvent, parseHistoryVisibility, type VisibilityFacts } from "../../src/rooms/visibility.ts";

const facts = (f: Partial<VisibilityFacts>): VisibilityFacts => ({
  visibility: "shared",
  membership: undefined,
  joinedLater: false,
  ...f,
});

describe("history visibility setting", () => {
  it("defaults to shared when missing or not understood", () => {
    expect(parseHistoryVisibility(undefined)).toBe("shared");
    expect(parseHistoryVisibility({})).toBe("shared");
    expect(parseHistoryVisibility({ history_visibility: "everyone" })).toBe("shared");
    expect(parseHistoryVisibility({ history_visibility: 3 })).toBe("shared");
    for (const v of ["world_readable", "shared", "invited", "joined"]) {
      expect(parseHistoryVisibility({ history_visibility: v })).toBe(v);
    }
  });
});

describe("mayUserSeeEvent (spec rules 1-5)", () => {
  it("world_readable: anyone, member or not", () => {
    expect(mayUserSeeEvent(facts({ visibility: "world_readable" }))).toBe(true);
    expect(mayUserSeeEvent(facts({ visibility: "world_readable", membership: "ban" }))).toBe(true);
  });

  it("joined at the event: always, whatever the setting", () => {
    for (const visibility of ["shared", "invited", "joined"] as const) {
      expect(mayUserSeeEvent(facts({ visibility, membership: "join" }))).toBe(true);
    }
  });

  it("shared: users who joined later see earlier events; never-joined users do not", () => {
    expect(mayUserSeeEvent(facts({ visibility: "shared", joinedLater: true }))).toBe(true);
    expect(mayUserSeeEvent(facts({ visibility: "shared", membership: "invite", joinedLater: false }))).toBe(
      false,
    );
    expect(mayUserSeeEvent(facts({ visibility: "shared" }))).toBe(false);
  });

  it("invited: from the invite on; a later join does not open earlier history", () => {
    expect(mayUserSeeEvent(facts({ visibility: "invited", membership: "invite" }))).toBe(true);
    expect(mayUserSeeEvent(facts({ visibility: "invited", joinedLater: true }))).toBe(false);
    expect(mayUserSeeEvent(facts({ visibility: "invited", membership: "leave", joinedLater: true }))).toBe(
      false,
    );
  });

  it("joined: only while joined", () => {
    expect(mayUserSeeEvent(facts({ visibility: "joined", membership: "invite" }))).toBe(false);
    expect(mayUserSeeEvent(facts({ visibility: "joined", joinedLater: true }))).toBe(false);
  });

  it("a user who left sees nothing after the leave (no later join)", () => {
    for (const visibility of ["shared", "invited", "joined"] as const) {
      expect(mayUserSeeEvent(facts({ visibility, membership: "leave" }))).toBe(false);
      expect(mayUserSeeEvent(facts({ visibility, membership: "ban" }))).toBe(false);
    }
  });

  it("history_visibility events: visible if the setting before or after allows", () => {
    // Non-member sees the switch to and from world_readable.
    expect(mayUserSeeEvent(facts({ visibility: "joined", visibilityAfter: "world_readable" }))).toBe(true);
    expect(mayUserSeeEvent(facts({ visibility: "world_readable", visibilityAfter: "joined" }))).toBe(true);
    expect(mayUserSeeEvent(facts({ visibility: "joined", visibilityAfter: "shared" }))).toBe(false);
  });

  it("own member events: visible if the membership before or after allows", () => {
    // Their own join under `joined`, and their own leave.
    expect(
      mayUserSeeEvent(facts({ visibility: "joined", membership: "invite", membershipAfter: "join" })),
    ).toBe(true);
    expect(
      mayUserSeeEvent(facts({ visibility: "joined", membership: "join", membershipAfter: "leave" })),
    ).toBe(true);
    // An invite under `invited` is visible to the invitee.
    expect(
      mayUserSeeEvent(facts({ visibility: "invited", membership: undefined, membershipAfter: "invite" })),
    ).toBe(true);
    // A rejected knock under `joined` is not.
    expect(
      mayUserSeeEvent(facts({ visibility: "joined", membership: "knock", membershipAfter: "leave" })),
    ).toBe(false);
  });
});
