import { createHash, randomBytes } from "node:crypto";

/** 256 random bits, URL-safe; the prefix tells a leaked string's kind at a glance (secret scanners too). */
export function newAccessToken(): string {
  return `hat_${randomBytes(32).toString("base64url")}`;
}

export function newRefreshToken(): string {
  return `hrt_${randomBytes(32).toString("base64url")}`;
}

/** Tokens are stored as SHA-256: they are long random strings, so a slow hash adds nothing. */
export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Device ids the server picks: 10 upper-case letters, like Synapse's. */
export function newDeviceId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => alphabet[b % 26]).join("");
}

/** Single-use m.login.token tokens (POST /login/get_token). */
export function newLoginToken(): string {
  return `hlt_${randomBytes(32).toString("base64url")}`;
}

/** User-interactive auth session ids: unguessable, since a session can carry completed stages. */
export function newUiaSessionId(): string {
  return randomBytes(24).toString("base64url");
}
