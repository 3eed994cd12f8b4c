import type { Context } from "hono";
import {
  createVersion,
  deleteKeys,
  deleteVersion,
  getKeys,
  getVersion,
  parseAllRooms,
  parseKeyBackupData,
  parseRoomSessions,
  putKeys,
  updateVersion,
} from "../e2ee/key-backup.ts";
import { requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { readE2eeBody } from "./e2ee-body.ts";
import { clientPaths } from "./paths.ts";
import { routeParam } from "./query-params.ts";

const versionQuery = (c: Context): string | undefined => c.req.query("version");

/** Server-side key backup (spec: "Server-side key backups"): versions and keys at three levels. */
export const roomKeysRoutes: RouteModule = (app, ctx) => {
  const v3 = (path: string): string[] => clientPaths(path, { r0: false });

  app.on("POST", v3("/room_keys/version"), requireAuth(ctx), async (c) => {
    const version = await createVersion(ctx, c.get("requester").userId, await readE2eeBody(c));
    return c.json({ version });
  });
  app.on("GET", v3("/room_keys/version"), requireAuth(ctx), async (c) =>
    c.json(await getVersion(ctx, c.get("requester").userId)),
  );
  app.on("GET", v3("/room_keys/version/:version"), requireAuth(ctx), async (c) =>
    c.json(await getVersion(ctx, c.get("requester").userId, routeParam(c, "version"))),
  );
  app.on("PUT", v3("/room_keys/version/:version"), requireAuth(ctx), async (c) => {
    await updateVersion(ctx, c.get("requester").userId, routeParam(c, "version"), await readE2eeBody(c));
    return c.json({});
  });
  app.on("DELETE", v3("/room_keys/version/:version"), requireAuth(ctx), async (c) => {
    await deleteVersion(ctx, c.get("requester").userId, routeParam(c, "version"));
    return c.json({});
  });

  app.on("PUT", v3("/room_keys/keys"), requireAuth(ctx), async (c) => {
    const keys = parseAllRooms(await readE2eeBody(c));
    return c.json(await putKeys(ctx, c.get("requester").userId, versionQuery(c), keys));
  });
  app.on("PUT", v3("/room_keys/keys/:roomId"), requireAuth(ctx), async (c) => {
    const keys = parseRoomSessions(await readE2eeBody(c), routeParam(c, "roomId"));
    return c.json(await putKeys(ctx, c.get("requester").userId, versionQuery(c), keys));
  });
  app.on("PUT", v3("/room_keys/keys/:roomId/:sessionId"), requireAuth(ctx), async (c) => {
    const key = parseKeyBackupData(
      await readE2eeBody(c),
      routeParam(c, "roomId"),
      routeParam(c, "sessionId"),
    );
    return c.json(await putKeys(ctx, c.get("requester").userId, versionQuery(c), [key]));
  });

  app.on("GET", v3("/room_keys/keys"), requireAuth(ctx), async (c) =>
    c.json(await getKeys(ctx, c.get("requester").userId, versionQuery(c))),
  );
  app.on("GET", v3("/room_keys/keys/:roomId"), requireAuth(ctx), async (c) =>
    c.json(await getKeys(ctx, c.get("requester").userId, versionQuery(c), routeParam(c, "roomId"))),
  );
  app.on("GET", v3("/room_keys/keys/:roomId/:sessionId"), requireAuth(ctx), async (c) =>
    c.json(
      await getKeys(
        ctx,
        c.get("requester").userId,
        versionQuery(c),
        routeParam(c, "roomId"),
        routeParam(c, "sessionId"),
      ),
    ),
  );

  app.on("DELETE", v3("/room_keys/keys"), requireAuth(ctx), async (c) =>
    c.json(await deleteKeys(ctx, c.get("requester").userId, versionQuery(c))),
  );
  app.on("DELETE", v3("/room_keys/keys/:roomId"), requireAuth(ctx), async (c) =>
    c.json(await deleteKeys(ctx, c.get("requester").userId, versionQuery(c), routeParam(c, "roomId"))),
  );
  app.on("DELETE", v3("/room_keys/keys/:roomId/:sessionId"), requireAuth(ctx), async (c) =>
    c.json(
      await deleteKeys(
        ctx,
        c.get("requester").userId,
        versionQuery(c),
        routeParam(c, "roomId"),
        routeParam(c, "sessionId"),
      ),
    ),
  );
};
