import type { SrvRecord } from "node:dns";

/** The DNS queries discovery needs; injectable so tests need no network. */
export interface DiscoveryDns {
  /** Rejects (e.g. ENOTFOUND, ENODATA) when there is no such record. */
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

/**
 * The SRV target to use: lowest priority, then highest weight (deterministic rather than RFC 2782's
 * weighted random choice). Undefined when there are no records or the service is declared absent
 * (a single record with target ".").
 */
export function pickSrvTarget(records: readonly SrvRecord[]): { host: string; port: number } | undefined {
  const usable = records.filter((r) => r.name !== "" && r.name !== "." && r.port > 0);
  const [best] = [...usable].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  return best === undefined ? undefined : { host: best.name.replace(/\.$/, ""), port: best.port };
}

/** The first of `_matrix-fed._tcp.<host>` and the deprecated `_matrix._tcp.<host>` that answers. */
export async function lookupMatrixSrv(
  dns: DiscoveryDns,
  hostname: string,
): Promise<{ host: string; port: number } | undefined> {
  for (const service of ["_matrix-fed._tcp", "_matrix._tcp"]) {
    try {
      const target = pickSrvTarget(await dns.resolveSrv(`${service}.${hostname}`));
      if (target) return target;
    } catch {
      // No record (or a DNS failure): try the next name, then the default port.
    }
  }
  return undefined;
}
