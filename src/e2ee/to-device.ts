import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../core/json.ts";
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
  const local = localMessages(body.messages, ctx.serverName);
  await queueLocalToDevice(ctx, sender.userId, type, local, { deviceId: sender.deviceId, txnId });
}

/**
 * The `messages` map (`{userId: {deviceId or "*": content}}`) checked, with the messages for local
 * users picked out. Malformed maps are 400, a content over the size limit 413 M_TOO_LARGE.
 */
export function localMessages(messages: JsonValue | undefined, serverName: string): OutgoingToDevice[] {
  const byUser = userMap(messages, "messages");
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
      if (serverOfUserId(userId) === serverName) local.push({ userId, deviceId, content: json });
    }
  }
  return local;
}

/**
 * Queues messages for local devices at one to_device position and wakes the recipients' syncs. With
 * `txn` (a local sender's device and transaction id), a transaction already handled sends nothing.
 * Shared by sendToDevice and inbound m.direct_to_device EDUs.
 */
export async function queueLocalToDevice(
  ctx: Pick<HearthContext, "db" | "sync" | "clock">,
  sender: string,
  type: string,
  messages: readonly OutgoingToDevice[],
  txn?: { deviceId: string; txnId: string },
): Promise<void> {
  if (messages.length === 0 && !txn) return;
  await ctx.sync.toDevice.write(
    (position) =>
      ctx.db.transaction().execute(async (trx) => {
        if (txn && !(await claimToDeviceTxn(trx, sender, txn.deviceId, txn.txnId, ctx.clock()))) return [];
        return queueToDevice(trx, position, sender, type, messages);
      }),
    (recipients) => (recipients.length === 0 ? undefined : { userIds: recipients }),
  );
}
