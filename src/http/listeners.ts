import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { ListenerConfig } from "../config/schema.ts";
import type { HearthApp } from "./types.ts";

export interface RunningListener {
  readonly config: ListenerConfig;
  readonly server: Server;
  /** The bound port (differs from the configured one when that was 0). */
  readonly port: number;
  readonly url: string;
}

export async function startListener(config: ListenerConfig, app: HearthApp): Promise<RunningListener> {
  const server = (
    config.tls
      ? createAdaptorServer({
          fetch: app.fetch,
          createServer: createHttpsServer,
          serverOptions: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) },
        })
      : createAdaptorServer({ fetch: app.fetch })
  ) as Server;
  // Long enough for /sync long-polls behind a proxy, short enough to shed dead keep-alive sockets.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.bind, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.bind.includes(":") ? `[${config.bind}]` : config.bind;
  return { config, server, port, url: `${config.tls ? "https" : "http"}://${host}:${port}` };
}

/** Stops accepting, lets in-flight requests finish, then cuts whatever is left after `graceMs`. */
export async function stopListener(listener: RunningListener, graceMs: number): Promise<void> {
  const { server } = listener;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive sockets that finish their request after close() would otherwise linger until their
  // idle timeout; sweep them as they go idle.
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  server.closeIdleConnections();
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
