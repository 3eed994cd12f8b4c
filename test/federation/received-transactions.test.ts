import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getReceivedTransaction,
  recordReceivedTransaction,
  RECEIVED_TXN_RETENTION_MS,
} from "../../src/storage/federation/received-transactions.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";

let hs: TestHomeserver;
beforeAll(async () => {
  hs = await startTestHomeserver();
});
afterAll(() => hs?.destroy());

describe("received federation transactions", () => {
  it("are remembered for a retry, and pruned once past the retention", async () => {
    const db = hs.ctx.db;
    const now = 1_800_000_000_000;
    await recordReceivedTransaction(db, {
      origin: "old.test",
      txnId: "t1",
      response: '{"pdus":{}}',
      receivedTs: now - RECEIVED_TXN_RETENTION_MS - 1,
    });
    await recordReceivedTransaction(db, {
      origin: "recent.test",
      txnId: "t2",
      response: '{"pdus":{"a":{}}}',
      receivedTs: now - 1000,
    });
    expect(await getReceivedTransaction(db, "old.test", "t1")).toBe('{"pdus":{}}');

    // The next transaction recorded prunes what is past the retention, and only that.
    await recordReceivedTransaction(db, {
      origin: "other.test",
      txnId: "t3",
      response: "{}",
      receivedTs: now,
    });
    expect(await getReceivedTransaction(db, "old.test", "t1")).toBeUndefined();
    expect(await getReceivedTransaction(db, "recent.test", "t2")).toBe('{"pdus":{"a":{}}}');
    expect(await getReceivedTransaction(db, "other.test", "t3")).toBe("{}");

    // A duplicate keeps the first answer.
    await recordReceivedTransaction(db, {
      origin: "other.test",
      txnId: "t3",
      response: '{"x":1}',
      receivedTs: now,
    });
    expect(await getReceivedTransaction(db, "other.test", "t3")).toBe("{}");
  });
});
