import type { JsonObject } from "../core/json.ts";
import { MatrixError, forbidden, missingParam } from "../errors.ts";
import { optionalObject, optionalString, requiredString } from "../http/fields.ts";

/** The same answer for every failed login, so it does not tell which accounts exist. */
export const invalidLogin = (): MatrixError => forbidden("Invalid username or password");

/**
 * The user string named by a login or an m.login.password stage: `identifier` (m.id.user) or the
 * deprecated top-level `user`. Third-party identifiers are refused with 403 as the spec asks for an
 * unknown 3PID: Hearth stores none. Undefined when nothing names a user.
 */
export function loginUserOf(body: JsonObject): string | undefined {
  const identifier = optionalObject(body, "identifier");
  if (identifier !== undefined) {
    const type = requiredString(identifier, "type");
    switch (type) {
      case "m.id.user":
        return requiredString(identifier, "user");
      case "m.id.thirdparty":
      case "m.id.phone":
        throw invalidLogin();
      default:
        throw new MatrixError(400, "M_UNKNOWN", `Unknown identifier type ${JSON.stringify(type)}`);
    }
  }
  const user = optionalString(body, "user");
  if (user !== undefined) return user;
  if (optionalString(body, "medium") !== undefined || optionalString(body, "address") !== undefined) {
    throw invalidLogin();
  }
  return undefined;
}

export function requiredLoginUserOf(body: JsonObject): string {
  const user = loginUserOf(body);
  if (user === undefined) throw missingParam("Missing 'identifier'");
  return user;
}
