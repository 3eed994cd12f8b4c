import type { HearthConfig } from "../config/schema.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import { TokenBucketLimiter } from "../util/token-bucket.ts";
import { CommitNotifications } from "./commit-notifications.ts";
import { KeyedMutex } from "./keyed-mutex.ts";
import { RoomActivity } from "./room-activity.ts";
import { RoomWriteCache } from "./write-cache.ts";
import { GuardedInserts } from "./guarded-inserts.ts";
import type { Db } from "../storage/database.ts";

/** A user's global profile, as member events carry it. */
export interface MemberProfile {
  displayname?: string;
  avatar_url?: string;
}

export type ProfileLookup = (userId: string) => Promise<MemberProfile>;

/** Per-instance state of the room writer (nothing here is global, so tests can run several servers). */
export interface RoomService {
  /** Serialises writers per room inside this process. */
  readonly locks: KeyedMutex;
  /** Wake-ups held until the events stream's persistedUpTo covers them. */
  readonly commits: CommitNotifications;
  /** Each room's newest committed write, so /sync can skip rooms without new events. */
  readonly activity: RoomActivity;
  /** `rate_limits.messages`: events sent by users through the client API, per user. */
  readonly messageLimiter: TokenBucketLimiter;
  /** Where join and invite events get the user's displayname and avatar from. */
  readonly profiles: ProfileLookup;
  /** What the last local write learnt about each room, so the next one need not read it again. */
  readonly writeCache: RoomWriteCache;
  /** Each room's version, once read (it never changes); see room-versions.ts. */
  readonly versions: Map<string, RoomVersion>;
  /** Guarded single-statement inserts of several rooms sharing a statement. */
  readonly guardedInserts: GuardedInserts;
}

export function createRoomService(opts: {
  config: HearthConfig;
  clock: () => number;
  /** Until profiles are stored, member events carry no displayname or avatar. */
  profiles?: ProfileLookup;
  /** The events stream's position at start (see RoomActivity). */
  eventsPosition: number;
  db: Db;
}): RoomService {
  return {
    locks: new KeyedMutex(),
    commits: new CommitNotifications(),
    activity: new RoomActivity(opts.eventsPosition),
    messageLimiter: new TokenBucketLimiter(opts.config.rate_limits.messages, opts.clock),
    profiles: opts.profiles ?? (async () => ({})),
    writeCache: new RoomWriteCache(),
    versions: new Map(),
    guardedInserts: new GuardedInserts(opts.db),
  };
}
