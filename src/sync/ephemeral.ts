import type { JsonObject } from "../core/json.ts";
import type { ReceiptRow } from "../storage/sync/receipts.ts";
import { allowsRoomEvent, type RoomEventFilter } from "./filter.ts";
import { receiptContent } from "./receipts.ts";
import type { TypingTracker } from "./typing.ts";

export interface EphemeralRequest {
  roomId: string;
  /** The client's typing position; undefined on initial sync. */
  sinceTyping?: number;
  /** Receipt changes of this room in the sync's window (all current receipts on initial sync). */
  receipts: readonly ReceiptRow[];
  filter: RoomEventFilter;
}

/**
 * A room's `ephemeral.events`: m.typing with the full current set when it changed since the client's
 * token (on initial sync, when anyone is typing), and one m.receipt with the receipt changes.
 */
export function ephemeralEvents(typing: TypingTracker, req: EphemeralRequest): JsonObject[] {
  const out: JsonObject[] = [];
  const allows = (type: string) => allowsRoomEvent(req.filter, { type, roomId: req.roomId });
  if (allows("m.typing")) {
    const users = typing.typingUsers(req.roomId);
    const changed =
      req.sinceTyping === undefined ? users.length > 0 : typing.changedSince(req.roomId, req.sinceTyping);
    if (changed) out.push({ type: "m.typing", content: { user_ids: users } });
  }
  if (req.receipts.length > 0 && allows("m.receipt")) {
    out.push({ type: "m.receipt", content: receiptContent(req.receipts) });
  }
  return out;
}
