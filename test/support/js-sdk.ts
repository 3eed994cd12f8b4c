import { ClientEvent, MemoryStore, SyncState, type MatrixClient } from "matrix-js-sdk";
import { logger as sdkGlobalLogger, type Logger } from "matrix-js-sdk/lib/logger.js";

// The sync loop logs through the SDK's global logger whatever logger the client was given. It is a
// loglevel logger at runtime, though its declared type hides setLevel.
(sdkGlobalLogger as unknown as { setLevel(level: "silent", persist: boolean): void }).setLevel(
  "silent",
  false,
);

/** The SDK logs every request; tests read assertions, not logs. */
export const quietLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  getChild: () => quietLogger,
};

/**
 * A memory store that offers its sync token back on restart, as a persistent store (IndexedDB) does:
 * without it a restarted client does a fresh initial sync and never sees a limited incremental one.
 */
export class ResumableStore extends MemoryStore {
  override getSavedSyncToken(): Promise<string | null> {
    return Promise.resolve(this.getSyncToken());
  }
}

/**
 * Resolves with `check()`'s first truthy result, checking now and again after every sync the client
 * processes (the SDK emits `ClientEvent.Sync` once per /sync response, after applying it) and after
 * each of the `also` events, which cover changes made outside /sync (local echo, /messages).
 * Checking state rather than awaiting one emission means an update that landed before the call is
 * not missed. Rejects after `timeoutMs` with `label`, so a hang names what never happened.
 */
export function until<T>(
  client: MatrixClient,
  label: string,
  check: () => T | undefined | null | false,
  opts: { also?: readonly string[]; timeoutMs?: number } = {},
): Promise<T> {
  const events = [ClientEvent.Sync as string, ...(opts.also ?? [])];
  // Made now so that a timeout's stack points at the waiting test line, not at the timer.
  const timedOut = new Error(`${client.getUserId() ?? "client"}: timed out waiting for ${label}`);
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      // The SDK's emitter is typed per event; this listener takes no arguments, so any event fits.
      for (const e of events) client.off(e as ClientEvent, listener as never);
    };
    const listener = (): void => {
      let result: T | undefined | null | false;
      try {
        result = check();
      } catch (err) {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (result === undefined || result === null || result === false) return;
      cleanup();
      resolve(result);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(timedOut);
    }, opts.timeoutMs ?? 10_000);
    for (const e of events) client.on(e as ClientEvent, listener as never);
    listener();
  });
}

/** Starts the client's sync loop and resolves once its first sync has been processed. */
export async function startSyncing(
  client: MatrixClient,
  opts: Parameters<MatrixClient["startClient"]>[0] = {},
): Promise<void> {
  let state: SyncState | null = null;
  const onSync = (s: SyncState): void => {
    state = s;
  };
  client.on(ClientEvent.Sync, onSync);
  try {
    await client.startClient(opts);
    await until(client, "the first sync", () => state === SyncState.Prepared || state === SyncState.Syncing);
  } finally {
    client.off(ClientEvent.Sync, onSync);
  }
}
