import { invalidParam } from "../../errors.ts";
import { readJsonObject } from "../../http/body.ts";
import type { RouteModule } from "../../http/types.ts";
import {
  createRegistrationToken,
  DEFAULT_TOKEN_LENGTH,
  modifyRegistrationToken,
  registrationToken,
  registrationTokens,
  removeRegistrationToken,
  tokenJson,
} from "../registration-tokens.ts";
import { adminOf, adminV1, boolQuery, intOrNullField, pathParam, requireAdmin } from "./common.ts";

/** Registration tokens (Synapse's registration_tokens admin API). */
export const registrationTokenRoutes: RouteModule = (app, ctx) => {
  const admin = requireAdmin(ctx);

  app.get(adminV1("/registration_tokens"), admin, async (c) => {
    const tokens = await registrationTokens(ctx, boolQuery(c, "valid"));
    return c.json({ registration_tokens: tokens.map(tokenJson) });
  });

  app.post(adminV1("/registration_tokens/new"), admin, async (c) => {
    const body = await readJsonObject(c);
    const token = body.token;
    if (token !== undefined && typeof token !== "string") throw invalidParam("token must be a string");
    const length = intOrNullField(body, "length");
    const row = await createRegistrationToken(ctx, adminOf(c), {
      token,
      usesAllowed: intOrNullField(body, "uses_allowed") ?? null,
      expiryTime: intOrNullField(body, "expiry_time") ?? null,
      length: length ?? DEFAULT_TOKEN_LENGTH,
    });
    return c.json(tokenJson(row));
  });

  app.get(adminV1("/registration_tokens/:token"), admin, async (c) =>
    c.json(tokenJson(await registrationToken(ctx, pathParam(c, "token")))),
  );

  app.put(adminV1("/registration_tokens/:token"), admin, async (c) => {
    const body = await readJsonObject(c);
    const row = await modifyRegistrationToken(ctx, adminOf(c), pathParam(c, "token"), {
      usesAllowed: intOrNullField(body, "uses_allowed"),
      expiryTime: intOrNullField(body, "expiry_time"),
    });
    return c.json(tokenJson(row));
  });

  app.delete(adminV1("/registration_tokens/:token"), admin, async (c) => {
    await removeRegistrationToken(ctx, adminOf(c), pathParam(c, "token"));
    return c.json({});
  });
};
