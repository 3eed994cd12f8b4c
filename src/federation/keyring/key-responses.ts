import { parseJson } from "../../core/json-parse.ts";
import { isJsonObject, type JsonObject } from "../../core/json.ts";
import { serverKeyResponse } from "../../keys/server-key-response.ts";
import type { ServerKeys } from "../../keys/signing-key-file.ts";
import type { Db } from "../../storage/database.ts";
import { loadServerKeyResponses } from "../../storage/federation/server-keys.ts";

/** What the notary endpoints serve: key responses as their servers signed them. */
export interface KeyResponseStore {
  /**
   * Known key responses of `server`, ours freshly made for ourselves. When none is valid until
   * `minimumValidUntilTs`, asks the network first (within the keyring's limits); cached responses
   * are returned even when that fails, as notaries do for servers that are offline.
   */
  keyResponses(server: string, minimumValidUntilTs: number): Promise<JsonObject[]>;
}

export interface KeyResponseStoreDeps {
  serverName: string;
  ownKeys: ServerKeys;
  db: Db;
  clock: () => number;
  refresh: (server: string, minimumValidUntilTs: number) => Promise<void>;
}

export function createKeyResponseStore(deps: KeyResponseStoreDeps): KeyResponseStore {
  const stored = async (server: string): Promise<{ json: JsonObject; validUntilTs: number }[]> =>
    (await loadServerKeyResponses(deps.db, server)).flatMap((r) => {
      const json = parseJson(r.responseJson);
      return isJsonObject(json) ? [{ json, validUntilTs: r.validUntilTs }] : [];
    });
  return {
    async keyResponses(server, minimumValidUntilTs) {
      if (server === deps.serverName) return [serverKeyResponse(deps.serverName, deps.ownKeys, deps.clock())];
      let responses = await stored(server);
      if (!responses.some((r) => r.validUntilTs >= minimumValidUntilTs)) {
        await deps.refresh(server, minimumValidUntilTs);
        responses = await stored(server);
      }
      return responses.map((r) => r.json);
    },
  };
}
