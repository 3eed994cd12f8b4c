import { userInteractiveAuth } from "../accounts/uia.ts";
import { signingKeysUia, uploadSigningKeys } from "../e2ee/cross-signing.ts";
import { uploadSignatures } from "../e2ee/key-signatures.ts";
import { clientIp, requireAuth } from "../http/auth.ts";
import type { RouteModule } from "../http/types.ts";
import { readE2eeBody } from "./e2ee-body.ts";
import { clientPaths } from "./paths.ts";

/** Cross-signing (spec: "Cross-signing"): uploading the user's signing keys and signatures. */
export const crossSigningRoutes: RouteModule = (app, ctx) => {
  app.on("POST", clientPaths("/keys/device_signing/upload", { r0: false }), requireAuth(ctx), async (c) => {
    const { userId } = c.get("requester");
    const body = await readE2eeBody(c);
    await uploadSigningKeys(ctx, userId, body, () =>
      userInteractiveAuth(ctx, body.auth, signingKeysUia(userId, clientIp(ctx, c))),
    );
    return c.json({});
  });

  app.on("POST", clientPaths("/keys/signatures/upload", { r0: false }), requireAuth(ctx), async (c) => {
    return c.json(await uploadSignatures(ctx, c.get("requester").userId, await readE2eeBody(c)));
  });
};
