import type { Db } from "../database.ts";

export interface StoredCrossSigningKey {
  userId: string;
  keyType: string;
  publicKey: string;
  keyJson: string;
}

export async function getCrossSigningKeys(
  db: Db,
  userIds: readonly string[],
): Promise<StoredCrossSigningKey[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom("e2e_cross_signing_keys")
    .select(["user_id", "key_type", "public_key", "key_json"])
    .where("user_id", "in", [...userIds])
    .execute();
  return rows.map((r) => ({
    userId: r.user_id,
    keyType: r.key_type,
    publicKey: r.public_key,
    keyJson: r.key_json,
  }));
}

export async function upsertCrossSigningKey(db: Db, key: StoredCrossSigningKey): Promise<void> {
  await db
    .insertInto("e2e_cross_signing_keys")
    .values({ user_id: key.userId, key_type: key.keyType, public_key: key.publicKey, key_json: key.keyJson })
    .onConflict((oc) =>
      oc.columns(["user_id", "key_type"]).doUpdateSet({ public_key: key.publicKey, key_json: key.keyJson }),
    )
    .execute();
}

export interface KeySignature {
  targetUserId: string;
  targetKeyId: string;
  signerUserId: string;
  signerKeyId: string;
  signature: string;
}

export async function upsertKeySignatures(db: Db, sigs: readonly KeySignature[]): Promise<void> {
  if (sigs.length === 0) return;
  await db
    .insertInto("e2e_key_signatures")
    .values(
      sigs.map((s) => ({
        target_user_id: s.targetUserId,
        target_key_id: s.targetKeyId,
        signer_user_id: s.signerUserId,
        signer_key_id: s.signerKeyId,
        signature: s.signature,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(["target_user_id", "target_key_id", "signer_user_id", "signer_key_id"])
        .doUpdateSet((eb) => ({ signature: eb.ref("excluded.signature") })),
    )
    .execute();
}

/**
 * Signatures on the keys of `targetUserIds` that `viewer` may see: the owners' own signatures and the
 * viewer's (a user-signing key's signature on someone else's master key is the signer's business).
 */
export async function visibleKeySignatures(
  db: Db,
  targetUserIds: readonly string[],
  viewer: string,
): Promise<KeySignature[]> {
  if (targetUserIds.length === 0) return [];
  const rows = await db
    .selectFrom("e2e_key_signatures")
    .selectAll()
    .where("target_user_id", "in", [...targetUserIds])
    .where((eb) =>
      eb.or([eb("signer_user_id", "=", eb.ref("target_user_id")), eb("signer_user_id", "=", viewer)]),
    )
    .execute();
  return rows.map((r) => ({
    targetUserId: r.target_user_id,
    targetKeyId: r.target_key_id,
    signerUserId: r.signer_user_id,
    signerKeyId: r.signer_key_id,
    signature: r.signature,
  }));
}
