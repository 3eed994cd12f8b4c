import type { AuthContext } from "./context.ts";
import { domainOf } from "./identifiers.ts";
import { ALLOW, deny, type AuthResult } from "./result.ts";

/**
 * v1–v2 rule 11: a redaction is allowed for senders at the redact level, or when the redacted event's
 * id has the redaction's own event id domain (v1/v2 event ids carry the origin server). From v3 the
 * rules no longer look at redactions; receivers check them when applying (v3-handling-redactions).
 */
export function checkRedactionV1(ctx: AuthContext, senderLevel: number): AuthResult {
  const redacts = ctx.event.redacts;
  // `redacts` is mandatory in the v1 event format; without it there is nothing to authorise.
  if (typeof redacts !== "string" || !redacts.startsWith("$"))
    return deny("m.room.redaction has no valid redacts");
  if (senderLevel >= ctx.powerLevels.redact) return ALLOW;
  const target = domainOf(redacts);
  if (target !== undefined && target === domainOf(ctx.event.event_id)) return ALLOW;
  return deny("sender's power level is below the redact level and the redacted event is from another server");
}
