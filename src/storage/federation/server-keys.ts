import type { ServerKeyRecord } from "../../federation/keyring/key-response.ts";
import type { Db } from "../database.ts";

function toRecord(row: {
  server_name: string;
  key_id: string;
  public_key: string;
  valid_until_ts: string;
  expired_ts: string | null;
  fetched_ts: string;
}): ServerKeyRecord {
  const record: ServerKeyRecord = {
    serverName: row.server_name,
    keyId: row.key_id,
    publicKey: row.public_key,
    validUntilTs: Number(row.valid_until_ts),
    fetchedTs: Number(row.fetched_ts),
  };
  if (row.expired_ts !== null) record.expiredTs = Number(row.expired_ts);
  return record;
}

/** Every stored key of `serverName`. */
export async function loadServerKeys(db: Db, serverName: string): Promise<ServerKeyRecord[]> {
  const rows = await db
    .selectFrom("server_keys")
    .select(["server_name", "key_id", "public_key", "valid_until_ts", "expired_ts", "fetched_ts"])
    .where("server_name", "=", serverName)
    .execute();
  return rows.map(toRecord);
}

/**
 * Stores the keys of one response, replacing older rows for the same keys. A key seen again as old
 * keeps its expiry; a response older than what is stored never overwrites it.
 */
export async function storeServerKeys(
  db: Db,
  keys: readonly ServerKeyRecord[],
  responseJson: string,
): Promise<void> {
  if (keys.length === 0) return;
  await db
    .insertInto("server_keys")
    .values(
      keys.map((k) => ({
        server_name: k.serverName,
        key_id: k.keyId,
        public_key: k.publicKey,
        valid_until_ts: k.validUntilTs,
        expired_ts: k.expiredTs ?? null,
        fetched_ts: k.fetchedTs,
        response_json: responseJson,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(["server_name", "key_id"])
        .doUpdateSet((eb) => ({
          public_key: eb.ref("excluded.public_key"),
          valid_until_ts: eb.ref("excluded.valid_until_ts"),
          expired_ts: eb.ref("excluded.expired_ts"),
          fetched_ts: eb.ref("excluded.fetched_ts"),
          response_json: eb.ref("excluded.response_json"),
        }))
        .where("server_keys.valid_until_ts", "<=", (eb) => eb.ref("excluded.valid_until_ts")),
    )
    .execute();
}

/** The distinct stored key responses of `serverName`, newest first, for notary answers. */
export async function loadServerKeyResponses(
  db: Db,
  serverName: string,
): Promise<{ responseJson: string; validUntilTs: number }[]> {
  const rows = await db
    .selectFrom("server_keys")
    .select(["response_json", "valid_until_ts"])
    .distinct()
    .where("server_name", "=", serverName)
    .orderBy("valid_until_ts", "desc")
    .execute();
  return rows.map((r) => ({ responseJson: r.response_json, validUntilTs: Number(r.valid_until_ts) }));
}
