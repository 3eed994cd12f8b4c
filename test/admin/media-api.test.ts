import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { getMedia, insertMedia } from "../../src/storage/media/media.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { get, uploadOk } from "../media/media-support.ts";
import { adminAndUser, adminCall, call, expectError, v1 } from "./support.ts";

let hs: TestHomeserver;
let admin: Session;
let user: Session;

beforeAll(async () => {
  hs = await startTestHomeserver();
  ({ admin, user } = await adminAndUser(hs));
});
afterAll(() => hs.destroy());

const download = (id: string) => get(hs, `/_matrix/client/v1/media/download/${id}`, user);

describe("admin media API", () => {
  it("quarantines and releases one item; quarantined media is not served", async () => {
    const id = await uploadOk(hs, user, "quarantine me", "text/plain");
    expect((await download(id)).status).toBe(200);
    expect((await adminCall(hs, admin, "POST", v1(`/media/quarantine/${id}`))).body).toEqual({});
    expect((await download(id)).status).toBe(404);
    expect((await adminCall(hs, admin, "POST", v1(`/media/unquarantine/${id}`))).body).toEqual({});
    expect((await download(id)).status).toBe(200);
    expectError(
      await adminCall(hs, admin, "POST", v1("/media/quarantine/hearth.test/bad.id")),
      400,
      "M_INVALID_PARAM",
    );
  });

  it("quarantines everything a user uploaded", async () => {
    const c = await createTestUser(hs, "carol");
    const a = await uploadOk(hs, c, "one", "text/plain");
    const b = await uploadOk(hs, c, "two", "text/plain");
    const res = await adminCall(hs, admin, "POST", v1(`/user/${c.userId}/media/quarantine`));
    expect(res.body).toEqual({ num_quarantined: 2 });
    expect((await download(a)).status).toBe(404);
    expect((await download(b)).status).toBe(404);
    expectError(
      await adminCall(hs, admin, "POST", v1("/user/@ghost:hearth.test/media/quarantine")),
      404,
      "M_NOT_FOUND",
    );
  });

  it("deletes one local item, and everything a user uploaded", async () => {
    const id = await uploadOk(hs, user, "delete me", "text/plain");
    const mediaId = id.split("/")[1]!;
    const res = await adminCall(hs, admin, "DELETE", v1(`/media/${id}`));
    expect(res.body).toEqual({ deleted_media: [mediaId], total: 1 });
    expect((await download(id)).status).toBe(404);
    expectError(await adminCall(hs, admin, "DELETE", v1(`/media/${id}`)), 404, "M_NOT_FOUND");
    expect((await adminCall(hs, admin, "DELETE", v1("/media/elsewhere.org/abc"))).status).toBe(400);

    const dave = await createTestUser(hs, "dave");
    const ids = [await uploadOk(hs, dave, "d1", "text/plain"), await uploadOk(hs, dave, "d2", "text/plain")];
    const all = await adminCall(hs, admin, "DELETE", v1(`/users/${dave.userId}/media`));
    expect(all.body.total).toBe(2);
    expect([...(all.body.deleted_media as string[])].sort()).toEqual(ids.map((i) => i.split("/")[1]).sort());
    for (const i of ids) expect((await download(i)).status).toBe(404);
  });

  it("purges cached remote media not used since before_ts, keeping local media", async () => {
    const content = {
      contentType: "text/plain",
      uploadName: null,
      sizeBytes: 3,
      sha256: "0".repeat(64),
      width: null,
      height: null,
      durationMs: null,
    };
    const old = { serverName: "remote.test", mediaId: "oldItem" };
    const fresh = { serverName: "remote.test", mediaId: "freshItem" };
    await insertMedia(hs.ctx.db, old, null, content, 1_700_000_000_000);
    await insertMedia(hs.ctx.db, fresh, null, content, 1_900_000_000_000);
    const local = await uploadOk(hs, user, "local stays", "text/plain");

    const res = await adminCall(hs, admin, "POST", v1("/purge_media_cache?before_ts=1800000000000"));
    expect(res.body).toEqual({ deleted: 1 });
    expect(await getMedia(hs.ctx.db, old)).toBeUndefined();
    expect(await getMedia(hs.ctx.db, fresh)).toBeDefined();
    expect((await download(local)).status).toBe(200);

    expectError(await adminCall(hs, admin, "POST", v1("/purge_media_cache")), 400, "M_MISSING_PARAM");
    expectError(
      await adminCall(hs, admin, "POST", v1("/purge_media_cache?before_ts=1700000")),
      400,
      "M_INVALID_PARAM",
    );
    expectError(
      await adminCall(hs, admin, "POST", v1("/purge_media_cache?before_ts=soon")),
      400,
      "M_INVALID_PARAM",
    );
  });

  it("gives a non-admin 403 on every media route", async () => {
    const routes: Array<[string, string]> = [
      ["POST", v1("/media/quarantine/hearth.test/abc")],
      ["POST", v1("/media/unquarantine/hearth.test/abc")],
      ["POST", v1(`/user/${user.userId}/media/quarantine`)],
      ["DELETE", v1("/media/hearth.test/abc")],
      ["DELETE", v1(`/users/${user.userId}/media`)],
      ["POST", v1("/purge_media_cache?before_ts=1800000000000")],
    ];
    for (const [method, path] of routes) {
      expectError(await call(hs, method, path, { token: user.accessToken }), 403, "M_FORBIDDEN");
    }
  });
});
