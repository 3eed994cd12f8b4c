import type { UiaSpec } from "../accounts/uia.ts";
import type { HearthContext } from "../context.ts";
import { encodeCanonicalJson } from "../core/canonical-json.ts";
import { crossSigningKeyCheck, signedBy, type CrossSigningKeyType } from "../core/e2ee-keys.ts";
import type { JsonObject } from "../core/json.ts";
import { invalidParam } from "../errors.ts";
import { getCrossSigningKeys, upsertCrossSigningKey } from "../storage/e2ee/cross-signing.ts";
import { recordDeviceListChange } from "./device-lists.ts";

const TYPES: readonly CrossSigningKeyType[] = ["master", "self_signing", "user_signing"];

interface ParsedKey {
  type: CrossSigningKeyType;
  publicKey: string;
  key: JsonObject;
}

/**
 * POST keys/device_signing/upload. Each given key must be well formed and for the requester; the
 * self-signing and user-signing keys must be signed by the master key (the new one, or the stored one
 * when no master key comes with them). User-interactive auth (`authorise`) is asked for unless this is
 * the user's first master key or an identical re-upload (spec v1.11), since replacing cross-signing
 * keys resets the trust others placed in the user.
 */
export async function uploadSigningKeys(
  ctx: Pick<HearthContext, "db" | "sync" | "serverName" | "federation" | "log">,
  userId: string,
  body: JsonObject,
  authorise: () => Promise<unknown>,
): Promise<void> {
  const given: ParsedKey[] = [];
  for (const type of TYPES) {
    const value = body[`${type}_key`];
    if (value === undefined || value === null) continue;
    const checked = crossSigningKeyCheck(value, type, userId);
    if ("problem" in checked) throw invalidParam(checked.problem);
    given.push({ type, publicKey: checked.publicKey, key: value as JsonObject });
  }
  const stored = await getCrossSigningKeys(ctx.db, [userId]);
  const storedMaster = stored.find((k) => k.keyType === "master");
  const master = given.find((k) => k.type === "master")?.publicKey ?? storedMaster?.publicKey;
  for (const k of given) {
    if (k.type === "master") continue;
    if (master === undefined)
      throw invalidParam(`'${k.type}_key' needs a master key to be signed by; upload one`);
    if (!signedBy(k.key, userId, master))
      throw invalidParam(`'${k.type}_key' is not signed by the master key`);
  }
  if (given.length === 0) return;
  const identical = given.every(
    (k) =>
      stored.find((s) => s.keyType === k.type)?.keyJson ===
      JSON.stringify(JSON.parse(encodeCanonicalJson(k.key))),
  );
  if (storedMaster !== undefined && !identical) await authorise();
  if (identical) return;
  await ctx.db.transaction().execute(async (trx) => {
    for (const k of given) {
      await upsertCrossSigningKey(trx, {
        userId,
        keyType: k.type,
        publicKey: k.publicKey,
        keyJson: JSON.stringify(JSON.parse(encodeCanonicalJson(k.key))),
      });
    }
  });
  await recordDeviceListChange(ctx, userId, [null]);
}

/** The UIA an upload asks for when it replaces existing cross-signing keys. */
export function signingKeysUia(userId: string, ip: string | null): UiaSpec {
  return { action: "device_signing_upload", flows: [["m.login.password"]], userId, ip };
}
