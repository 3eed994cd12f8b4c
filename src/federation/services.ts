import type { OutboundSender } from "./sender/sender.ts";

/** The federation parts of one instance. */
export interface FederationServices {
  /** Durable outbound delivery (the outbox, transactions, EDUs). */
  readonly sender: OutboundSender;
}
