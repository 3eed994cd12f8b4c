import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import type { FederationClient, FederationResponse } from "../../src/federation/contracts.ts";
import {
  deleteMediaByUploader,
  purgeRemoteMediaCache,
  quarantineMediaByUploader,
} from "../../src/media/admin.ts";
import { boundaryOf, parseMultipart } from "../../src/media/multipart.ts";
import { startFederation, type TestFederation } from "../support/federation.ts";
import { createTestUser } from "../support/users.ts";
import { get, jpeg, uploadOk } from "./media-support.ts";

let fed: TestFederation;
let alice: Session; // on hs1
let bob: Session; // on hs2

beforeAll(async () => {
  fed = await startFederation(["hs1.test", "hs2.test"]);
  alice = await createTestUser(fed.hs("hs1.test"), "alice");
  bob = await createTestUser(fed.hs("hs2.test"), "bob");
});
afterAll(() => fed?.destroy());

const fetchesOf = (id: string) => fed.net.log.filter((e) => e.path.includes(id.split("/")[1] ?? "?"));

describe("federation media between two Hearth servers", () => {
  it("serves multipart/mixed: a JSON part, then the bytes with their type and disposition", async () => {
    const id = await uploadOk(fed.hs("hs1.test"), alice, "remote bytes", "text/plain", "note.txt");
    const mediaId = id.split("/")[1] ?? "";
    const res = await fed.hs("hs2.test").ctx.federation.client.request({
      destination: "hs1.test",
      method: "GET",
      path: `/_matrix/federation/v1/media/download/${mediaId}`,
    });
    expect(res.status).toBe(200);
    const boundary = boundaryOf(res.headers.get("content-type"));
    expect(boundary).toBeDefined();
    const parts = parseMultipart(Buffer.from(res.rawBody ?? new Uint8Array()), boundary ?? "");
    expect(parts).toHaveLength(2);
    expect(parts?.[0]?.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(parts?.[0]?.body.toString() ?? "")).toEqual({});
    expect(parts?.[1]?.headers.get("content-type")).toBe("text/plain");
    expect(parts?.[1]?.headers.get("content-disposition")).toBe('inline; filename="note.txt"');
    expect(parts?.[1]?.body.toString()).toBe("remote bytes");
  });

  it("serves thumbnails the same way, and refuses unsigned requests", async () => {
    const id = await uploadOk(fed.hs("hs1.test"), alice, await jpeg(400, 200), "image/jpeg");
    const mediaId = id.split("/")[1] ?? "";
    const res = await fed.hs("hs2.test").ctx.federation.client.request({
      destination: "hs1.test",
      method: "GET",
      path: `/_matrix/federation/v1/media/thumbnail/${mediaId}?width=96&height=96&method=crop`,
    });
    expect(res.status).toBe(200);
    const parts = parseMultipart(
      Buffer.from(res.rawBody ?? new Uint8Array()),
      boundaryOf(res.headers.get("content-type")) ?? "",
    );
    expect(parts?.[1]?.headers.get("content-type")).toBe("image/jpeg");
    const meta = await sharp(parts?.[1]?.body).metadata();
    expect([meta.width, meta.height]).toEqual([96, 96]);

    const unsigned = await fed
      .hs("hs1.test")
      .app(["federation"])
      .request(`/_matrix/federation/v1/media/download/${mediaId}`);
    expect(unsigned.status).toBe(401);
    const unknown = await fed.hs("hs2.test").ctx.federation.client.request({
      destination: "hs1.test",
      method: "GET",
      path: "/_matrix/federation/v1/media/download/nothingHere",
    });
    expect(unknown.status).toBe(404);
  });

  it("a client on hs2 downloads hs1's media: fetched once, cached, concurrent requests coalesced", async () => {
    const id = await uploadOk(fed.hs("hs1.test"), alice, "shared across servers", "text/plain", "s.txt");
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        get(fed.hs("hs2.test"), `/_matrix/client/v1/media/download/${id}`, bob),
      ),
    );
    for (const res of results) {
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("shared across servers");
    }
    expect(results[0]?.headers.get("content-disposition")).toBe('inline; filename="s.txt"');
    expect(fetchesOf(id)).toHaveLength(1);
    const again = await get(fed.hs("hs2.test"), `/_matrix/client/v1/media/download/${id}`, bob);
    expect(await again.text()).toBe("shared across servers");
    expect(fetchesOf(id)).toHaveLength(1);
  });

  it("thumbnails remote images from the cached original", async () => {
    const id = await uploadOk(fed.hs("hs1.test"), alice, await jpeg(640, 320), "image/jpeg");
    const res = await get(
      fed.hs("hs2.test"),
      `/_matrix/client/v1/media/thumbnail/${id}?width=320&height=240`,
      bob,
    );
    expect(res.status).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([320, 160]);
  });

  it("unknown remote media is 404; an unreachable origin is 502", async () => {
    const missing = await get(
      fed.hs("hs2.test"),
      "/_matrix/client/v1/media/download/hs1.test/doesNotExist",
      bob,
    );
    expect(missing.status).toBe(404);
    const id = await uploadOk(fed.hs("hs1.test"), alice, "behind a partition", "text/plain");
    fed.net.partition("hs1.test", "hs2.test");
    try {
      const res = await get(fed.hs("hs2.test"), `/_matrix/client/v1/media/download/${id}`, bob);
      expect(res.status).toBe(502);
    } finally {
      fed.net.heal();
    }
    expect((await get(fed.hs("hs2.test"), `/_matrix/client/v1/media/download/${id}`, bob)).status).toBe(200);
  });
});

describe("servers without federation media (before spec v1.11)", () => {
  it("falls back to the legacy /_matrix/media/v3/download on M_UNRECOGNIZED", async () => {
    // An old server, played by a stand-in client: the federation media path is unknown to it, the
    // legacy download answers with the bytes.
    const hs2 = fed.hs("hs2.test");
    const services = hs2.ctx.federation as { client: FederationClient };
    const real = services.client;
    const paths: string[] = [];
    services.client = {
      async request(req): Promise<FederationResponse> {
        paths.push(req.path);
        if (req.path.startsWith("/_matrix/federation/v1/media/")) {
          return {
            status: 404,
            headers: new Headers(),
            body: { errcode: "M_UNRECOGNIZED", error: "Unrecognized" },
          };
        }
        return {
          status: 200,
          headers: new Headers({
            "content-type": "text/plain",
            "content-disposition": "attachment; filename=old.txt",
          }),
          body: undefined,
          rawBody: Buffer.from("from an old server"),
        };
      },
    };
    try {
      const res = await get(hs2, "/_matrix/client/v1/media/download/old.test/abcDEF123", bob);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("from an old server");
      expect(res.headers.get("content-disposition")).toBe('inline; filename="old.txt"');
      expect(paths).toEqual([
        "/_matrix/federation/v1/media/download/abcDEF123?timeout_ms=20000",
        "/_matrix/media/v3/download/old.test/abcDEF123?allow_remote=false&timeout_ms=20000",
      ]);
    } finally {
      services.client = real;
    }
  });
});

describe("media administration", () => {
  it("purges idle cached remote media (fetched again when next asked for), never local media", async () => {
    const hs2 = fed.hs("hs2.test");
    const id = await uploadOk(fed.hs("hs1.test"), alice, "cache me", "text/plain");
    const local = await uploadOk(hs2, bob, "bob's own", "text/plain");
    expect((await get(hs2, `/_matrix/client/v1/media/download/${id}`, bob)).status).toBe(200);
    expect(fetchesOf(id)).toHaveLength(1);
    expect(await purgeRemoteMediaCache(hs2.ctx, Date.now() - 60_000)).toBe(0);
    expect(await purgeRemoteMediaCache(hs2.ctx, Date.now() + 60_000)).toBeGreaterThanOrEqual(1);
    expect(await (await get(hs2, `/_matrix/client/v1/media/download/${id}`, bob)).text()).toBe("cache me");
    expect(fetchesOf(id)).toHaveLength(2);
    expect(await (await get(hs2, `/_matrix/client/v1/media/download/${local}`, bob)).text()).toBe(
      "bob's own",
    );
  });

  it("quarantines and deletes everything one user uploaded", async () => {
    const hs1 = fed.hs("hs1.test");
    const carol = await createTestUser(hs1, "carol");
    const ids = [
      await uploadOk(hs1, carol, "c1", "text/plain"),
      await uploadOk(hs1, carol, "c2", "text/plain"),
    ];
    const other = await uploadOk(hs1, alice, "alice keeps this", "text/plain");
    expect(await quarantineMediaByUploader(hs1.ctx, carol.userId)).toBe(2);
    for (const id of ids)
      expect((await get(hs1, `/_matrix/client/v1/media/download/${id}`, alice)).status).toBe(404);
    // Quarantined media is not served to other servers either.
    const remote = await get(fed.hs("hs2.test"), `/_matrix/client/v1/media/download/${ids[0]}`, bob);
    expect(remote.status).toBe(404);
    expect(
      (await deleteMediaByUploader(hs1.ctx, carol.userId)).map((k) => `${k.serverName}/${k.mediaId}`).sort(),
    ).toEqual([...ids].sort());
    expect((await get(hs1, `/_matrix/client/v1/media/download/${other}`, alice)).status).toBe(200);
  });
});
