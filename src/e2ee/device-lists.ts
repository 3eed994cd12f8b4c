import type { HearthContext } from "../context.ts";
import {
  insertDeviceListChanges,
  lastDeviceListChange,
  roomMembersAnyState,
  usersWithDeviceListChanges,
  usersWithMembershipChanges,
} from "../storage/e2ee/device-lists.ts";
import { joinedRoomIds, newlySharedUsers, usersSharingRooms } from "../storage/sync/shared-rooms.ts";
import { membershipChanges, type MembershipChange } from "../storage/sync/sync-rooms.ts";
import type { SyncToken } from "../sync/tokens.ts";
import { federateDeviceListChange, type DeviceListFederationContext } from "./device-list-federation.ts";
import { serverOfUserId } from "./input.ts";

type DeviceListContext = Pick<HearthContext, "db" | "sync"> & DeviceListFederationContext;

/**
 * Puts a change of `userId`'s devices (null: cross-signing keys) on the device_lists stream and wakes
 * the syncs that should hear of it: the user's own devices and everyone in the user's rooms. Remote
 * users' changes (federation) go through here too once received, so the stream holds both; local
 * users' changes are also sent to the servers sharing a room with them.
 */
export async function recordDeviceListChange(
  ctx: DeviceListContext,
  userId: string,
  deviceIds: readonly (string | null)[],
): Promise<void> {
  if (deviceIds.length === 0) return;
  const roomIds = await joinedRoomIds(ctx.db, userId);
  const local = serverOfUserId(userId) === ctx.serverName;
  const { position, prevId } = await ctx.sync.deviceLists.write(
    async (position) => {
      await insertDeviceListChanges(ctx.db, position, userId, deviceIds);
      return { position, prevId: local ? await lastDeviceListChange(ctx.db, userId, position) : 0 };
    },
    () => ({ userIds: [userId], roomIds }),
  );
  if (local) await federateDeviceListChange(ctx, userId, deviceIds, position, prevId);
}

/** What /sync already read about the user's own rooms in the same window, so it is not read twice. */
export interface KnownMemberships {
  /** Rooms the user is joined to at the window's end. */
  joined: readonly string[];
  /** The user's own membership changes in the window, oldest first. */
  changes: readonly MembershipChange[];
  /** What usersWithMembershipChanges says for those rooms in the window (or a superset of it). */
  departed?: readonly string[];
}

export interface DeviceListDelta {
  changed: string[];
  left: string[];
}

/**
 * What `device_lists` (and GET keys/changes) reports to `userId` between two sync tokens: users sharing
 * a room now whose devices or cross-signing keys changed, or who newly came to share a room (their keys
 * were never tracked); and users who shared a room before but share none now. The user's own changes
 * count (their other devices track them too).
 */
export async function deviceListDelta(
  ctx: Pick<HearthContext, "db">,
  userId: string,
  from: SyncToken,
  to: SyncToken,
  known?: KnownMemberships,
): Promise<DeviceListDelta> {
  const none: DeviceListDelta = { changed: [], left: [] };
  const eventsMoved = to.events > from.events;
  const listsMoved = to.device_lists > from.device_lists;
  if (!eventsMoved && !listsMoved) return none;
  // Most syncs follow a message: the events stream moved but nobody's membership did. One query says
  // so, and then only the device_lists stream can have news.
  let joined: readonly string[] = [];
  let roomsLeft: string[] = [];
  let newlyJoined: string[] = [];
  let departed: string[] = [];
  if (eventsMoved) {
    const [joinedNow, mine] = known
      ? [known.joined, known.changes]
      : await Promise.all([
          joinedRoomIds(ctx.db, userId),
          membershipChanges(ctx.db, userId, from.events, to.events),
        ]);
    joined = joinedNow;
    const lastMembership = new Map(mine.map((c) => [c.roomId, c.membership]));
    newlyJoined = joined.filter((r) => lastMembership.get(r) === "join");
    roomsLeft = [...lastMembership].filter(([, m]) => m !== "join").map(([r]) => r);
    departed = known?.departed
      ? [...known.departed]
      : await usersWithMembershipChanges(ctx.db, [...joined, ...roomsLeft], from.events, to.events);
  }
  const membersMoved = newlyJoined.length > 0 || roomsLeft.length > 0 || departed.length > 0;
  if (!listsMoved && !membersMoved) return none;

  const sharing = new Set(await usersSharingRooms(ctx.db, userId));
  sharing.add(userId);
  const changed = new Set(
    listsMoved
      ? await usersWithDeviceListChanges(ctx.db, [...sharing], from.device_lists, to.device_lists)
      : [],
  );
  const left = new Set<string>();
  if (membersMoved) {
    const [fresh, leftBehind] = await Promise.all([
      newlySharedUsers(ctx.db, joined, newlyJoined, from.events, to.events),
      roomMembersAnyState(ctx.db, roomsLeft),
    ]);
    for (const u of fresh) if (sharing.has(u) && u !== userId) changed.add(u);
    for (const u of [...departed, ...leftBehind]) if (!sharing.has(u)) left.add(u);
  }
  return { changed: [...changed].sort(), left: [...left].sort() };
}
