import { stat } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createHomeserver, ServerNameMismatchError } from "../../src/homeserver.ts";
import { dropSchema } from "../support/database.ts";
import { testConfig } from "../support/homeserver.ts";

describe("homeserver lifecycle", () => {
  it("generates a 0600 signing key on first start and reuses it after a restart", async () => {
    const config = await testConfig();
    try {
      const first = await createHomeserver(config);
      expect(first.startup.createdSigningKey).toBe(true);
      expect(first.startup.migrationsApplied.length).toBeGreaterThan(0);
      const keyId = first.ctx.keys.current.keyId;
      await first.stop();
      const mode = (await stat(path.join(config.data_dir, "signing.key"))).mode & 0o777;
      expect(mode).toBe(0o600);

      const second = await createHomeserver(config);
      expect(second.startup.createdSigningKey).toBe(false);
      expect(second.startup.migrationsApplied).toEqual([]);
      expect(second.ctx.keys.current.keyId).toBe(keyId);
      expect(second.ctx.keys.current.publicKey).toBe(first.ctx.keys.current.publicKey);
      await second.stop();
    } finally {
      await dropSchema(config.database.schema);
    }
  });

  it("refuses a database that belongs to another server name", async () => {
    const config = await testConfig();
    try {
      await (await createHomeserver(config)).stop();
      const other = { ...config, server_name: "other.test" };
      await expect(createHomeserver(other)).rejects.toBeInstanceOf(ServerNameMismatchError);
    } finally {
      await dropSchema(config.database.schema);
    }
  });

  it("stop() lets an in-flight request finish, then refuses new connections", async () => {
    const config = await testConfig();
    const hs = await createHomeserver(config, { shutdownGraceMs: 20_000 });
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inHandler = new Promise<void>((r) => (entered = r));
      hs.app().get("/_test/slow", async (c) => {
        entered();
        await gate;
        return c.json({ finished: true });
      });
      const [listener] = await hs.listen();
      const url = listener!.url;
      expect((await fetch(`${url}/_matrix/client/versions`)).status).toBe(200);

      const inFlight = fetch(`${url}/_test/slow`);
      await inHandler;
      const started = Date.now();
      const stopped = hs.stop();
      release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ finished: true });
      await stopped;
      // Drained by itself, long before the grace period would have cut the connections.
      expect(Date.now() - started).toBeLessThan(10_000);
      await expect(fetch(`${url}/_matrix/client/versions`)).rejects.toThrow();
    } finally {
      await hs.stop();
      await dropSchema(config.database.schema);
    }
  });
});
