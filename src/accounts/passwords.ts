import { hash, verify } from "@node-rs/argon2";

/** `Algorithm.Argon2id` from @node-rs/argon2: a const enum, which isolatedModules cannot import. */
const ARGON2ID = 2;

/**
 * Argon2id at the library's defaults (19 MiB, 2 passes, 1 lane: the OWASP minimum), stored as a PHC
 * string so parameters can be raised later without invalidating existing hashes.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID });
}

/**
 * Hash of a random password nobody knows, verified against when the account does not exist or has no
 * password, so a wrong user name takes as long to refuse as a wrong password.
 */
const DECOY_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$7ZAZfpHBifdbmjBHdFpsag$Zf11Y7ZuUN2p2VDqUS1kAEJDIvQnmbH7PJ8Z2+wFsl0";

/** True when `password` matches `passwordHash`; null hashes never match (but cost the same time). */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  try {
    const ok = await verify(passwordHash ?? DECOY_HASH, password);
    return ok && passwordHash !== null;
  } catch {
    // A malformed stored hash is a refusal, not a 500.
    return false;
  }
}

/** Longest password accepted; hashing is bounded work, but megabyte "passwords" are only abuse. */
export const MAX_PASSWORD_LENGTH = 1024;
