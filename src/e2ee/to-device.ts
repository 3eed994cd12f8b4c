import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject } from "../core/json.ts";
import { badJson, MatrixError } from "../errors.ts";
import { claimToDeviceTxn, queueToDevice, type OutgoingToDevice } from "../storage/e2ee/to-device.ts";
import { serverOfUserId, userMap } from "./input.ts";

/**
 * Largest content of one to-device message, in bytes of its JSON. Matches the federation EDU budget
 * (a transaction is capped at about 64 KiB per EDU in practice) and is far above what olm-encrypted
 * room keys and verification messages need.
 */
export const MAX_TO_DEVICE_CONTENT_BYTES = 65_536;

type ToDeviceContext = Pick<HearthContext, "db" | "sync" | "serverName" | "clock">;

/**
 * PUT sendToDevice/{type}/{txnId}: queues each message for the named device, or for all of the user's
 * devices with "*". A txnId the sending device already used sends nothing again. Messages to devices
 * or users that do not exist are dropped; messages to remote users are dropped too until federation
 * carries m.direct_to_device.
 */
export async function sendToDevice(
  ctx: ToDeviceContext,
  sender: { userId: string; deviceId: string },
  type: string,
  txnId: string,
  body: JsonObject,
): Promise<void> {
  const byUser = userMap(body.messages, "messages");
  const local: OutgoingToDevice[] = [];
  for (const [userId, devices] of Object.entries(byUser)) {
    if (!isJsonObject(devices)) throw badJson(`'messages.${userId}' must be an object keyed by device ID`);
    for (const [deviceId, content] of Object.entries(devices)) {
      if (!isJsonObject(content)) throw badJson(`'messages.${userId}.${deviceId}' must be an object`);
      const json = JSON.stringify(content);
      if (Buffer.byteLength(json, "utf8") > MAX_TO_DEVICE_CONTENT_BYTES) {
        throw new MatrixError(
          413,
          "M_TOO_LARGE",
          `The message to ${userId} ${deviceId} exceeds ${MAX_TO_DEVICE_CONTENT_BYTES} bytes`,
        );
      }
      if (serverOfUserId(userId) === ctx.serverName) local.push({ userId, deviceId, content: json });
    }
  }
  await ctx.sync.toDevice.write(
    (position) =>
      ctx.db.transaction().execute(async (trx) => {
        if (!(await claimToDeviceTxn(trx, sender.userId, sender.deviceId, txnId, ctx.clock()))) return [];
        return queueToDevice(trx, position, sender.userId, type, local);
      }),
    (recipients) => (recipients.length === 0 ? undefined : { userIds: recipients }),
  );
}
