import type { ResolvedServer, ServerResolver } from "../client/undici-transport.ts";
import { parseServerName } from "./server-name.ts";

export const DEFAULT_FEDERATION_PORT = 8448;

/**
 * Server name → address. So far: IP literals and explicit ports as given, anything else on port 8448
 * with the name as Host and TLS name.
 */
export function createServerResolver(): ServerResolver {
  return {
    async resolve(serverName: string): Promise<ResolvedServer> {
      const parsed = parseServerName(serverName);
      if (!parsed) throw new Error(`Invalid server name ${serverName}`);
      return {
        host: parsed.host,
        port: parsed.port ?? DEFAULT_FEDERATION_PORT,
        hostHeader: serverName,
        tlsName: parsed.host,
      };
    },
  };
}
