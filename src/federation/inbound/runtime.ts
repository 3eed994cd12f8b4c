import { registerE2eeEdus } from "../../e2ee/federation-edus.ts";
import { EduDispatch } from "./edus.ts";
import { FairQueue } from "./fair-queue.ts";

/** How many inbound transactions (from different origins) are processed at once. */
const TRANSACTION_CONCURRENCY = 8;

/** Per-instance state of inbound federation. */
export interface InboundRuntime {
  /** Transactions, one per origin at a time, origins served round-robin. */
  readonly queue: FairQueue;
  /** Transactions being processed, by origin and txn id, so a retry waits for the first attempt. */
  readonly inFlight: Map<string, Promise<unknown>>;
  readonly edus: EduDispatch;
}

export function createInboundRuntime(): InboundRuntime {
  const edus = new EduDispatch();
  registerE2eeEdus(edus);
  return { queue: new FairQueue(TRANSACTION_CONCURRENCY), inFlight: new Map(), edus };
}
