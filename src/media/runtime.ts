import type { Dispatcher } from "undici";
import type { HearthConfig } from "../config/schema.ts";
import type { JsonObject } from "../core/json.ts";
import { createFederationAgent } from "../federation/client/agent.ts";
import { AddressPolicy } from "../util/address-policy.ts";
import type { Db } from "../storage/database.ts";
import { initInstanceMeta } from "../storage/instance-meta.ts";
import type { Logger } from "../util/logger.ts";
import { findFfmpeg } from "./ffmpeg.ts";
import { createFilesystemStore } from "./fs-store.ts";
import type { MediaStore } from "./store.ts";

/** Per-instance media state: the store, machine facts found at start, and in-process coordination. */
export interface MediaRuntime {
  readonly store: MediaStore;
  /** undefined: no ffmpeg on this machine, so videos get no thumbnail. */
  readonly ffmpegPath: string | undefined;
  /** Media created at or after this time is not served by the legacy endpoints; undefined: no freeze. */
  readonly legacyFreezeTs: number | undefined;
  /** Runs `work` once per key at a time; concurrent callers share its result (thumbnails, remote fetches). */
  once<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Resolves when `key`'s pending upload completes, or after `timeoutMs` (true if it completed). */
  waitForUpload(key: string, timeoutMs: number): Promise<boolean>;
  uploadCompleted(key: string): void;
  /** Keeps background work (pre-generated thumbnails) visible so stop() can wait for it. */
  track(work: Promise<unknown>): void;
  /** The connection pool URL previews fetch through: private addresses refused unless configured. */
  previewDispatcher(): Dispatcher;
  /** Recent previews by URL, so a link pasted in a busy room is fetched once. */
  readonly previews: Map<string, { expiresTs: number; value: JsonObject }>;
  /** Waits for tracked background work, releases upload waiters and closes the preview pool. */
  drain(): Promise<void>;
}

const FREEZE_META_KEY = "media_legacy_freeze_ts";

export async function createMediaRuntime(
  config: HearthConfig,
  db: Db,
  log: Logger,
  now: number,
): Promise<MediaRuntime> {
  const store = await createFilesystemStore(config.media.store_path);
  const ffmpegPath = await findFfmpeg(config.media.ffmpeg_path);
  if (ffmpegPath === undefined)
    log.info({ component: "media" }, "ffmpeg not found: videos get no thumbnails");
  let legacyFreezeTs: number | undefined;
  if (config.media.freeze_legacy_media) {
    // The first start's time is remembered, so restarts do not move the freeze forward.
    const firstStart = Number(await initInstanceMeta(db, FREEZE_META_KEY, now));
    legacyFreezeTs =
      config.media.legacy_freeze_at !== undefined ? Date.parse(config.media.legacy_freeze_at) : firstStart;
  }

  const inflight = new Map<string, Promise<unknown>>();
  const waiters = new Map<string, Set<(done: boolean) => void>>();
  const background = new Set<Promise<unknown>>();
  let dispatcher: Dispatcher | undefined;
  const preview = config.media.url_preview;

  return {
    store,
    ffmpegPath,
    legacyFreezeTs,
    once<T>(key: string, work: () => Promise<T>): Promise<T> {
      const running = inflight.get(key);
      if (running) return running as Promise<T>;
      const p = work().finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
    waitForUpload(key, timeoutMs) {
      return new Promise((resolve) => {
        let set = waiters.get(key);
        if (!set) waiters.set(key, (set = new Set()));
        const done = (completed: boolean): void => {
          clearTimeout(timer);
          set.delete(done);
          if (set.size === 0) waiters.delete(key);
          resolve(completed);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        set.add(done);
      });
    },
    uploadCompleted(key) {
      for (const done of [...(waiters.get(key) ?? [])]) done(true);
    },
    track(work) {
      const p = work.catch((err: unknown) =>
        log.warn({ err, component: "media" }, "background media work failed"),
      );
      background.add(p);
      void p.finally(() => background.delete(p));
    },
    previewDispatcher() {
      dispatcher ??= createFederationAgent({
        policy: new AddressPolicy({
          allow_private_addresses: preview.allow_private_addresses,
          ip_range_allowlist: [],
          ip_range_denylist: [],
        }),
        verifyCertificates: true,
        connectTimeoutMs: preview.timeout_ms,
      });
      return dispatcher;
    },
    previews: new Map(),
    async drain() {
      for (const set of waiters.values()) for (const done of [...set]) done(false);
      while (background.size > 0) await Promise.all([...background]);
      await dispatcher?.close();
    },
  };
}
