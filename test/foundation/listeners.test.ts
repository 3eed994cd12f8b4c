import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHomeserver, type Homeserver } from "../../src/homeserver.ts";
import { dropSchema } from "../support/database.ts";
import { testConfig } from "../support/homeserver.ts";
import { writeSelfSignedCertificate, type TestCertificate } from "../support/tls.ts";

let hs: Homeserver;
let schema: string;
let cert: TestCertificate;

beforeAll(async () => {
  const base = await testConfig();
  cert = await writeSelfSignedCertificate(base.data_dir);
  const config = {
    ...base,
    listeners: [
      { bind: "127.0.0.1", port: 0, resources: ["client" as const] },
      {
        bind: "127.0.0.1",
        port: 0,
        tls: { cert: cert.certFile, key: cert.keyFile },
        resources: ["federation" as const],
      },
      { bind: "127.0.0.1", port: 0, resources: ["metrics" as const] },
    ],
  };
  schema = config.database.schema;
  hs = await createHomeserver(config);
  await hs.listen();
});
afterAll(async () => {
  await hs?.stop();
  await dropSchema(schema);
});

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("listeners", () => {
  it("serve only the resources they name", async () => {
    const [client, federation, metrics] = hs.listeners;
    expect((await fetch(`${client!.url}/_matrix/client/versions`)).status).toBe(200);
    const fedOnClient = await fetch(`${client!.url}/_matrix/federation/v1/version`);
    expect(fedOnClient.status).toBe(404);
    expect(await fedOnClient.json()).toMatchObject({ errcode: "M_UNRECOGNIZED" });
    expect((await fetch(`${metrics!.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${client!.url}/metrics`)).status).toBe(404);
    expect(federation!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("serve TLS with the configured certificate and key", async () => {
    const federation = hs.listeners[1]!;
    const res = await httpsGet(`${federation.url}/_matrix/federation/v1/version`, cert.cert);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ server: { name: "Hearth" } });
    const key = await httpsGet(`${federation.url}/_matrix/key/v2/server`, cert.cert);
    expect(JSON.parse(key.body)).toMatchObject({ server_name: "hearth.test" });
  });

  it("refuse a TLS connection the client cannot verify", async () => {
    const federation = hs.listeners[1]!;
    await expect(fetch(`${federation.url}/_matrix/federation/v1/version`)).rejects.toThrow();
  });
});
