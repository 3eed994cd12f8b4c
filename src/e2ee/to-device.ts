import { randomUUID } from "node:crypto";
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

type ToDeviceContext = Pick<HearthContext, "db" | "sync" | "serverName" | "clock" | "federation" | "log">;

/**
 * PUT sendToDevice/{type}/{txnId}: queues each message for the named local device, or for all of the
 * user's devices with "*"; messages for remote users go to their servers as one m.direct_to_device EDU
 * per server (durable, in order). A txnId the sending device already used sends nothing again.
 * Messages to local devices or users that do not exist are dropped.
 */
export async function sendToDevice(
  ctx: ToDeviceContext,
  sender: { userId: string; deviceId: string },
  type: string,
  txnId: string,
  body: JsonObject,
): Promise<void> {
  const { local, remote } = parseMessages(body.messages, ctx.serverName);
  const txn = { deviceId: sender.deviceId, txnId };
  if (!(await queueLocalToDevice(ctx, sender.userId, type, local, txn))) return;
  for (const [server, messages] of remote) {
    const content: JsonObject = { sender: sender.userId, type, message_id: randomUUID(), messages };
    try {
      await ctx.federation.sender.queueEdu(server, "m.direct_to_device", content);
    } catch (err) {
      ctx.log.warn({ err, server }, "could not queue to-device messages for another server");
    }
  }
}

/** The messages for local users in a `messages` map (see parseMessages). */
export function localMessages(messages: JsonValue | undefined, serverName: string): OutgoingToDevice[] {
  return parseMessages(messages, serverName).local;
}

/**
 * The `messages` map (`{userId: {deviceId or "*": content}}`) checked and split: messages for local
 * users, and per remote server the part of the map for its users. Malformed maps are 400, a content
 * over the size limit 413 M_TOO_LARGE.
 */
function parseMessages(
  messages: JsonValue | undefined,
  serverName: string,
): { local: OutgoingToDevice[]; remote: Map<string, JsonObject> } {
  const byUser = userMap(messages, "messages");
  const local: OutgoingToDevice[] = [];
  const remote = new Map<string, JsonObject>();
  for (const [userId, devices] of Object.entries(byUser)) {
    if (!isJsonObject(devices)) throw badJson(`'messages.${userId}' must be an object keyed by device ID`);
    const server = serverOfUserId(userId) as string;
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
      if (server === serverName) {
        local.push({ userId, deviceId, content: json });
      } else {
        let forServer = remote.get(server);
        if (!forServer) remote.set(server, (forServer = {}));
        ((forServer[userId] ??= {}) as JsonObject)[deviceId] = content;
      }
    }
  }
  return { local, remote };
}

/**
 * Queues messages for local devices at one to_device position and wakes the recipients' syncs. With
 * `txn` (a local sender's device and transaction id), a transaction already handled sends nothing
 * (and false is returned). Shared by sendToDevice and inbound m.direct_to_device EDUs.
 */
export async function queueLocalToDevice(
  ctx: Pick<HearthContext, "db" | "sync" | "clock">,
  sender: string,
  type: string,
  messages: readonly OutgoingToDevice[],
  txn?: { deviceId: string; txnId: string },
): Promise<boolean> {
  if (messages.length === 0 && !txn) return true;
  let fresh = true;
  await ctx.sync.toDevice.write(
    (position) =>
      ctx.db.transaction().execute(async (trx) => {
        if (txn && !(await claimToDeviceTxn(trx, sender, txn.deviceId, txn.txnId, ctx.clock()))) {
          fresh = false;
          return [];
        }
        return queueToDevice(trx, position, sender, type, messages);
      }),
    (recipients) => (recipients.length === 0 ? undefined : { userIds: recipients }),
  );
  return fresh;
}
