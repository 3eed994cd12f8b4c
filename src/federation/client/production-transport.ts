import { readFile } from "node:fs/promises";
import type { HearthConfig } from "../../config/schema.ts";
import { AddressPolicy } from "../../util/address-policy.ts";
import { Resolver } from "node:dns/promises";
import { createServerResolver } from "../discovery/resolver.ts";
import { createWellKnownFetcher } from "../discovery/well-known-fetch.ts";
import { createFederationAgent } from "./agent.ts";
import type { FederationTransport } from "./transport.ts";
import { createUndiciTransport } from "./undici-transport.ts";

/** Largest response body accepted from another server (send_join answers for big rooms are large). */
export const MAX_FEDERATION_RESPONSE_BYTES = 256 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;

/** HTTPS delivery as the config says: trusted CAs, certificate checks, address policy. */
export async function createProductionTransport(
  config: HearthConfig,
  clock: () => number,
): Promise<FederationTransport> {
  const fed = config.federation;
  const ca =
    fed.trusted_ca_files.length === 0
      ? undefined
      : await Promise.all(fed.trusted_ca_files.map((file) => readFile(file, "utf8")));
  const agent = createFederationAgent({
    policy: new AddressPolicy(fed),
    ca,
    verifyCertificates: fed.verify_certificates,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
  });
  return createUndiciTransport({
    resolver: createServerResolver({
      dns: new Resolver({ timeout: 5_000, tries: 2 }),
      fetchWellKnown: createWellKnownFetcher(agent),
      clock,
    }),
    dispatcher: agent,
    maxResponseBytes: MAX_FEDERATION_RESPONSE_BYTES,
  });
}
