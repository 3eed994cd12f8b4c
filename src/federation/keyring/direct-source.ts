import type { FederationClient } from "../contracts.ts";
import { parseServerKeyResponse, KeyResponseError, type ParsedKeyResponse } from "./key-response.ts";
import type { KeySource } from "./key-source.ts";

/** Fetches `/_matrix/key/v2/server` from the server itself and checks its self-signature. */
export function directKeySource(client: FederationClient, clock: () => number): KeySource {
  return {
    name: "direct",
    async fetch(server: string): Promise<ParsedKeyResponse[]> {
      const res = await client.request({
        destination: server,
        method: "GET",
        path: "/_matrix/key/v2/server",
        timeoutMs: 10_000,
      });
      if (res.status !== 200) throw new KeyResponseError(`${server} answered ${res.status} for its keys`);
      return [parseServerKeyResponse(res.body, server, clock())];
    },
  };
}
