import { parsePowerLevels, userPowerLevel } from "../core/power-levels.ts";
import { domainOf } from "../core/auth/identifiers.ts";
import type { JsonObject } from "../core/json.ts";
import type { HearthContext } from "../context.ts";
import { forbidden } from "../errors.ts";
import type { TxnScope } from "../storage/rooms/txn-ids.ts";
import type { EventDraft } from "./build-event.ts";
import { sendLocalEvent, type SendResult } from "./send-event.ts";

export interface RedactRequest {
  roomId: string;
  sender: string;
  targetId: string;
  /** The client's content (reason, anything else); `redacts` is set here. */
  content: JsonObject;
  txn?: { scope: TxnScope; requestHash: Buffer };
  /** Server admins may redact events of users on their server (client-server redaction API). */
  senderIsAdmin?: boolean;
}

/**
 * Sends an m.room.redaction (PUT /redact, or PUT /send with that type): v11+ names the target in
 * content, older versions at the top level. The auth rules no longer check redactions (v3+), but the
 * client API does: redacting someone else's event needs the `redact` level.
 */
export async function sendRedaction(ctx: HearthContext, req: RedactRequest): Promise<SendResult> {
  const placeholder: EventDraft = { type: "m.room.redaction", content: req.content };
  return sendLocalEvent(ctx, {
    roomId: req.roomId,
    sender: req.sender,
    draft: placeholder,
    txn: req.txn,
    prepare: async (view) => {
      const target = await view.event(req.targetId);
      if (target && target.roomId === view.roomId && target.pdu.sender !== req.sender) {
        const pl = await view.stateEvent("m.room.power_levels", "");
        const level = userPowerLevel(view.version, req.sender, pl, view.createEvent);
        const adminOverride = req.senderIsAdmin === true && domainOf(target.pdu.sender) === ctx.serverName;
        if (level < parsePowerLevels(pl?.content, view.version).redact && !adminOverride) {
          throw forbidden("You don't have permission to redact events sent by others");
        }
      }
      if (view.version.updatedRedactionRules) {
        return { draft: { type: "m.room.redaction", content: { ...req.content, redacts: req.targetId } } };
      }
      const { redacts: _ignored, ...content } = req.content;
      return { draft: { type: "m.room.redaction", content, redacts: req.targetId } };
    },
  });
}
