import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeBase64, encodeBase64 } from "../core/base64.ts";
import { signingKeyFromSeed, type SigningKey } from "../core/signing.ts";

/** A key we no longer sign with, still published so others can check what it signed. */
export interface OldVerifyKey {
  keyId: string;
  publicKey: string;
  expiredTs: number;
}

export interface ServerKeys {
  current: SigningKey;
  old: OldVerifyKey[];
}

const KEY_ID = /^ed25519:[a-zA-Z0-9_]{1,32}$/;

export class SigningKeyFileError extends Error {}

function newKeyId(): string {
  // Synapse-style `a_XXXX` versions: short, alphanumeric, unlikely to repeat across rotations.
  return `ed25519:a_${randomBytes(6).toString("base64url").replace(/[-_]/g, "x").slice(0, 4)}`;
}

/** The Synapse signing key format: one line `ed25519 <version> <unpadded base64 seed>`. */
function parseKeyFile(text: string, file: string): SigningKey {
  const line = text.split("\n").find((l) => l.trim() !== "");
  const parts = line?.trim().split(/\s+/) ?? [];
  const [alg, version, seedB64] = parts;
  const keyId = `${alg}:${version}`;
  if (parts.length !== 3 || alg !== "ed25519" || !KEY_ID.test(keyId) || !seedB64) {
    throw new SigningKeyFileError(`${file}: expected a line "ed25519 <version> <base64 seed>"`);
  }
  const seed = decodeBase64(seedB64);
  if (seed.length !== 32) throw new SigningKeyFileError(`${file}: the seed must be 32 bytes`);
  return signingKeyFromSeed(keyId, seed);
}

function formatKeyFile(key: SigningKey): string {
  return `ed25519 ${key.keyId.slice("ed25519:".length)} ${encodeBase64(key.seed)}\n`;
}

/** Old keys file: one line `ed25519:<version> <unpadded base64 public key> <expired_ts>` per key. */
function parseOldKeys(text: string, file: string): OldVerifyKey[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const [keyId, publicKey, ts] = line.trim().split(/\s+/);
      const expiredTs = Number(ts);
      if (!keyId || !KEY_ID.test(keyId) || !publicKey || !Number.isSafeInteger(expiredTs)) {
        throw new SigningKeyFileError(`${file}: bad old key line "${line}"`);
      }
      return { keyId, publicKey, expiredTs };
    });
}

const oldKeysPath = (keyPath: string): string => `${keyPath}.old`;

async function writeSecret(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, file);
  await chmod(file, 0o600);
}

export async function readServerKeys(keyPath: string): Promise<ServerKeys> {
  const current = parseKeyFile(await readFile(keyPath, "utf8"), keyPath);
  const oldPath = oldKeysPath(keyPath);
  const old = existsSync(oldPath) ? parseOldKeys(await readFile(oldPath, "utf8"), oldPath) : [];
  return { current, old };
}

/** Loads the signing key, generating one (mode 0600) on first start. */
export async function loadOrCreateServerKeys(
  keyPath: string,
): Promise<{ keys: ServerKeys; created: boolean }> {
  if (existsSync(keyPath)) return { keys: await readServerKeys(keyPath), created: false };
  const current = signingKeyFromSeed(newKeyId(), randomBytes(32));
  await writeSecret(keyPath, formatKeyFile(current));
  return { keys: { current, old: [] }, created: true };
}

/** Replaces the signing key with a new one; the old one is kept as an old verify key expiring now. */
export async function rotateServerKeys(keyPath: string, now: number): Promise<ServerKeys> {
  const { keys } = await loadOrCreateServerKeys(keyPath);
  const retired: OldVerifyKey = {
    keyId: keys.current.keyId,
    publicKey: keys.current.publicKey,
    expiredTs: now,
  };
  let next = signingKeyFromSeed(newKeyId(), randomBytes(32));
  while (next.keyId === retired.keyId || keys.old.some((k) => k.keyId === next.keyId)) {
    next = signingKeyFromSeed(newKeyId(), randomBytes(32));
  }
  const old = [...keys.old, retired];
  await writeFile(
    oldKeysPath(keyPath),
    old.map((k) => `${k.keyId} ${k.publicKey} ${k.expiredTs}\n`).join(""),
    { mode: 0o644 },
  );
  await writeSecret(keyPath, formatKeyFile(next));
  return { current: next, old };
}
