import { isJsonObject, type JsonObject } from "../../core/json.ts";
import { verifyJsonSignature } from "../../core/signing.ts";
import type { FederationClient } from "../contracts.ts";
import { KeyResponseError, parseServerKeyResponse, type ParsedKeyResponse } from "./key-response.ts";
import type { KeySource } from "./key-source.ts";

export interface TrustedKeyServer {
  server_name: string;
  /** Pinned keys (key id → unpadded base64); without them the notary's own keys are looked up. */
  verify_keys?: Record<string, string>;
}

export interface NotarySourceDeps {
  client: FederationClient;
  clock: () => number;
  /** Checks the notary's signature with its fetched keys (used when none are pinned). */
  verifyNotarySignature: (notary: string, obj: JsonObject, atTs: number) => Promise<void>;
}

/**
 * Asks a notary (`GET /_matrix/key/v2/query/{serverName}`) and keeps the answers that carry both a
 * valid self-signature of the server and the notary's signature.
 */
export function notaryKeySource(notary: TrustedKeyServer, deps: NotarySourceDeps): KeySource {
  const pinned = Object.entries(notary.verify_keys ?? {});
  const signedByNotary = async (entry: JsonObject, now: number): Promise<boolean> => {
    if (pinned.length > 0) {
      return pinned.some(([keyId, key]) => verifyJsonSignature(entry, notary.server_name, keyId, key));
    }
    try {
      await deps.verifyNotarySignature(notary.server_name, entry, now);
      return true;
    } catch {
      return false;
    }
  };
  return {
    name: `notary ${notary.server_name}`,
    async fetch(server: string, minimumValidUntilTs: number): Promise<ParsedKeyResponse[]> {
      // A notary is never asked about itself: looking up its keys must not go through itself.
      if (server === notary.server_name) throw new KeyResponseError("A notary does not vouch for itself");
      const res = await deps.client.request({
        destination: notary.server_name,
        method: "GET",
        path:
          `/_matrix/key/v2/query/${encodeURIComponent(server)}` +
          `?minimum_valid_until_ts=${Math.max(0, Math.floor(minimumValidUntilTs))}`,
        timeoutMs: 10_000,
      });
      const entries = isJsonObject(res.body) ? res.body.server_keys : undefined;
      if (res.status !== 200 || !Array.isArray(entries)) {
        throw new KeyResponseError(`Notary ${notary.server_name} answered ${res.status}`);
      }
      const now = deps.clock();
      const out: ParsedKeyResponse[] = [];
      for (const entry of entries) {
        if (!isJsonObject(entry) || entry.server_name !== server) continue;
        let parsed: ParsedKeyResponse;
        try {
          parsed = parseServerKeyResponse(entry, server, now);
        } catch {
          continue;
        }
        if (await signedByNotary(entry, now)) out.push(parsed);
      }
      return out;
    },
  };
}
