import { Counter, Gauge } from "prom-client";
import type { Metrics } from "../../http/metrics.ts";
import type { Db } from "../../storage/database.ts";
import { pendingPduCounts } from "../../storage/federation/outbox.ts";

export interface SenderMetrics {
  readonly transactions: Counter<"result">;
  readonly pdusSent: Counter;
}

/** The sender's metrics in the instance's registry; the outbox gauge reads the database when scraped. */
export function createSenderMetrics(metrics: Metrics, db: Db): SenderMetrics {
  new Gauge({
    name: "hearth_federation_outbox_pdus",
    help: "PDUs waiting for delivery, per destination",
    labelNames: ["destination"],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      try {
        for (const [destination, n] of await pendingPduCounts(db)) this.set({ destination }, n);
      } catch {
        // A scrape during shutdown (pool closed) reports nothing rather than failing the whole page.
      }
    },
  });
  return {
    transactions: new Counter({
      name: "hearth_federation_transactions_total",
      help: "Outbound federation transactions by result (sent, failed, dropped, rate_limited)",
      labelNames: ["result"],
      registers: [metrics.registry],
    }),
    pdusSent: new Counter({
      name: "hearth_federation_pdus_sent_total",
      help: "PDUs delivered in transactions answered with 200",
      registers: [metrics.registry],
    }),
  };
}
