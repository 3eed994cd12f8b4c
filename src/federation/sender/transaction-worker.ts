import { encodeCanonicalJson, parseJson } from "../../core/canonical-json.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../core/json.ts";
import type { Db } from "../../storage/database.ts";
import { readDestinationWork, type DestinationWork } from "../../storage/federation/destination-work.ts";
import {
  finishTransaction,
  setRetry,
  startTransaction,
  type PendingTransaction,
} from "../../storage/federation/destinations.ts";
import { compactToLatest, hasMorePdusThan } from "../../storage/federation/outbox.ts";
import type { Logger } from "../../util/logger.ts";
import type { FederationClient } from "../contracts.ts";
import { backoffDelay, retryAfterMs, type BackoffPolicy } from "./backoff.ts";
import type { EphemeralEduQueue } from "./ephemeral-edus.ts";
import type { SenderMetrics } from "./sender-metrics.ts";

/** Spec limits of one transaction. */
export const MAX_PDUS_PER_TXN = 50;
export const MAX_EDUS_PER_TXN = 100;
/** A destination with more PDUs than this waiting gets only each room's latest events (catch-up). */
export const CATCH_UP_THRESHOLD = 100;

export type DeliveryOutcome =
  /** Nothing left to send. */
  | { kind: "idle" }
  /**
   * A transaction was answered (delivered or refused for good): look for the next one. `next`: the
   * destination's work as it stands after a delivery, read while the request was in flight, for the
   * next step to start from.
   */
  | { kind: "sent"; next?: DestinationWork }
  /** Not before `at` (backoff, Retry-After). */
  | { kind: "wait"; at: number };

export interface WorkerDeps {
  db: Db;
  log: Logger;
  clock: () => number;
  serverName: string;
  client: () => FederationClient;
  ephemeral: EphemeralEduQueue;
  metrics: SenderMetrics;
  backoff: BackoffPolicy;
  random: () => number;
  requestTimeoutMs: number;
}

/**
 * One step of delivery to one destination: resend the transaction in flight, or build the next one
 * from the outbox, and record the answer. The caller guarantees that only one step per destination runs
 * at a time (in-process: one loop per destination; several processes: a lock in Redis).
 */
export async function deliverOnce(
  deps: WorkerDeps,
  destination: string,
  force: boolean,
  /** What the previous step read ahead (its `next`); read afresh when absent or empty. */
  prefetched?: DestinationWork,
): Promise<DeliveryOutcome> {
  const now = deps.clock();
  const limits = { pdus: MAX_PDUS_PER_TXN, edus: MAX_EDUS_PER_TXN };
  let work =
    prefetched && (prefetched.pdus.length > 0 || prefetched.edus.length > 0)
      ? prefetched
      : await readDestinationWork(deps.db, destination, limits);
  const { state } = work;
  if (!force && state.retryAtTs !== null && state.retryAtTs > now)
    return { kind: "wait", at: state.retryAtTs };
  // Fell behind during an outage (also one that outlived a restart of ours): catch up first.
  if (state.failures > 0 && (await catchUpIfFarBehind(deps, destination, state.pending?.pdus ?? []))) {
    work = await readDestinationWork(deps.db, destination, limits);
  }
  const txn = state.pending ?? (await buildTransaction(deps, destination, now, work));
  if (!txn) return { kind: "idle" };

  let status: number;
  let responseBody: JsonValue | undefined;
  let headers: Headers;
  // The next transaction's rows, read while this one is in flight (without its own rows, which its
  // answer deletes): a delivery then goes straight on to building the next.
  const ahead = readDestinationWork(deps.db, destination, limits, { pdus: txn.pdus, edus: txn.edus }).catch(
    () => undefined,
  );
  try {
    const response = await deps.client().request({
      destination,
      method: "PUT",
      path: `/_matrix/federation/v1/send/${encodeURIComponent(txn.txnId)}`,
      canonicalBody: txn.body,
      timeoutMs: deps.requestTimeoutMs,
    });
    ({ status, body: responseBody, headers } = response);
  } catch (err) {
    return fail(deps, destination, state.failures, err);
  }

  if (status >= 200 && status < 300) {
    const next = await ahead;
    const at = deps.clock();
    // The next transaction is recorded by the statement that finishes this one.
    const parts = next && assembleTransaction(deps, destination, at, next);
    const started = await finishTransaction(
      deps.db,
      destination,
      txn,
      { now: at },
      parts && { ...parts, idPrefix: String(at) },
    );
    deps.metrics.transactions.inc({ result: "sent" });
    deps.metrics.pdusSent.inc(txn.pdus.length);
    logPduErrors(deps.log, destination, responseBody);
    // As the finish left it: no failures, no retry time, the next transaction (if any) in flight.
    return {
      kind: "sent",
      next: next && { ...next, state: { destination, failures: 0, retryAtTs: null, pending: started } },
    };
  }
  if (status === 429) {
    const wait = retryAfterMs(headers, responseBody, deps.clock());
    const at = deps.clock() + (wait ?? backoffDelay(deps.backoff, state.failures + 1, deps.random()));
    await setRetry(deps.db, destination, state.failures, at);
    deps.metrics.transactions.inc({ result: "rate_limited" });
    return { kind: "wait", at };
  }
  if (status >= 400 && status < 500) {
    // The same transaction would be refused again: holding it would block the destination forever.
    deps.log.warn(
      { destination, txnId: txn.txnId, status, body: responseBody, pdus: txn.pdus.length },
      "destination refused a transaction; dropping it",
    );
    await finishTransaction(deps.db, destination, txn, undefined);
    deps.metrics.transactions.inc({ result: "dropped" });
    return { kind: "sent" };
  }
  return fail(deps, destination, state.failures, new Error(`HTTP ${status}`));
}

async function fail(
  deps: WorkerDeps,
  destination: string,
  failures: number,
  err: unknown,
): Promise<DeliveryOutcome> {
  const at = deps.clock() + backoffDelay(deps.backoff, failures + 1, deps.random());
  deps.log.info(
    { destination, failures: failures + 1, retryInMs: at - deps.clock(), err: String(err) },
    "transaction failed; backing off",
  );
  await setRetry(deps.db, destination, failures + 1, at);
  deps.metrics.transactions.inc({ result: "failed" });
  return { kind: "wait", at };
}

/**
 * A destination that is down and more than CATCH_UP_THRESHOLD PDUs behind gets only each room's
 * latest events when it is back (the transaction in flight still goes first, unchanged). True when
 * queued PDUs were dropped.
 */
async function catchUpIfFarBehind(
  deps: WorkerDeps,
  destination: string,
  keep: readonly number[],
): Promise<boolean> {
  if (!(await hasMorePdusThan(deps.db, destination, CATCH_UP_THRESHOLD))) return false;
  const dropped = await compactToLatest(deps.db, destination, keep);
  if (dropped > 0) {
    deps.log.info(
      { destination, dropped },
      "destination far behind: it will get each room's latest events only",
    );
  }
  return dropped > 0;
}

/**
 * The next transaction from the outbox and the memory EDUs, stored as in flight before it is sent. Its
 * body is canonical JSON assembled around the stored PDU texts (already canonical), not re-encoded.
 */
async function buildTransaction(
  deps: WorkerDeps,
  destination: string,
  now: number,
  work: DestinationWork,
): Promise<PendingTransaction | undefined> {
  const parts = assembleTransaction(deps, destination, now, work);
  // The time keeps ids unique even if this database's counters were ever reset.
  return parts && startTransaction(deps.db, destination, String(now), parts);
}

/**
 * The body of the next transaction from the destination's work and the EDUs held in memory for it
 * (taken now: from here on they live in the stored transaction); undefined when there is nothing.
 */
function assembleTransaction(
  deps: WorkerDeps,
  destination: string,
  now: number,
  work: DestinationWork,
): Omit<PendingTransaction, "txnId"> | undefined {
  const { pdus, edus: durable } = work;
  const memoryRoom = MAX_EDUS_PER_TXN - durable.length;
  if (pdus.length === 0 && durable.length === 0 && !deps.ephemeral.has(destination)) return undefined;

  const edus: JsonObject[] = durable.map((e) => ({ edu_type: e.eduType, content: parseJson(e.content) }));
  for (const e of deps.ephemeral.take(destination, memoryRoom)) edus.push({ ...e });
  // `pdus` sorts after every other key, so it closes the object.
  const head = encodeCanonicalJson(
    { edus, origin: deps.serverName, origin_server_ts: now },
    { strict: false },
  );
  const texts = pdus.flatMap((p) => (p.pdu === undefined ? [] : [p.pdu]));
  return {
    body: `${head.slice(0, -1)},"pdus":[${texts.join(",")}]}`,
    pdus: pdus.map((p) => p.streamOrdering),
    edus: durable.map((e) => e.eduId),
  };
}

/** A 200 may still refuse single PDUs; nothing is retried for those, but they are worth a log line. */
function logPduErrors(log: Logger, destination: string, body: JsonValue | undefined): void {
  if (!isJsonObject(body) || !isJsonObject(body.pdus)) return;
  for (const [eventId, result] of Object.entries(body.pdus)) {
    if (isJsonObject(result) && result.error !== undefined) {
      log.info({ destination, eventId, error: result.error }, "destination rejected a PDU");
    }
  }
}
