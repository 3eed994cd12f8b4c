import type { FederationClient, Keyring } from "../contracts.ts";

/** What inbound handling needs of the transport: remote keys and requests back to the origin. */
export interface FederationPeers {
  readonly keyring: Keyring;
  readonly client: FederationClient;
}
