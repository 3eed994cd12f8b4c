/**
 * Two homeservers named `localhost:PORT` on real TLS sockets, with the production transport (undici,
 * discovery, certificate checks against trusted_ca_files, address policy): keys fetched over TLS and
 * a signed request verified by the other side.
 */
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HearthConfig } from "../../src/config/schema.ts";
import { signJson } from "../../src/core/signing.ts";
import { createFederationClient } from "../../src/federation/client/federation-client.ts";
import { createFederationAgent } from "../../src/federation/client/agent.ts";
import { createProductionTransport } from "../../src/federation/client/production-transport.ts";
import { createUndiciTransport } from "../../src/federation/client/undici-transport.ts";
import { createServerResolver } from "../../src/federation/discovery/resolver.ts";
import { createWellKnownFetcher } from "../../src/federation/discovery/well-known-fetch.ts";
import { AddressPolicy } from "../../src/util/address-policy.ts";
import type { FederationTransport } from "../../src/federation/client/transport.ts";
import { FederationUnreachableError } from "../../src/federation/contracts.ts";
import { requireServerAuth } from "../../src/federation/request-auth.ts";
import { createHomeserver, type Homeserver } from "../../src/homeserver.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { startListener, stopListener, type RunningListener } from "../../src/http/listeners.ts";
import type { HearthEnv } from "../../src/http/types.ts";
import { dropSchema } from "../support/database.ts";
import { testConfig } from "../support/homeserver.ts";
import { freePort, writeSelfSignedCertificate, type TestCertificate } from "../support/tls.ts";

let hs1: Homeserver;
let hs2: Homeserver;
let hs2Listener: RunningListener;
let name1: string;
let name2: string;
let certs: TestCertificate[];
const configs: HearthConfig[] = [];
const transports: FederationTransport[] = [];

beforeAll(async () => {
  const [port1, port2] = [await freePort(), await freePort()];
  name1 = `localhost:${port1}`;
  name2 = `localhost:${port2}`;
  const bases = [await testConfig(), await testConfig()];
  // Distinct subjects: OpenSSL looks trusted certificates up by subject name, so two self-signed
  // "CN=localhost" certificates would shadow each other.
  certs = await Promise.all(
    bases.map((b, i) => writeSelfSignedCertificate(b.data_dir, [`hearth-e2e-${i}.test`])),
  );
  const trusted = certs.map((c) => c.certFile);
  const make = async (i: number, name: string, port: number): Promise<HearthConfig> =>
    testConfig({
      server_name: name,
      data_dir: bases[i]!.data_dir,
      database: bases[i]!.database,
      listeners: [
        {
          bind: "127.0.0.1",
          port,
          tls: { cert: certs[i]!.certFile, key: certs[i]!.keyFile },
          resources: ["federation"],
        },
      ],
      federation: { trusted_ca_files: trusted, allow_private_addresses: true },
    });
  configs.push(await make(0, name1, port1), await make(1, name2, port2));
  hs1 = await createHomeserver(configs[0]!);
  hs2 = await createHomeserver(configs[1]!);
  await hs1.listen();
  // hs2 serves its federation app plus one authenticated echo route on its configured TLS port.
  const app = new Hono<HearthEnv>();
  app.get("/_matrix/federation/test/echo", requireServerAuth(hs2.ctx), (c) =>
    c.json({ origin: c.var.origin }),
  );
  const real = hs2.app(["federation"]);
  // A delegation that redirects once, as real deployments do.
  app.get("/.well-known/matrix/server", (c) => c.redirect("/.well-known/moved", 301));
  app.get("/.well-known/moved", (c) => {
    c.header("Cache-Control", "max-age=600");
    return c.json({ "m.server": name2 });
  });
  app.all("*", (c) => real.fetch(c.req.raw));
  app.onError(errorHandler(hs2.ctx.log));
  hs2Listener = await startListener(configs[1]!.listeners[0]!, app);
});

afterAll(async () => {
  if (hs2Listener) await stopListener(hs2Listener, 1000);
  await Promise.all(transports.map((t) => t.close?.()));
  await Promise.all([hs1?.stop(), hs2?.stop()]);
  for (const config of configs) await dropSchema(config.database.schema);
});

describe("federation over TLS", () => {
  it("fetches the other server's keys and verifies its signature", async () => {
    const obj = signJson({ over: "tls" }, name2, hs2.ctx.keys.current);
    await hs1.ctx.federation.keyring.verifyServerSignature(name2, obj, Date.now());
  });

  it("makes a signed request that the other side verifies with keys it fetched over TLS", async () => {
    const res = await hs1.ctx.federation.client.request({
      destination: name2,
      method: "GET",
      path: "/_matrix/federation/test/echo",
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ origin: name1 });
  });

  it("reuses connections and serves plain federation endpoints", async () => {
    let connections = 0;
    const server = hs1.listeners[0]!.server;
    const count = (): void => {
      connections++;
    };
    server.on("secureConnection", count);
    try {
      for (let i = 0; i < 3; i++) {
        const res = await hs2.ctx.federation.client.request({
          destination: name1,
          method: "GET",
          path: "/_matrix/federation/v1/version",
        });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ server: { name: "Hearth" } });
      }
    } finally {
      server.off("secureConnection", count);
    }
    expect(connections).toBeLessThanOrEqual(1);
  });

  it("calls real authenticated federation endpoints over TLS", async () => {
    const rooms = await hs1.ctx.federation.client.request({
      destination: name2,
      method: "GET",
      path: "/_matrix/federation/v1/publicRooms?limit=5",
    });
    expect(rooms.status).toBe(200);
    expect(rooms.body).toMatchObject({ chunk: [] });
    // Authenticated, so the answer is about the user rather than a 401.
    const profile = await hs1.ctx.federation.client.request({
      destination: name2,
      method: "GET",
      path: `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(`@nobody:${name2}`)}`,
    });
    expect(profile.status).toBe(404);
    expect(profile.body).toMatchObject({ errcode: "M_NOT_FOUND" });
  });

  it("answers 401 over the wire to an unsigned request", async () => {
    const transport = await createProductionTransport(configs[0]!, Date.now);
    transports.push(transport);
    const res = await transport.send({
      destination: name2,
      method: "GET",
      path: "/_matrix/federation/test/echo",
      headers: {},
      timeoutMs: 10_000,
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(Buffer.from(res.body).toString())).toMatchObject({ errcode: "M_UNAUTHORIZED" });
  });

  async function clientWith(federation: Partial<HearthConfig["federation"]>) {
    const transport = await createProductionTransport(
      { ...configs[0]!, federation: { ...configs[0]!.federation, ...federation } },
      Date.now,
    );
    transports.push(transport);
    return createFederationClient({ serverName: name1, signingKey: () => hs1.ctx.keys.current, transport });
  }

  it("refuses a certificate it does not trust", async () => {
    const client = await clientWith({ trusted_ca_files: [] });
    await expect(
      client.request({ destination: name2, method: "GET", path: "/_matrix/federation/v1/version" }),
    ).rejects.toBeInstanceOf(FederationUnreachableError);
  });

  it("refuses loopback addresses unless allowed, even by name, and allows an allowlisted range", async () => {
    const blocked = await clientWith({ allow_private_addresses: false });
    await expect(
      blocked.request({ destination: name2, method: "GET", path: "/_matrix/federation/v1/version" }),
    ).rejects.toBeInstanceOf(FederationUnreachableError);
    await expect(
      blocked.request({
        destination: `127.0.0.1:${hs2Listener.port}`,
        method: "GET",
        path: "/_matrix/federation/v1/version",
      }),
    ).rejects.toBeInstanceOf(FederationUnreachableError);
    const allowlisted = await clientWith({
      allow_private_addresses: false,
      ip_range_allowlist: ["127.0.0.0/8", "::1/128"],
    });
    const res = await allowlisted.request({
      destination: name2,
      method: "GET",
      path: "/_matrix/federation/v1/version",
    });
    expect(res.status).toBe(200);
    const denied = await clientWith({ ip_range_denylist: ["127.0.0.0/8", "::1/128"] });
    await expect(
      denied.request({ destination: name2, method: "GET", path: "/_matrix/federation/v1/version" }),
    ).rejects.toBeInstanceOf(FederationUnreachableError);
  });

  it("connects to an IP literal server name, checking the certificate's IP address", async () => {
    const res = await hs1.ctx.federation.client.request({
      destination: `127.0.0.1:${hs2Listener.port}`,
      method: "GET",
      path: "/_matrix/federation/v1/version",
    });
    expect(res.status).toBe(200);
  });

  it("follows a well-known delegation (with a redirect) fetched over TLS", async () => {
    const agent = createFederationAgent({
      policy: new AddressPolicy({
        allow_private_addresses: true,
        ip_range_allowlist: [],
        ip_range_denylist: [],
      }),
      ca: certs.map((c) => c.cert),
      verifyCertificates: true,
      connectTimeoutMs: 5_000,
    });
    const resolver = createServerResolver({
      clock: Date.now,
      dns: { resolveSrv: () => Promise.reject(new Error("ENOTFOUND")) },
      fetchWellKnown: createWellKnownFetcher(agent, { port: hs2Listener.port }),
    });
    const transport = createUndiciTransport({ resolver, dispatcher: agent, maxResponseBytes: 1 << 20 });
    transports.push(transport);
    expect(await resolver.resolve("localhost")).toEqual({
      host: "localhost",
      port: hs2Listener.port,
      hostHeader: name2,
      tlsName: "localhost",
    });
    const client = createFederationClient({
      serverName: name1,
      signingKey: () => hs1.ctx.keys.current,
      transport,
    });
    const res = await client.request({
      destination: "localhost",
      method: "GET",
      path: "/_matrix/federation/v1/version",
    });
    expect(res.status).toBe(200);
  });

  it("refuses a response larger than the limit", async () => {
    const agent = createFederationAgent({
      policy: new AddressPolicy({
        allow_private_addresses: true,
        ip_range_allowlist: [],
        ip_range_denylist: [],
      }),
      ca: certs.map((c) => c.cert),
      verifyCertificates: true,
      connectTimeoutMs: 5_000,
    });
    const transport = createUndiciTransport({
      resolver: createServerResolver({
        clock: Date.now,
        dns: { resolveSrv: () => Promise.reject(new Error("ENOTFOUND")) },
        fetchWellKnown: () => Promise.reject(new Error("unused")),
      }),
      dispatcher: agent,
      maxResponseBytes: 64,
    });
    transports.push(transport);
    const client = createFederationClient({
      serverName: name1,
      signingKey: () => hs1.ctx.keys.current,
      transport,
    });
    await expect(
      client.request({ destination: name2, method: "GET", path: "/_matrix/key/v2/server" }),
    ).rejects.toBeInstanceOf(FederationUnreachableError);
  });

  it("reports a closed port as unreachable", async () => {
    const client = await clientWith({});
    await expect(
      client.request({ destination: `localhost:${await freePort()}`, method: "GET", path: "/" }),
    ).rejects.toBeInstanceOf(FederationUnreachableError);
  });
});
