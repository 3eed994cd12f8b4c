import { verifyJsonSignature } from "../signing.ts";
import type { JsonSignatureVerifier } from "./third-party-invite.ts";

/**
 * The verifier used when the caller injects none. Identity servers have published third-party invite
 * keys in either base64 alphabet, so a URL-safe key is read as its standard-alphabet equivalent.
 */
export const defaultJsonSignatureVerifier: JsonSignatureVerifier = (obj, serverName, keyId, publicKeyB64) =>
  verifyJsonSignature(obj, serverName, keyId, publicKeyB64.replace(/-/g, "+").replace(/_/g, "/"));
