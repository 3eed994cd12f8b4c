import type { HearthContext } from "../context.ts";
import { encodeCanonicalJson } from "../core/canonical-json.ts";
import { signaturesProblem } from "../core/e2ee-keys.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { verifyJsonSignature, withoutSignaturesAndUnsigned } from "../core/signing.ts";
import {
  getCrossSigningKeys,
  upsertKeySignatures,
  type KeySignature,
} from "../storage/e2ee/cross-signing.ts";
import { queryDeviceKeys } from "../storage/e2ee/device-keys.ts";
import { recordDeviceListChange } from "./device-lists.ts";
import { serverOfUserId, userMap } from "./input.ts";

type SignatureContext = Pick<HearthContext, "db" | "sync" | "serverName" | "federation" | "log">;

interface Target {
  /** The stored key the upload must match (minus signatures). */
  stored: JsonObject;
  /** Key ids of the requester's keys allowed to sign it, with their public keys. */
  signers: Map<string, string>;
  /** For the device list change: the device id, or null for a cross-signing key. */
  deviceId: string | null;
}

const failure = (errcode: string, error: string): JsonObject => ({ errcode, error });
const signedPart = (obj: JsonObject): string => encodeCanonicalJson(withoutSignaturesAndUnsigned(obj));

function publicKeyOf(keyJson: string | undefined): string | undefined {
  if (keyJson === undefined) return undefined;
  const keys = (JSON.parse(keyJson) as JsonObject).keys;
  const first = isJsonObject(keys) ? Object.values(keys)[0] : undefined;
  return typeof first === "string" ? first : undefined;
}

/**
 * POST keys/signatures/upload: signatures by the requester's keys on their own devices (by the
 * self-signing key), their own master key (by one of their devices) and other users' master keys (by
 * their user-signing key). Each is verified against the stored key before it is kept; what cannot be
 * verified is reported per key in `failures`, and the rest is stored.
 */
export async function uploadSignatures(
  ctx: SignatureContext,
  requester: string,
  body: JsonObject,
): Promise<JsonObject> {
  const byUser = userMap(body, "body");
  const users = Object.keys(byUser).filter((u) => serverOfUserId(u) === ctx.serverName);
  const [crossSigning, ownDevices] = await Promise.all([
    getCrossSigningKeys(ctx.db, [...new Set([requester, ...users])]),
    queryDeviceKeys(ctx.db, new Map([[requester, []]])),
  ]);
  const csKey = (userId: string, type: string): string | undefined =>
    crossSigning.find((k) => k.userId === userId && k.keyType === type)?.keyJson;
  const selfSigning = publicKeyOf(csKey(requester, "self_signing"));
  const userSigning = publicKeyOf(csKey(requester, "user_signing"));
  const deviceSigners = new Map<string, string>();
  for (const d of ownDevices) {
    const key = (JSON.parse(d.keyJson) as JsonObject).keys;
    const ed = isJsonObject(key) ? key[`ed25519:${d.deviceId}`] : undefined;
    if (typeof ed === "string") deviceSigners.set(`ed25519:${d.deviceId}`, ed);
  }

  const failures: Record<string, JsonObject> = {};
  const accepted: KeySignature[] = [];
  const changed = new Map<string, Set<string | null>>();
  for (const [userId, keys] of Object.entries(byUser)) {
    if (!isJsonObject(keys)) {
      failures[userId] = { "*": failure("M_BAD_JSON", "Expected an object keyed by key ID") };
      continue;
    }
    const otherDevices =
      userId === requester
        ? ownDevices
        : await queryDeviceKeys(ctx.db, new Map([[userId, Object.keys(keys)]]));
    for (const [keyId, signed] of Object.entries(keys)) {
      const fail = (errcode: string, error: string): void => {
        (failures[userId] ??= {})[keyId] = failure(errcode, error);
      };
      if (!isJsonObject(signed) || signaturesProblem(signed.signatures) !== undefined) {
        fail("M_BAD_JSON", "Expected a signed key object with a 'signatures' map");
        continue;
      }
      const target = findTarget(userId, keyId, requester, {
        master: csKey(userId, "master"),
        device: otherDevices.find((d) => d.userId === userId && d.deviceId === keyId)?.keyJson,
        selfSigning,
        userSigning,
        deviceSigners,
      });
      if (!target) {
        fail("M_NOT_FOUND", "No such key, or not one the requester may sign");
        continue;
      }
      if (signedPart(signed) !== signedPart(target.stored)) {
        fail("M_INVALID_SIGNATURE", "The signed object does not match the stored key");
        continue;
      }
      const mine = (signed.signatures as JsonObject)[requester];
      const good = Object.entries(isJsonObject(mine) ? mine : {}).filter(([signerKeyId]) => {
        const pub = target.signers.get(signerKeyId);
        return pub !== undefined && verifyJsonSignature(signed, requester, signerKeyId, pub);
      });
      if (good.length === 0) {
        fail("M_INVALID_SIGNATURE", "No valid signature by a key of the requester that may sign this key");
        continue;
      }
      const targetKeyId = target.deviceId ?? keyId;
      for (const [signerKeyId, signature] of good) {
        accepted.push({
          targetUserId: userId,
          targetKeyId,
          signerUserId: requester,
          signerKeyId,
          signature: signature as string,
        });
      }
      let set = changed.get(userId);
      if (!set) changed.set(userId, (set = new Set()));
      set.add(target.deviceId);
    }
  }
  await upsertKeySignatures(ctx.db, accepted);
  for (const [userId, devices] of changed) await recordDeviceListChange(ctx, userId, [...devices]);
  return { failures };
}

function findTarget(
  userId: string,
  keyId: string,
  requester: string,
  known: {
    master: string | undefined;
    device: string | undefined;
    selfSigning: string | undefined;
    userSigning: string | undefined;
    deviceSigners: Map<string, string>;
  },
): Target | undefined {
  const masterPub = publicKeyOf(known.master);
  if (known.master !== undefined && keyId === masterPub) {
    // Own master key: signed by a device. Someone else's: by the requester's user-signing key.
    const signers =
      userId === requester
        ? known.deviceSigners
        : new Map(
            known.userSigning === undefined ? [] : [[`ed25519:${known.userSigning}`, known.userSigning]],
          );
    return { stored: JSON.parse(known.master) as JsonObject, signers, deviceId: null };
  }
  if (userId === requester && known.device !== undefined && known.selfSigning !== undefined) {
    const signers = new Map([[`ed25519:${known.selfSigning}`, known.selfSigning]]);
    return { stored: JSON.parse(known.device) as JsonObject, signers, deviceId: keyId };
  }
  return undefined;
}
