import type { HearthConfig } from "../config/schema.ts";
import type { ServerKeys } from "../keys/signing-key-file.ts";
import type { Db } from "../storage/database.ts";
import type { Logger } from "../util/logger.ts";
import { createFederationClient } from "./client/federation-client.ts";
import { createProductionTransport } from "./client/production-transport.ts";
import type { FederationTransport } from "./client/transport.ts";
import { directKeySource } from "./keyring/direct-source.ts";
import { createKeyResponseStore } from "./keyring/key-responses.ts";
import { notaryKeySource } from "./keyring/notary-source.ts";
import { ServerKeyring } from "./keyring/keyring.ts";
import type { FederationServices } from "./services.ts";

export interface FederationServicesDeps {
  config: HearthConfig;
  keys: ServerKeys;
  db: Db;
  clock: () => number;
  log: Logger;
  /** Delivery of outbound requests; HTTPS with undici when not given (tests pass an in-process one). */
  transport?: FederationTransport;
}

/** The client and keyring of one instance (the sender joins them later), and how to release the client's connections. */
export async function createFederationServices(
  deps: FederationServicesDeps,
): Promise<{ services: Omit<FederationServices, "sender">; close(): Promise<void> }> {
  const serverName = deps.config.server_name;
  const transport = deps.transport ?? (await createProductionTransport(deps.config, deps.clock));
  const client = createFederationClient({ serverName, signingKey: () => deps.keys.current, transport });
  const keyring: ServerKeyring = new ServerKeyring({
    serverName,
    ownKeys: deps.keys,
    db: deps.db,
    clock: deps.clock,
    log: deps.log,
    sources: [
      directKeySource(client, deps.clock),
      ...deps.config.federation.trusted_key_servers.map((notary) =>
        notaryKeySource(notary, {
          client,
          clock: deps.clock,
          verifyNotarySignature: (server, obj, atTs): Promise<void> =>
            keyring.verifyServerSignature(server, obj, atTs),
        }),
      ),
    ],
  });
  const keyResponses = createKeyResponseStore({
    serverName,
    ownKeys: deps.keys,
    db: deps.db,
    clock: deps.clock,
    refresh: (server, minimumValidUntilTs) => keyring.refresh(server, minimumValidUntilTs),
  });
  return {
    services: { client, keyring, keyResponses },
    close: async () => {
      await transport.close?.();
    },
  };
}
