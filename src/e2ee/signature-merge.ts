import { isJsonObject, type JsonObject } from "../core/json.ts";
import type { KeySignature } from "../storage/e2ee/cross-signing.ts";

/** `key` with the extra signatures folded into its `signatures` map (the stored object is not changed). */
export function withSignatures(key: JsonObject, extra: readonly KeySignature[]): JsonObject {
  if (extra.length === 0) return key;
  const signatures: JsonObject = isJsonObject(key.signatures) ? { ...key.signatures } : {};
  for (const s of extra) {
    const existing = signatures[s.signerUserId];
    signatures[s.signerUserId] = {
      ...(isJsonObject(existing) ? existing : {}),
      [s.signerKeyId]: s.signature,
    };
  }
  return { ...key, signatures };
}

/** Groups signatures by `user\u0000keyId` of the key they sign. */
export function signaturesByTarget(sigs: readonly KeySignature[]): Map<string, KeySignature[]> {
  const out = new Map<string, KeySignature[]>();
  for (const s of sigs) {
    const k = `${s.targetUserId}\u0000${s.targetKeyId}`;
    const list = out.get(k);
    if (list) list.push(s);
    else out.set(k, [s]);
  }
  return out;
}
