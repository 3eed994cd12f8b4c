import type { Db } from "../storage/database.ts";
import { maxDeviceListStreamId } from "../storage/e2ee/device-lists.ts";
import { maxToDeviceStreamId } from "../storage/e2ee/to-device.ts";
import { maxEventStreamOrdering } from "../storage/stream-positions.ts";
import { maxAccountDataStreamId } from "../storage/sync/account-data.ts";
import { maxPresenceStreamId } from "../storage/sync/presence.ts";
import { maxReceiptStreamId } from "../storage/sync/receipts.ts";
import { StreamTracker } from "./stream-tracker.ts";

/** One tracker per stream that has persisted positions, seeded from the database at start. */
export interface Streams {
  readonly events: StreamTracker;
  readonly account_data: StreamTracker;
  readonly receipts: StreamTracker;
  readonly presence: StreamTracker;
  readonly to_device: StreamTracker;
  readonly device_lists: StreamTracker;
}

export async function loadStreams(db: Db): Promise<Streams> {
  const [events, accountData, receipts, presence, toDevice, deviceLists] = await Promise.all([
    maxEventStreamOrdering(db),
    maxAccountDataStreamId(db),
    maxReceiptStreamId(db),
    maxPresenceStreamId(db),
    maxToDeviceStreamId(db),
    maxDeviceListStreamId(db),
  ]);
  return {
    events: new StreamTracker(events),
    account_data: new StreamTracker(accountData),
    receipts: new StreamTracker(receipts),
    presence: new StreamTracker(presence),
    to_device: new StreamTracker(toDevice),
    device_lists: new StreamTracker(deviceLists),
  };
}
