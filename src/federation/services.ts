import type { FederationClient, Keyring } from "./contracts.ts";
import type { OutboundSender } from "./sender/sender.ts";

/** The federation parts every instance carries on its context. */
export interface FederationServices {
  client: FederationClient;
  keyring: Keyring;
  /** Durable outbound delivery (the outbox, transactions, EDUs). */
  sender: OutboundSender;
}
