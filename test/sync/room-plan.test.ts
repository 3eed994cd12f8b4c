import { describe, expect, it } from "vitest";
import type { MembershipAt, MembershipChange } from "../../src/storage/sync/sync-rooms.ts";
import { parseFilter } from "../../src/sync/filter.ts";
import { planRooms, type PlanInput } from "../../src/sync/room-plan.ts";

const m = (
  roomId: string,
  membership: string,
  streamOrdering: number | null,
  forgotten = false,
): MembershipAt => ({
  roomId,
  membership,
  eventId: `$${roomId}-${membership}-${streamOrdering}`,
  streamOrdering,
  forgotten,
});
const change = (roomId: string, membership: string, streamOrdering: number): MembershipChange => ({
  roomId,
  membership,
  eventId: `$${roomId}-${membership}-${streamOrdering}`,
  streamOrdering,
});

function plan(input: Omit<Partial<PlanInput>, "now"> & { now: MembershipAt[] }) {
  return planRooms({
    changes: [],
    fullState: false,
    roomFilter: parseFilter({}).room,
    ...input,
    now: new Map(input.now.map((x) => [x.roomId, x])),
    atSince: input.atSince,
  });
}

describe("planRooms", () => {
  it("initial sync: joined rooms in full, invites, leaves only with include_leave, never forgotten rooms", () => {
    const now = [
      m("!j", "join", 5),
      m("!i", "invite", 6),
      m("!l", "leave", 7),
      m("!f", "leave", 8, true),
      m("!b", "ban", 9),
    ];
    expect(plan({ now })).toEqual([
      { kind: "join", roomId: "!j", full: true },
      { kind: "invite", roomId: "!i", eventId: "$!i-invite-6" },
    ]);
    const withLeave = plan({ now, roomFilter: parseFilter({ room: { include_leave: true } }).room });
    expect(withLeave.map((p) => [p.kind, p.roomId])).toEqual([
      ["join", "!j"],
      ["invite", "!i"],
      ["leave", "!l"],
      ["leave", "!b"],
    ]);
  });

  it("incremental: joined throughout is a delta from since; full_state makes it full", () => {
    const now = [m("!j", "join", 5)];
    expect(plan({ now, since: 10 })).toEqual([{ kind: "join", roomId: "!j", full: false, after: 10 }]);
    expect(plan({ now, since: 10, fullState: true })).toEqual([
      { kind: "join", roomId: "!j", full: true, after: 10 },
    ]);
  });

  it("incremental: newly joined or rejoined rooms are full; a profile change is not a rejoin", () => {
    const now = [m("!new", "join", 12), m("!re", "join", 14), m("!prof", "join", 15)];
    const changes = [
      change("!new", "join", 12),
      change("!re", "leave", 13),
      change("!re", "join", 14),
      change("!prof", "join", 15),
    ];
    const atSince = new Map([
      ["!new", m("!new", "invite", 9)],
      ["!re", m("!re", "join", 3)],
      ["!prof", m("!prof", "join", 3)],
    ]);
    expect(plan({ now, since: 10, changes, atSince })).toEqual([
      { kind: "join", roomId: "!new", full: true },
      { kind: "join", roomId: "!re", full: true },
      { kind: "join", roomId: "!prof", full: false, after: 10 },
    ]);
  });

  it("incremental: only new invites; leaves in the window, as deltas when joined until then", () => {
    const now = [
      m("!oldinv", "invite", 4),
      m("!newinv", "invite", 11),
      m("!left", "leave", 12),
      m("!rej", "leave", 13),
      m("!old", "leave", 2),
    ];
    const changes = [
      change("!newinv", "invite", 11),
      change("!left", "leave", 12),
      change("!rej", "leave", 13),
    ];
    const atSince = new Map([
      ["!left", m("!left", "join", 3)],
      ["!rej", m("!rej", "invite", 4)],
    ]);
    expect(plan({ now, since: 10, changes, atSince })).toEqual([
      { kind: "invite", roomId: "!newinv", eventId: "$!newinv-invite-11" },
      { kind: "leave", roomId: "!left", full: false, after: 10, upTo: 12, eventId: "$!left-leave-12" },
      { kind: "leave", roomId: "!rej", full: true, upTo: 13, eventId: "$!rej-leave-13" },
    ]);
  });

  it("room filters drop rooms entirely", () => {
    const now = [m("!a", "join", 1), m("!b", "join", 2), m("!c", "invite", 3)];
    const roomFilter = parseFilter({ room: { not_rooms: ["!b"] } }).room;
    expect(plan({ now, roomFilter }).map((p) => p.roomId)).toEqual(["!a", "!c"]);
  });
});
