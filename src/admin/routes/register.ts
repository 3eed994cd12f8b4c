import { readJsonObject } from "../../http/body.ts";
import type { RouteModule } from "../../http/types.ts";
import { newRegistrationNonce, registerWithSharedSecret } from "../shared-secret.ts";
import { adminV1 } from "./common.ts";

/** Shared-secret registration (Synapse's register_api): no access token, the HMAC is the credential. */
export const sharedSecretRegisterRoutes: RouteModule = (app, ctx) => {
  app.get(adminV1("/register"), async (c) => c.json({ nonce: await newRegistrationNonce(ctx) }));

  app.post(adminV1("/register"), async (c) => {
    const body = await readJsonObject(c);
    const session = await registerWithSharedSecret(ctx, {
      nonce: body.nonce,
      username: body.username,
      password: body.password,
      admin: body.admin,
      displayname: body.displayname,
      userType: body.user_type,
      mac: body.mac,
    });
    return c.json({
      access_token: session.accessToken,
      user_id: session.userId,
      home_server: ctx.serverName,
      device_id: session.deviceId,
    });
  });
};
