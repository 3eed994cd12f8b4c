import { randomBytes } from "node:crypto";
import { isValidServerName } from "../config/validators.ts";
import { invalidParam } from "../errors.ts";
import type { MediaKey } from "../storage/media/media.ts";

/** The spec's media id grammar; anything else (dots, slashes, `%2F`) never reaches storage or a path. */
const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

export function isValidMediaId(mediaId: string): boolean {
  return MEDIA_ID.test(mediaId);
}

/** The (serverName, mediaId) of a request path, or 400 M_INVALID_PARAM for ids that cannot exist. */
export function mediaKeyOf(serverName: string, mediaId: string): MediaKey {
  if (!isValidServerName(serverName)) throw invalidParam("'serverName' is not a valid server name");
  if (!isValidMediaId(mediaId)) throw invalidParam("'mediaId' may only contain A-Z, a-z, 0-9, _ and -");
  return { serverName, mediaId };
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** 24 letters ≈ 137 random bits: unguessable, so media ids cannot be enumerated. */
export function newMediaId(): string {
  const bytes = randomBytes(24);
  let id = "";
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}

export const mxcUri = (key: MediaKey): string => `mxc://${key.serverName}/${key.mediaId}`;
