import type { StreamName } from "./notifier.ts";

/**
 * Token formats. A sync token (`next_batch`, `since`, `prev_batch` when no gap) carries a position on
 * every stream: `s{events}_{account_data}_{receipts}_{typing}_{presence}_{to_device}_{device_lists}`.
 * A topological token (from /messages and /context) points between two events of one room's
 * timeline: `t{topological_ordering}_{stream_ordering}`. /messages accepts both.
 */
export const SYNC_STREAMS: readonly StreamName[] = [
  "events",
  "account_data",
  "receipts",
  "typing",
  "presence",
  "to_device",
  "device_lists",
];

export type SyncToken = Record<StreamName, number>;

export interface TopologicalToken {
  topological: number;
  stream: number;
}

export function formatSyncToken(token: SyncToken): string {
  return `s${SYNC_STREAMS.map((s) => token[s]).join("_")}`;
}

const NONNEG_INT = /^(0|[1-9][0-9]{0,15})$/;

/** Parses a sync token; a shorter token (older format) leaves the missing streams at 0. */
export function parseSyncToken(text: string): SyncToken | undefined {
  if (!text.startsWith("s")) return undefined;
  const parts = text.slice(1).split("_");
  if (parts.length === 0 || parts.length > SYNC_STREAMS.length || !parts.every((p) => NONNEG_INT.test(p))) {
    return undefined;
  }
  const token = Object.fromEntries(SYNC_STREAMS.map((s) => [s, 0])) as SyncToken;
  parts.forEach((p, i) => (token[SYNC_STREAMS[i]!] = Number(p)));
  return token;
}

export function formatTopologicalToken(token: TopologicalToken): string {
  return `t${token.topological}_${token.stream}`;
}

/** Negative stream positions are backfilled history, so they may appear here. */
export function parseTopologicalToken(text: string): TopologicalToken | undefined {
  const m = /^t(-?(?:0|[1-9][0-9]{0,15}))_(-?(?:0|[1-9][0-9]{0,15}))$/.exec(text);
  if (!m) return undefined;
  return { topological: Number(m[1]), stream: Number(m[2]) };
}
