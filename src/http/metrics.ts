import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type pg from "pg";

/** Prometheus metrics of one instance: a registry of its own, so several instances can share a process. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"method" | "route">;

  constructor(pool?: pg.Pool) {
    collectDefaultMetrics({ register: this.registry, prefix: "hearth_" });
    this.httpRequests = new Counter({
      name: "hearth_http_requests_total",
      help: "HTTP requests answered, by route pattern and status",
      labelNames: ["method", "route", "status"],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: "hearth_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by route pattern",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    if (pool) {
      const poolGauge = (name: string, help: string, read: () => number): void => {
        new Gauge({
          name,
          help,
          registers: [this.registry],
          collect() {
            this.set(read());
          },
        });
      };
      poolGauge("hearth_db_pool_connections", "Open database connections", () => pool.totalCount);
      poolGauge("hearth_db_pool_idle", "Idle database connections", () => pool.idleCount);
      poolGauge(
        "hearth_db_pool_waiting",
        "Queries waiting for a database connection",
        () => pool.waitingCount,
      );
    }
  }
}
