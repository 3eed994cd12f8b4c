import type { FederationClient, Keyring } from "./contracts.ts";
import type { KeyResponseStore } from "./keyring/key-responses.ts";

/** The federation parts every instance carries on its context (the sender adds itself here). */
export interface FederationServices {
  client: FederationClient;
  keyring: Keyring;
  /** Other servers' key responses as we cached them, for the notary endpoints. */
  keyResponses: KeyResponseStore;
}
