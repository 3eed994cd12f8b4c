import type { AccountRateLimiters } from "./accounts/rate-limits.ts";
import type { AccessTokenCache } from "./accounts/token-cache.ts";
import type { AdminRuntime } from "./admin/runtime.ts";
import type { HearthConfig } from "./config/schema.ts";
import type { FederationServices } from "./federation/services.ts";
import type { ServerKeys } from "./keys/signing-key-file.ts";
import type { MediaRuntime } from "./media/runtime.ts";
import type { InboundRuntime } from "./federation/inbound/runtime.ts";
import type { Metrics } from "./http/metrics.ts";
import type { RoomService } from "./rooms/service.ts";
import type { Db } from "./storage/database.ts";
import type { Notifier } from "./sync/notifier.ts";
import type { SyncRuntime } from "./sync/runtime.ts";
import type { Streams } from "./sync/streams.ts";
import type { Logger } from "./util/logger.ts";

/** Everything one homeserver instance needs, built once at start; nothing in Hearth is global. */
export interface HearthContext {
  readonly config: HearthConfig;
  readonly serverName: string;
  readonly log: Logger;
  readonly db: Db;
  readonly keys: ServerKeys;
  readonly metrics: Metrics;
  /** Injected so tests can move time; production uses Date.now. */
  readonly clock: () => number;
  /** When each `user|device` last had last_seen written, to throttle those writes. */
  readonly lastSeen: Map<string, number>;
  /** Access token → owner, so requests skip the token lookup; revocations here clear it at once. */
  readonly accessTokens: AccessTokenCache;
  /** In-memory token buckets for login and registration (per instance by design). */
  readonly rateLimits: AccountRateLimiters;
  /** Wakes /sync long-polls after commits. */
  readonly notifier: Notifier;
  /** Position allocation and "persisted up to" per stream. */
  readonly streams: Streams;
  /** Writers of the per-user streams, typing and the lazy-loading cache. */
  readonly sync: SyncRuntime;
  /** The room writer's locks, pending wake-ups, message limiter and profile source. */
  readonly rooms: RoomService;
  /** Admin work queued in the database (room deletions, deferred room leaves) and its runner. */
  readonly admin: AdminRuntime;
  /** Media store, ffmpeg, legacy freeze, and in-process coalescing of thumbnails and uploads. */
  readonly media: MediaRuntime;
  /** Inbound federation: the per-origin transaction queue, retries in flight, EDU handlers. */
  readonly federationInbound: InboundRuntime;
  /** Outbound requests (X-Matrix signed), remote servers' keys and durable delivery to other servers. */
  readonly federation: FederationServices;
}
