import { randomBytes } from "node:crypto";
import { authTypesForEvent } from "../../src/core/auth-rules.ts";
import { parseJson } from "../../src/core/canonical-json.ts";
import { isJsonObject, type JsonObject } from "../../src/core/json.ts";
import type { IdentifiedPdu } from "../../src/core/pdu.ts";
import { getRoomVersion } from "../../src/core/room-versions.ts";
import { signingKeyFromSeed } from "../../src/core/signing.ts";
import { stateTupleKey, type StateTupleKey } from "../../src/core/state-key.ts";
import type { HearthContext } from "../../src/context.ts";
import {
  FederationUnreachableError,
  type FederationClient,
  type FederationRequest,
  type FederationResponse,
} from "../../src/federation/contracts.ts";
import type { SenderDriver } from "../../src/federation/sender/driver.ts";
import type { WorkerDeps } from "../../src/federation/sender/transaction-worker.ts";
import { buildCheckedEvent } from "../../src/rooms/check-event.ts";
import { persistEvent } from "../../src/rooms/persist-event.ts";
import { withRoomWrite } from "../../src/rooms/room-write.ts";
import { sendLocalEvent } from "../../src/rooms/send-event.ts";
import { computeStateBefore } from "../../src/rooms/state-before.ts";
import { getCurrentStateIds } from "../../src/storage/rooms/current-state.ts";
import { getEvents } from "../../src/storage/rooms/events.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import { getRoom } from "../../src/storage/rooms/rooms.ts";

/** One PUT /send as the fake destination saw it. */
export interface Attempt {
  destination: string;
  txnId: string;
  body: JsonObject;
}

/** What the fake destination does with a request: answer, or throw (unreachable). */
export type Behaviour = (req: FederationRequest) => Promise<FederationResponse> | FederationResponse;

export const ok = (): FederationResponse => ({ status: 200, body: { pdus: {} }, headers: new Headers() });
export const status =
  (code: number, headers: Record<string, string> = {}): Behaviour =>
  () => ({ status: code, body: { errcode: "M_UNKNOWN", error: "test" }, headers: new Headers(headers) });
export const unreachable: Behaviour = (req) => {
  throw new FederationUnreachableError(req.destination, "partitioned (test)");
};

/**
 * A FederationClient standing in for remote servers: records every transaction attempt, answers as each
 * destination's behaviour says (200 by default), dedupes delivered transactions by id as a receiver
 * must, and tracks how many requests per destination were in flight at once.
 */
export class FakeFederationClient implements FederationClient {
  readonly attempts: Attempt[] = [];
  /** Transactions answered 200, first delivery of each id only. */
  readonly delivered = new Map<string, Attempt[]>();
  readonly maxInFlight = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly behaviours = new Map<string, Behaviour>();
  private waiters: Array<() => void> = [];

  behave(destination: string, behaviour: Behaviour | undefined): void {
    if (behaviour) this.behaviours.set(destination, behaviour);
    else this.behaviours.delete(destination);
  }

  async request(req: FederationRequest): Promise<FederationResponse> {
    const match = /^\/_matrix\/federation\/v1\/send\/([^/]+)$/.exec(req.path);
    const body =
      req.body ??
      (req.canonicalBody === undefined ? undefined : (parseJson(req.canonicalBody) as JsonObject));
    if (req.method !== "PUT" || !match || !body) throw new Error(`unexpected request ${req.path}`);
    const attempt = { destination: req.destination, txnId: decodeURIComponent(match[1]!), body };
    this.attempts.push(attempt);
    const n = (this.inFlight.get(req.destination) ?? 0) + 1;
    this.inFlight.set(req.destination, n);
    this.maxInFlight.set(req.destination, Math.max(n, this.maxInFlight.get(req.destination) ?? 0));
    try {
      const response = await (this.behaviours.get(req.destination) ?? ok)(req);
      if (response.status === 200) {
        const list = this.delivered.get(req.destination) ?? [];
        if (!list.some((a) => a.txnId === attempt.txnId)) list.push(attempt);
        this.delivered.set(req.destination, list);
      }
      return response;
    } finally {
      this.inFlight.set(req.destination, (this.inFlight.get(req.destination) ?? 1) - 1);
      this.notify();
    }
  }

  /** Bodies of delivered PDUs to the destination, in delivery order (`content.body` of messages). */
  deliveredBodies(destination: string): string[] {
    return this.deliveredPdus(destination).flatMap((p) =>
      isJsonObject(p.content) && typeof p.content.body === "string" ? [p.content.body] : [],
    );
  }

  deliveredPdus(destination: string): JsonObject[] {
    return (this.delivered.get(destination) ?? []).flatMap((a) =>
      (a.body.pdus as unknown[]).filter(isJsonObject),
    );
  }

  deliveredEdus(destination: string): JsonObject[] {
    return (this.delivered.get(destination) ?? []).flatMap((a) =>
      (a.body.edus as unknown[]).filter(isJsonObject),
    );
  }

  /** Resolves once `predicate` holds (checked after every answered request). */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (predicate()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A behaviour that holds every request until `release()`; `started` resolves when the first arrives. */
export function gate(then: Behaviour = ok): {
  behaviour: Behaviour;
  release(): void;
  started: Promise<void>;
} {
  let release!: () => void;
  let arrived!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (arrived = r));
  return {
    behaviour: async (req) => {
      arrived();
      await opened;
      return then(req);
    },
    release,
    started,
  };
}

/** A driver that never runs by itself: the test steps delivery with deliverOnce(deps, …). */
export function manualDriver(): { driver: (deps: WorkerDeps) => SenderDriver; deps: () => WorkerDeps } {
  let captured: WorkerDeps | undefined;
  return {
    driver: (deps) => {
      captured = deps;
      return {
        start: async () => undefined,
        wake: () => undefined,
        retryNow: () => undefined,
        settled: async () => undefined,
        stop: async () => undefined,
      };
    },
    deps: () => {
      if (!captured) throw new Error("the homeserver was not built with this driver");
      return captured;
    },
  };
}

/**
 * Stores a join of a remote user as if it had arrived over federation (signed by a made-up key of
 * its server, persisted directly, so no outbox rows): the room then has a remote member.
 */
export async function joinRemoteUser(ctx: HearthContext, roomId: string, userId: string): Promise<string> {
  const server = userId.slice(userId.indexOf(":") + 1);
  const key = signingKeyFromSeed("ed25519:test", randomBytes(32));
  return withRoomWrite(ctx, roomId, async (tx, position) => {
    const room = await getRoom(tx, roomId);
    const version = getRoomVersion(room!.roomVersion)!;
    const extremities = (await getForwardExtremities(tx, roomId)).map((e) => e.eventId);
    const before = await computeStateBefore(tx, roomId, version, extremities, extremities);
    const draft = { type: "m.room.member", stateKey: userId, content: { membership: "join" } };
    const authKeys = authTypesForEvent(version, {
      type: draft.type,
      sender: userId,
      state_key: userId,
      content: draft.content,
    }).map(([t, k]) => stateTupleKey(t, k));
    const ids = await getCurrentStateIds(tx, roomId);
    const wanted = [...authKeys, stateTupleKey("m.room.create", "")];
    const loaded = await getEvents(
      tx,
      wanted.flatMap((k) => (ids.get(k) === undefined ? [] : [ids.get(k)!])),
    );
    const authState = new Map<StateTupleKey, IdentifiedPdu>();
    for (const k of wanted) {
      const ev = loaded.get(ids.get(k) ?? "");
      if (ev) authState.set(k, ev.pdu);
    }
    const prevs = await getEvents(tx, extremities);
    const event = buildCheckedEvent(
      {
        version,
        roomId,
        sender: userId,
        draft,
        prevEvents: extremities.map((id) => prevs.get(id)!.pdu),
        authEvents: authKeys.flatMap((k) => (authState.has(k) ? [authState.get(k)!] : [])),
        originServerTs: ctx.clock(),
        serverName: server,
        key,
      },
      authState,
    );
    const outcome = await persistEvent(tx, {
      roomId,
      version,
      event,
      before,
      streamOrdering: position,
      extremities,
      now: ctx.clock(),
    });
    return { value: event.event_id, notify: { userIds: [userId, ...outcome.membershipUsers] } };
  });
}

export async function sendText(
  ctx: HearthContext,
  roomId: string,
  sender: string,
  body: string,
): Promise<string> {
  const result = await sendLocalEvent(ctx, {
    roomId,
    sender,
    draft: { type: "m.room.message", content: { msgtype: "m.text", body } },
  });
  return result.eventId;
}

export async function outboxCount(ctx: HearthContext, destination?: string): Promise<number> {
  let q = ctx.db.selectFrom("federation_outbox_pdus").select((eb) => eb.fn.countAll<string>().as("n"));
  if (destination !== undefined) q = q.where("destination", "=", destination);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** Short backoff so failure tests retry quickly (no test asserts a time). */
export const FAST_BACKOFF = { initialMs: 20, maxMs: 200 };
