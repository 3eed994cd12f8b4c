/**
 * The keyring: other servers' verify keys, from memory, then the database, then the network (the
 * server itself, then configured notaries), and the signature checks that need them.
 */
import { isJsonObject, type JsonObject } from "../../core/json.ts";
import type { Pdu } from "../../core/pdu.ts";
import type { RoomVersion } from "../../core/room-versions.ts";
import {
  capKeyValidUntil,
  isKeyValidForEvent,
  isOldKeyValidForEvent,
  requiredSignatureServers,
} from "../../core/signature-requirements.ts";
import { verifyEventSignature } from "../../core/hashes.ts";
import { verifyJsonSignature } from "../../core/signing.ts";
import { encodeCanonicalJson } from "../../core/canonical-json.ts";
import type { ServerKeys } from "../../keys/signing-key-file.ts";
import type { Db } from "../../storage/database.ts";
import { loadServerKeys, storeServerKeys } from "../../storage/federation/server-keys.ts";
import type { Logger } from "../../util/logger.ts";
import { SignatureVerificationError, type Keyring } from "../contracts.ts";
import type { ParsedKeyResponse, ServerKeyRecord } from "./key-response.ts";
import type { KeySource } from "./key-source.ts";

/**
 * After asking the network about a server, do not ask again this soon: a flood of requests signed
 * with made-up key ids must not become a flood of key fetches.
 */
export const MIN_REFETCH_INTERVAL_MS = 10_000;

export interface KeyringDeps {
  serverName: string;
  /** Our own keys: never fetched, always trusted. */
  ownKeys: ServerKeys;
  db: Db;
  clock: () => number;
  log: Logger;
  /** Tried in order until the needed keys are known (the server itself first, then notaries). */
  sources: readonly KeySource[];
}

type Usable = (key: ServerKeyRecord) => boolean;
type Check = (keyId: string, publicKey: string) => boolean;

/** The ed25519 key ids `server` signed `obj` with. */
function signingKeyIds(obj: JsonObject, server: string): string[] {
  const sigs = isJsonObject(obj.signatures) ? obj.signatures : undefined;
  const mine = sigs && Object.hasOwn(sigs, server) ? sigs[server] : undefined;
  return isJsonObject(mine) ? Object.keys(mine).filter((k) => k.startsWith("ed25519:")) : [];
}

export class ServerKeyring implements Keyring {
  private readonly cache = new Map<string, Map<string, ServerKeyRecord>>();
  private readonly loading = new Map<string, Promise<Map<string, ServerKeyRecord>>>();
  private readonly fetching = new Map<string, Promise<void>>();
  private readonly lastFetch = new Map<string, number>();
  private readonly own: Map<string, ServerKeyRecord>;

  constructor(private readonly deps: KeyringDeps) {
    const forever = Number.MAX_SAFE_INTEGER;
    const { current, old } = deps.ownKeys;
    const own: ServerKeyRecord[] = [
      {
        serverName: deps.serverName,
        keyId: current.keyId,
        publicKey: current.publicKey,
        validUntilTs: forever,
        fetchedTs: forever,
      },
      ...old.map((k) => ({
        serverName: deps.serverName,
        keyId: k.keyId,
        publicKey: k.publicKey,
        validUntilTs: forever,
        expiredTs: k.expiredTs,
        fetchedTs: forever,
      })),
    ];
    this.own = new Map(own.map((k) => [k.keyId, k]));
  }

  async verifyServerSignature(server: string, obj: JsonObject, atTs: number): Promise<void> {
    const usable: Usable = (k) =>
      k.expiredTs !== undefined ? atTs <= k.expiredTs : atTs <= capKeyValidUntil(k.validUntilTs, k.fetchedTs);
    await this.verifyWith(server, signingKeyIds(obj, server), atTs, usable, (keyId, publicKey) =>
      verifyJsonSignature(obj, server, keyId, publicKey),
    );
  }

  async verifyEventSignatures(pdu: Pdu, version: RoomVersion): Promise<void> {
    let servers: string[];
    try {
      servers = requiredSignatureServers(pdu, version);
    } catch (err) {
      throw new SignatureVerificationError(
        "",
        `Cannot tell which servers must sign: ${(err as Error).message}`,
      );
    }
    const ts = pdu.origin_server_ts;
    if (typeof ts !== "number" || !Number.isSafeInteger(ts)) {
      throw new SignatureVerificationError("", "Event has no valid origin_server_ts");
    }
    const usable: Usable = (k) =>
      k.expiredTs !== undefined
        ? isOldKeyValidForEvent(k.expiredTs, ts)
        : isKeyValidForEvent(version, capKeyValidUntil(k.validUntilTs, k.fetchedTs), ts);
    await Promise.all(
      servers.map((server) =>
        this.verifyWith(server, signingKeyIds(pdu, server), ts, usable, (keyId, publicKey) =>
          verifyEventSignature(pdu, version, server, keyId, publicKey),
        ),
      ),
    );
  }

  /** Known keys of `server` (for tests and the notary endpoints), fetching none. */
  async knownKeys(server: string): Promise<ServerKeyRecord[]> {
    return [...(await this.keysOf(server)).values()];
  }

  /**
   * Passes when one of `keyIds` is a usable key whose check passes. When some of them are unknown or
   * not valid long enough, asks the network once and tries again.
   */
  private async verifyWith(
    server: string,
    keyIds: string[],
    neededTs: number,
    usable: Usable,
    check: Check,
  ): Promise<void> {
    if (keyIds.length === 0)
      throw new SignatureVerificationError(server, `No ed25519 signature by ${server}`);
    const attempt = async (): Promise<{ ok: boolean; missing: boolean }> => {
      const keys = await this.keysOf(server);
      let missing = false;
      for (const keyId of keyIds) {
        const key = keys.get(keyId);
        if (key === undefined || !usable(key)) {
          missing = true;
        } else if (check(keyId, key.publicKey)) {
          return { ok: true, missing };
        }
      }
      return { ok: false, missing };
    };
    let result = await attempt();
    if (result.ok) return;
    if (result.missing && server !== this.deps.serverName) {
      await this.refresh(server, neededTs);
      result = await attempt();
      if (result.ok) return;
    }
    throw new SignatureVerificationError(
      server,
      result.missing
        ? `No valid key of ${server} among ${keyIds.join(", ")}`
        : `Signature by ${server} does not verify`,
    );
  }

  private async keysOf(server: string): Promise<Map<string, ServerKeyRecord>> {
    if (server === this.deps.serverName) return this.own;
    const cached = this.cache.get(server);
    if (cached) return cached;
    let loading = this.loading.get(server);
    if (!loading) {
      loading = loadServerKeys(this.deps.db, server).then((rows) => {
        const map = this.cache.get(server) ?? new Map<string, ServerKeyRecord>();
        for (const row of rows) mergeKey(map, row);
        this.cache.set(server, map);
        return map;
      });
      this.loading.set(server, loading);
      void loading.finally(() => this.loading.delete(server)).catch(() => undefined);
    }
    return loading;
  }

  /**
   * Asks the sources about `server` (the server itself, then notaries), one request at a time per
   * server, at most once per MIN_REFETCH_INTERVAL_MS. Failures are logged, never thrown.
   */
  async refresh(server: string, minimumValidUntilTs: number): Promise<void> {
    const inflight = this.fetching.get(server);
    if (inflight) return inflight;
    const last = this.lastFetch.get(server);
    if (last !== undefined && this.deps.clock() - last < MIN_REFETCH_INTERVAL_MS) return;
    const run = this.fetchFromSources(server, minimumValidUntilTs).finally(() => {
      this.lastFetch.set(server, this.deps.clock());
      this.fetching.delete(server);
    });
    this.fetching.set(server, run);
    return run;
  }

  private async fetchFromSources(server: string, minimumValidUntilTs: number): Promise<void> {
    for (const source of this.deps.sources) {
      let responses: ParsedKeyResponse[];
      try {
        responses = await source.fetch(server, minimumValidUntilTs);
      } catch (err) {
        this.deps.log.info({ server, source: source.name, err: (err as Error).message }, "key fetch failed");
        continue;
      }
      await this.store(server, responses);
      // Stop at the first source whose answer is fresh enough; otherwise let a notary try.
      if (responses.some((r) => r.validUntilTs >= minimumValidUntilTs)) return;
    }
  }

  private async store(server: string, responses: ParsedKeyResponse[]): Promise<void> {
    const map = await this.keysOf(server);
    for (const response of responses) {
      for (const key of response.keys) mergeKey(map, key);
      try {
        await storeServerKeys(
          this.deps.db,
          response.keys,
          encodeCanonicalJson(response.json, { strict: false }),
        );
      } catch (err) {
        // The memory cache still has them; a database hiccup must not fail the request that needed them.
        this.deps.log.warn({ server, err: (err as Error).message }, "could not store server keys");
      }
    }
  }
}

/** Keeps whichever record of a key comes from the later response. */
function mergeKey(map: Map<string, ServerKeyRecord>, key: ServerKeyRecord): void {
  const existing = map.get(key.keyId);
  if (existing === undefined || existing.validUntilTs <= key.validUntilTs) map.set(key.keyId, key);
}
