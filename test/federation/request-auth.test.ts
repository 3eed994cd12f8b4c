import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCanonicalJson } from "../../src/core/canonical-json.ts";
import { signingKeyFromSeed } from "../../src/core/signing.ts";
import { requireServerAuth } from "../../src/federation/request-auth.ts";
import { signXMatrixRequest } from "../../src/federation/x-matrix.ts";
import { errorHandler } from "../../src/http/errors.ts";
import type { HearthEnv } from "../../src/http/types.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { RawNumber } from "../../src/core/json.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";

let fed: TestFederation;
let hs1: Homeserver;
let hs2: Homeserver;
/** hs2's federation app plus one authenticated echo route, so the middleware is tested on its own. */
let app: Hono<HearthEnv>;

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test"]);
  hs1 = fed.hs("hs1.test");
  hs2 = fed.hs("hs2.test");
  app = new Hono<HearthEnv>();
  app.on(["GET", "PUT", "POST"], "/_matrix/federation/test/*", requireServerAuth(hs2.ctx), (c) =>
    c.json({ origin: c.var.origin, content: c.var.federationContent ?? null }),
  );
  app.onError(errorHandler(hs2.ctx.log));
  // hs2 answers with the echo app for test routes and its real federation app otherwise.
  const real = hs2.app(["federation"]);
  fed.net.register("hs2.test", (req) =>
    new URL(req.url).pathname.startsWith("/_matrix/federation/test/") ? app.fetch(req) : real.fetch(req),
  );
});

afterAll(async () => {
  await fed?.destroy();
});

interface RawRequest {
  method?: string;
  uri?: string;
  signedUri?: string;
  body?: string;
  signedContent?: unknown;
  destination?: string;
  headerDestination?: string | null;
  key?: ReturnType<typeof signingKeyFromSeed>;
  authorization?: string | null;
}

/** A request to hs2 signed by hs1, with any part of it tampered with. */
async function send(r: RawRequest = {}): Promise<Response> {
  const method = r.method ?? "PUT";
  const uri = r.uri ?? "/_matrix/federation/test/thing?x=1";
  const body = r.body ?? (method === "GET" ? undefined : '{"hello":"world"}');
  let authorization = r.authorization;
  if (authorization === undefined) {
    authorization = signXMatrixRequest(r.key ?? hs1.ctx.keys.current, {
      method,
      uri: r.signedUri ?? uri,
      origin: "hs1.test",
      destination: r.destination ?? "hs2.test",
      ...(r.signedContent !== undefined
        ? { content: r.signedContent as never }
        : body !== undefined
          ? { content: JSON.parse(body) as never }
          : {}),
    });
    if (r.headerDestination === null) authorization = authorization.replace(/destination="[^"]*",/, "");
    else if (r.headerDestination !== undefined) {
      authorization = authorization.replace(/destination="[^"]*"/, `destination="${r.headerDestination}"`);
    }
  }
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== null) headers.authorization = authorization;
  return app.fetch(new Request(`https://hs2.test${uri}`, { method, headers, body }));
}

async function expectUnauthorized(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ errcode: "M_UNAUTHORIZED" });
}

describe("requireServerAuth", () => {
  it("accepts a correctly signed request, exposing the origin and the body", async () => {
    const res = await send({ body: '{ "hello": "world", "n": [1, 2] }' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ origin: "hs1.test", content: { hello: "world", n: [1, 2] } });
  });

  it("sets the exact body bytes as lossless JSON for handlers", async () => {
    let seen: unknown;
    const probe = new Hono<HearthEnv>();
    probe.put("/_matrix/federation/test/probe", requireServerAuth(hs2.ctx), (c) => {
      seen = c.var.federationContent;
      return c.json({});
    });
    const body = '{"n":1.50}';
    const authorization = signXMatrixRequest(hs1.ctx.keys.current, {
      method: "PUT",
      uri: "/_matrix/federation/test/probe",
      origin: "hs1.test",
      destination: "hs2.test",
      content: { n: new RawNumber("1.50") },
    });
    const res = await probe.fetch(
      new Request("https://hs2.test/_matrix/federation/test/probe", {
        method: "PUT",
        headers: { authorization },
        body,
      }),
    );
    expect(res.status).toBe(200);
    expect(encodeCanonicalJson(seen as never, { strict: false })).toBe('{"n":1.50}');
  });

  it("accepts GETs without a body and headers without destination (pre-v1.3 senders)", async () => {
    expect((await send({ method: "GET" })).status).toBe(200);
    expect((await send({ headerDestination: null })).status).toBe(200);
  });

  it("rejects a tampered body", async () => {
    await expectUnauthorized(await send({ body: '{"hello":"World"}', signedContent: { hello: "world" } }));
  });

  it("rejects a body re-spelt (1.50 signed, 1.5 sent)", async () => {
    await expectUnauthorized(await send({ body: '{"n":1.5}', signedContent: { n: new RawNumber("1.50") } }));
  });

  it("rejects a tampered uri or query", async () => {
    await expectUnauthorized(await send({ signedUri: "/_matrix/federation/test/other?x=1" }));
    await expectUnauthorized(await send({ signedUri: "/_matrix/federation/test/thing?x=2" }));
  });

  it("rejects a tampered method", async () => {
    const authorization = signXMatrixRequest(hs1.ctx.keys.current, {
      method: "POST",
      uri: "/_matrix/federation/test/thing",
      origin: "hs1.test",
      destination: "hs2.test",
      content: { hello: "world" },
    });
    await expectUnauthorized(await send({ uri: "/_matrix/federation/test/thing", authorization }));
  });

  it("rejects a request for another destination, in the header or only in the signature", async () => {
    await expectUnauthorized(await send({ destination: "hs3.test", headerDestination: "hs3.test" }));
    await expectUnauthorized(await send({ destination: "hs3.test", headerDestination: "hs2.test" }));
    await expectUnauthorized(await send({ destination: "hs3.test", headerDestination: null }));
  });

  it("rejects a key the origin does not publish (after fetching its keys)", async () => {
    const rogue = signingKeyFromSeed("ed25519:rogue", new Uint8Array(32).fill(7));
    await expectUnauthorized(await send({ key: rogue }));
    const forged = signingKeyFromSeed(hs1.ctx.keys.current.keyId, new Uint8Array(32).fill(8));
    await expectUnauthorized(await send({ key: forged }));
  });

  it("rejects missing and malformed headers", async () => {
    await expectUnauthorized(await send({ authorization: null }));
    await expectUnauthorized(await send({ authorization: "Bearer abc" }));
    await expectUnauthorized(await send({ authorization: 'X-Matrix origin="hs1.test",key="ed25519:x"' }));
    await expectUnauthorized(await send({ authorization: 'X-Matrix origin="hs1.test,key=' }));
    await expectUnauthorized(
      await send({ authorization: 'X-Matrix origin="not a server",key="ed25519:x",sig="s"' }),
    );
  });

  it("rejects an origin that cannot be reached for its keys", async () => {
    const key = signingKeyFromSeed("ed25519:x", new Uint8Array(32).fill(9));
    const authorization = signXMatrixRequest(key, {
      method: "GET",
      uri: "/_matrix/federation/test/thing",
      origin: "nowhere.test",
      destination: "hs2.test",
    });
    const res = await app.fetch(
      new Request("https://hs2.test/_matrix/federation/test/thing", { headers: { authorization } }),
    );
    await expectUnauthorized(res);
  });

  it("answers a body that is not JSON with M_NOT_JSON, not a 500", async () => {
    const res = await send({ body: "{not json", signedContent: { a: 1 } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errcode: "M_NOT_JSON" });
  });
});

describe("the harness", () => {
  it("carries a real signed request from hs1 to hs2, verified by hs2 with keys fetched from hs1", async () => {
    const res = await hs1.ctx.federation.client.request({
      destination: "hs2.test",
      method: "PUT",
      path: "/_matrix/federation/test/echo?a=b%20c",
      body: { hello: "hs2" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ origin: "hs1.test", content: { hello: "hs2" } });
  });

  it("makes a stopped server unreachable, and a restarted one reachable with the same keys", async () => {
    const ask = () =>
      fed.hs("hs1.test").ctx.federation.client.request({
        destination: "hs2.test",
        method: "GET",
        path: "/_matrix/key/v2/server",
      });
    const before = (await ask()).body;
    await fed.stop("hs2.test");
    await expect(ask()).rejects.toMatchObject({ name: "FederationUnreachableError" });
    await fed.start("hs2.test");
    const after = (await ask()).body as { verify_keys: unknown };
    expect(after.verify_keys).toEqual((before as { verify_keys: unknown }).verify_keys);
    hs2 = fed.hs("hs2.test");
  });

  it("partitions and heals", async () => {
    const ask = () =>
      hs1.ctx.federation.client.request({
        destination: "hs2.test",
        method: "GET",
        path: "/_matrix/federation/v1/version",
      });
    expect((await ask()).status).toBe(200);
    fed.net.partition("hs1.test", "hs2.test");
    await expect(ask()).rejects.toMatchObject({
      name: "FederationUnreachableError",
      destination: "hs2.test",
    });
    fed.net.heal();
    expect((await ask()).status).toBe(200);
  });
});

describe("federation request size", () => {
  it("accepts federation bodies beyond the client limit (a full transaction), not client ones", async () => {
    const big = JSON.stringify({ pdus: [], edus: [], pad: "x".repeat(3 * 1024 * 1024) });
    const fedRes = await hs2.app(["federation"]).request("/_matrix/federation/v1/send/big", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: big,
    });
    // Refused for want of a signature, not for its size.
    expect(fedRes.status).toBe(401);
    const clientRes = await hs2.app(["client"]).request("/_matrix/client/v3/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(clientRes.status).toBe(413);
  });
});
