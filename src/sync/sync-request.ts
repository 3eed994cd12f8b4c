import type { HearthContext } from "../context.ts";
import { badJson, invalidParam, MatrixError } from "../errors.ts";
import { getFilterJson } from "../storage/sync/filters.ts";
import { DEFAULT_FILTER, FilterError, parseFilter, type SyncFilter } from "./filter.ts";
import type { PresenceState } from "./presence.ts";
import { parseSyncToken, type SyncToken } from "./tokens.ts";

/** Longest a /sync long-poll is held, whatever the client asks. */
export const MAX_SYNC_TIMEOUT_MS = 5 * 60_000;

export interface SyncRequest {
  userId: string;
  deviceId: string;
  filter: SyncFilter;
  since?: SyncToken;
  fullState: boolean;
  setPresence: PresenceState;
  timeoutMs: number;
  useStateAfter: boolean;
  /** The response key for state_after: the stable one, or MSC4222's when asked that way. */
  stateAfterKey: "state_after" | "org.matrix.msc4222.state_after";
}

export interface SyncQuery {
  filter?: string;
  since?: string;
  full_state?: string;
  set_presence?: string;
  timeout?: string;
  use_state_after?: string;
  /** MSC4222's name, still what matrix-js-sdk 37 sends. */
  "org.matrix.msc4222.use_state_after"?: string;
}

function boolParam(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw invalidParam(`'${name}' must be 'true' or 'false'`);
}

/**
 * The `filter` parameter: inline JSON when it starts with `{` (spec), otherwise one of the user's filter
 * ids. Unparseable JSON is M_NOT_JSON, an invalid filter M_BAD_JSON (as when uploading one), an
 * unknown id M_INVALID_PARAM.
 */
export async function resolveFilter(
  ctx: Pick<HearthContext, "db">,
  userId: string,
  param: string | undefined,
): Promise<SyncFilter> {
  if (param === undefined || param === "") return DEFAULT_FILTER;
  let value: unknown;
  if (param.startsWith("{")) {
    try {
      value = JSON.parse(param);
    } catch {
      throw new MatrixError(400, "M_NOT_JSON", "'filter' is not valid JSON");
    }
  } else {
    const stored = await getFilterJson(ctx.db, userId, param);
    if (stored === undefined) throw invalidParam(`No such filter: ${param}`);
    value = JSON.parse(stored);
  }
  try {
    return parseFilter(value);
  } catch (err) {
    if (err instanceof FilterError) throw badJson(`Invalid filter: ${err.message}`);
    throw err;
  }
}

/** Validates the query of GET /sync; every malformed parameter is a 400, never a 500. */
export async function parseSyncRequest(
  ctx: Pick<HearthContext, "db">,
  requester: { userId: string; deviceId: string },
  query: SyncQuery,
): Promise<SyncRequest> {
  let since: SyncToken | undefined;
  if (query.since !== undefined && query.since !== "") {
    since = parseSyncToken(query.since);
    if (!since) throw invalidParam("Malformed 'since' token");
  }
  let timeoutMs = 0;
  if (query.timeout !== undefined && query.timeout !== "") {
    if (!/^[0-9]{1,16}$/.test(query.timeout)) throw invalidParam("'timeout' must be a non-negative integer");
    timeoutMs = Math.min(Number(query.timeout), MAX_SYNC_TIMEOUT_MS);
  }
  const presence = query.set_presence ?? "online";
  if (presence !== "online" && presence !== "offline" && presence !== "unavailable") {
    throw invalidParam("'set_presence' must be online, offline or unavailable");
  }
  const stable = boolParam(query.use_state_after, "use_state_after");
  const unstable = boolParam(
    query["org.matrix.msc4222.use_state_after"],
    "org.matrix.msc4222.use_state_after",
  );
  return {
    userId: requester.userId,
    deviceId: requester.deviceId,
    filter: await resolveFilter(ctx, requester.userId, query.filter),
    since,
    fullState: boolParam(query.full_state, "full_state"),
    setPresence: presence,
    timeoutMs,
    useStateAfter: stable || unstable,
    stateAfterKey: stable || !unstable ? "state_after" : "org.matrix.msc4222.state_after",
  };
}
