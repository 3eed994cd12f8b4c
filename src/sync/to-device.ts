import type { HearthContext } from "../context.ts";
import type { JsonObject } from "../core/json.ts";
import { deleteDelivered, readInbox } from "../storage/e2ee/to-device.ts";
import type { SyncRequest } from "./sync-request.ts";
import type { SyncToken } from "./tokens.ts";

/** Messages per sync; the rest follow on the next one (the token then stops at the last one sent). */
export const TO_DEVICE_LIMIT = 100;

export interface ToDeviceSection {
  events: JsonObject[];
  /** The to_device position for next_batch: upTo, or the last message sent when more are waiting. */
  position: number;
}

/**
 * `to_device.events` for the syncing device. Syncing with `since` acknowledges everything up to its
 * to_device position, which is deleted; what follows is sent (again, if the client never acknowledged
 * it: at-least-once, in order).
 */
export async function toDeviceSection(
  ctx: Pick<HearthContext, "db" | "sync">,
  req: SyncRequest,
  upTo: SyncToken,
): Promise<ToDeviceSection> {
  const after = req.since?.to_device ?? 0;
  // Most syncs neither acknowledge anything new nor have messages waiting: no query for either. What
  // this process already deleted is remembered per device; another process simply deletes again.
  const device = `${req.userId}|${req.deviceId}`;
  const acked = ctx.sync.toDeviceAcked;
  if (req.since && (acked.get(device) ?? -1) < after) {
    await deleteDelivered(ctx.db, req.userId, req.deviceId, after);
    acked.set(device, after);
  }
  const messages =
    upTo.to_device > after
      ? await readInbox(ctx.db, req.userId, req.deviceId, after, upTo.to_device, TO_DEVICE_LIMIT)
      : [];
  const last = messages.at(-1);
  return {
    events: messages.map((m) => ({
      sender: m.sender,
      type: m.type,
      content: JSON.parse(m.content) as JsonObject,
    })),
    position: messages.length === TO_DEVICE_LIMIT && last ? last.streamId : upTo.to_device,
  };
}
