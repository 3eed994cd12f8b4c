import type { FederationClient, Keyring } from "./contracts.ts";
import type { KeyResponseStore } from "./keyring/key-responses.ts";
import type { OutboundSender } from "./sender/sender.ts";

/** The federation parts every instance carries on its context. */
export interface FederationServices {
  client: FederationClient;
  keyring: Keyring;
  /** Other servers' key responses as we cached them, for the notary endpoints. */
  keyResponses: KeyResponseStore;
  /** Durable outbound delivery (the outbox, transactions, EDUs). */
  sender: OutboundSender;
}
