import type { FederationClient, Keyring } from "./contracts.ts";

/** The federation parts every instance carries on its context (the sender adds itself here). */
export interface FederationServices {
  client: FederationClient;
  keyring: Keyring;
}
