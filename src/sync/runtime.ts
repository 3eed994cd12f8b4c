import { DeviceKeyCountsCache } from "./device-key-cache.ts";
import { BoundedGroupFactsCache } from "./group-facts-cache.ts";
import { LazyMemberCache } from "./lazy-members.ts";
import { StateGroupCache } from "./state-group-cache.ts";
import { SharedSyncReads } from "./shared-reads.ts";
import { JoinedRoomsCache } from "./joined-rooms-cache.ts";
import type { Db } from "../storage/database.ts";
import type { Notifier } from "./notifier.ts";
import { StreamWriter } from "./stream-writer.ts";
import type { Streams } from "./streams.ts";
import { TypingTracker } from "./typing.ts";

/** Per-instance state of the per-user streams /sync carries. */
export interface SyncRuntime {
  readonly accountData: StreamWriter;
  readonly receipts: StreamWriter;
  readonly presence: StreamWriter;
  readonly toDevice: StreamWriter;
  readonly deviceLists: StreamWriter;
  readonly typing: TypingTracker;
  readonly lazyMembers: LazyMemberCache;
  /**
   * Each local user's presence as this process last wrote or read it, so a sync that would change
   * nothing needs no query. Another process changing it is noticed once the activity interval lapses.
   */
  readonly presenceSeen: Map<string, { state: string; activeTs: number }>;
  /** `user|device` → to_device position up to which this process deleted acknowledged messages. */
  readonly toDeviceAcked: Map<string, number>;
  /** History visibility facts per (state group, user) for sync timelines. */
  readonly groupFacts: BoundedGroupFactsCache;
  /** Each device's one-time and fallback key counts, until an upload or claim changes them. */
  readonly deviceKeyCounts: DeviceKeyCountsCache;
  /** Full states of state groups that syncs loaded (they never change). */
  readonly stateGroups: StateGroupCache;
  /** Membership and timeline reads shared by concurrent syncs. */
  readonly reads: SharedSyncReads;
  /** Each user's joined rooms at the position of their last sync computation. */
  readonly joinedRooms: JoinedRoomsCache;
}

export function createSyncRuntime(streams: Streams, notifier: Notifier, db: Db): SyncRuntime {
  return {
    accountData: new StreamWriter("account_data", streams.account_data, notifier),
    receipts: new StreamWriter("receipts", streams.receipts, notifier),
    presence: new StreamWriter("presence", streams.presence, notifier),
    toDevice: new StreamWriter("to_device", streams.to_device, notifier),
    deviceLists: new StreamWriter("device_lists", streams.device_lists, notifier),
    typing: new TypingTracker(notifier),
    lazyMembers: new LazyMemberCache(),
    presenceSeen: new Map(),
    toDeviceAcked: new Map(),
    groupFacts: new BoundedGroupFactsCache(),
    deviceKeyCounts: new DeviceKeyCountsCache(),
    stateGroups: new StateGroupCache(),
    reads: new SharedSyncReads(db),
    joinedRooms: new JoinedRoomsCache(),
  };
}
