/**
 * matrix-js-sdk 37 clients running the Rust crypto (WASM, in-memory store), for the end-to-end
 * encryption proofs on one Hearth and across two.
 */
import {
  ClientEvent,
  createClient,
  MatrixEventEvent,
  type MatrixClient,
  type MatrixEvent,
} from "matrix-js-sdk";
// matrix-js-sdk's own dependency (its Rust crypto); imported only to quieten its logging.
import { LoggerLevel, Tracing } from "@matrix-org/matrix-sdk-crypto-wasm";
import { quietLogger, ResumableStore, startSyncing, until } from "./js-sdk.ts";

/** A syncing client with Rust crypto for an existing session; pushed onto `clients` to be stopped. */
export async function cryptoClient(
  baseUrl: string,
  session: { userId: string; deviceId: string; accessToken: string },
  clients: MatrixClient[],
): Promise<MatrixClient> {
  const client = createClient({
    baseUrl,
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
    store: new ResumableStore(),
    logger: quietLogger,
  });
  clients.push(client);
  await client.initRustCrypto({ useIndexedDB: false });
  // initRustCrypto turns the WASM's tracing on at debug level, printing to the console; errors only.
  new Tracing(LoggerLevel.Error).turnOn();
  await startSyncing(client, { initialSyncLimit: 20 });
  return client;
}

const DECRYPTED = [MatrixEventEvent.Decrypted as string, ClientEvent.Event as string];

/** Waits until `client` holds the event decrypted to the given body. */
export function decrypts(
  client: MatrixClient,
  roomId: string,
  eventId: string,
  body: string,
): Promise<MatrixEvent> {
  return until(
    client,
    `${eventId} to decrypt to "${body}"`,
    () => {
      const event = client.getRoom(roomId)?.findEventById(eventId);
      return event && !event.isDecryptionFailure() && event.getContent().body === body ? event : undefined;
    },
    { also: DECRYPTED, timeoutMs: 20_000 },
  );
}
