import { invalidParam } from "../../errors.ts";
import { mediaKeyOf } from "../../media/media-id.ts";
import type { RouteModule } from "../../http/types.ts";
import {
  deleteLocalMedia,
  deleteUserMedia,
  purgeRemoteMedia,
  quarantineUserMedia,
  setMediaQuarantined,
} from "../media.ts";
import { localUserId } from "../users.ts";
import { adminOf, adminV1, pathParam, requireAdmin } from "./common.ts";

/** Media (Synapse's media_admin_api subset): quarantine, delete, purge the remote cache. */
export const adminMediaRoutes: RouteModule = (app, ctx) => {
  const admin = requireAdmin(ctx);
  const keyParam = (c: Parameters<typeof pathParam>[0]) =>
    mediaKeyOf(pathParam(c, "serverName"), pathParam(c, "mediaId"));

  app.post(adminV1("/media/quarantine/:serverName/:mediaId"), admin, async (c) => {
    await setMediaQuarantined(ctx, adminOf(c), keyParam(c), true);
    return c.json({});
  });

  app.post(adminV1("/media/unquarantine/:serverName/:mediaId"), admin, async (c) => {
    await setMediaQuarantined(ctx, adminOf(c), keyParam(c), false);
    return c.json({});
  });

  app.post(adminV1("/user/:userId/media/quarantine"), admin, async (c) => {
    const userId = localUserId(ctx, pathParam(c, "userId"));
    return c.json({ num_quarantined: await quarantineUserMedia(ctx, adminOf(c), userId) });
  });

  app.delete(adminV1("/media/:serverName/:mediaId"), admin, async (c) => {
    const key = keyParam(c);
    await deleteLocalMedia(ctx, adminOf(c), key);
    return c.json({ deleted_media: [key.mediaId], total: 1 });
  });

  app.delete(adminV1("/users/:userId/media"), admin, async (c) => {
    const userId = localUserId(ctx, pathParam(c, "userId"));
    const deleted = await deleteUserMedia(ctx, adminOf(c), userId);
    return c.json({ deleted_media: deleted, total: deleted.length });
  });

  app.post(adminV1("/purge_media_cache"), admin, async (c) => {
    const text = c.req.query("before_ts");
    if (text !== undefined && !/^-?[0-9]{1,16}$/.test(text)) {
      throw invalidParam("Query parameter before_ts must be an integer");
    }
    const deleted = await purgeRemoteMedia(ctx, adminOf(c), text === undefined ? undefined : Number(text));
    return c.json({ deleted });
  });
};
