import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP } from "node:net";
import { rootCertificates } from "node:tls";
import { Agent, buildConnector } from "undici";
import type { AddressPolicy } from "../../util/address-policy.ts";

export interface FederationAgentOptions {
  policy: AddressPolicy;
  /** PEM certificates to trust besides the system store; undefined uses the system store only. */
  ca?: string[];
  verifyCertificates: boolean;
  connectTimeoutMs: number;
  /** Injected in tests; defaults to the system resolver. */
  lookup?: typeof dnsLookup;
}

export class BlockedAddressError extends Error {
  override name = "BlockedAddressError";
  readonly code = "EBLOCKEDADDRESS";
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A DNS lookup that drops addresses the policy refuses. It runs inside the socket connect, so the
 * address checked is the address connected to: a name that resolves to a public address for a
 * check and a private one for the connection (DNS rebinding) cannot slip through.
 */
function guardedLookup(policy: AddressPolicy, lookup: typeof dnsLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "");
      const allowed = addresses.filter((a) => policy.allows(a.address));
      if (allowed.length === 0) {
        return callback(new BlockedAddressError(`${hostname} resolves only to refused addresses`), "");
      }
      if (options.all) return callback(null, allowed);
      const first = allowed[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * The pooled agent for federation: keep-alive connection reuse, TLS checked against the system store
 * plus `trusted_ca_files`, and the private-address policy applied at connect time.
 */
export function createFederationAgent(opts: FederationAgentOptions): Agent {
  const connector = buildConnector({
    timeout: opts.connectTimeoutMs,
    rejectUnauthorized: opts.verifyCertificates,
    ...(opts.ca ? { ca: [...rootCertificates, ...opts.ca] } : {}),
    lookup: guardedLookup(opts.policy, opts.lookup ?? dnsLookup),
  } as buildConnector.BuildOptions);
  return new Agent({
    keepAliveTimeout: 30_000,
    connections: 8,
    connect: (options, callback) => {
      // An IP literal skips DNS, so the lookup above never sees it: check it here.
      const literal = options.hostname.replace(/^\[|\]$/g, "");
      if (isIP(literal) !== 0 && !opts.policy.allows(literal)) {
        callback(new BlockedAddressError(`${options.hostname} is a refused address`), null);
        return;
      }
      connector(options, callback);
    },
  });
}
