import { randomBytes } from "node:crypto";
import type {
  FederationClient,
  FederationRequest,
  FederationResponse,
  Keyring,
} from "../../src/federation/contracts.ts";
import { SignatureVerificationError } from "../../src/federation/contracts.ts";
import { verifyEventSignature } from "../../src/core/hashes.ts";
import type { JsonObject, JsonValue } from "../../src/core/json.ts";
import type { IdentifiedPdu, Pdu } from "../../src/core/pdu.ts";
import type { RoomVersion } from "../../src/core/room-versions.ts";
import { requiredSignatureServers } from "../../src/core/signature-requirements.ts";
import { signingKeyFromSeed, type SigningKey } from "../../src/core/signing.ts";
import { stateTupleKey } from "../../src/core/state-key.ts";
import { authTypesForEvent } from "../../src/core/auth-rules.ts";
import type { HearthContext } from "../../src/context.ts";
import { buildEvent, federationPdu, type EventDraft } from "../../src/rooms/build-event.ts";
import { getCurrentStateIds } from "../../src/storage/rooms/current-state.ts";
import { getEvents } from "../../src/storage/rooms/events.ts";
import { receivePdu } from "../../src/federation/inbound/receive-pdu.ts";
import { processTransaction } from "../../src/federation/inbound/transaction.ts";
import { makeRoom, version } from "../rooms/helpers.ts";
import { getForwardExtremities } from "../../src/storage/rooms/forward-extremities.ts";
import type { FederationPeers } from "../../src/federation/inbound/peers.ts";

/** A keyring that knows a fixed set of servers' keys (what the real one would fetch). */
export function fakeKeyring(keys: Map<string, SigningKey>): Keyring {
  return {
    async verifyServerSignature() {
      throw new Error("not used");
    },
    async verifyEventSignatures(pdu: Pdu, version: RoomVersion) {
      for (const server of requiredSignatureServers(pdu, version)) {
        const key = keys.get(server);
        if (!key) throw new SignatureVerificationError(server, `no key for ${server}`);
        if (!verifyEventSignature(pdu, version, server, key.keyId, key.publicKey)) {
          throw new SignatureVerificationError(server, `bad signature by ${server}`);
        }
      }
    },
  };
}

export type FakeRoute = (req: FederationRequest) => JsonValue | undefined;

/** A client answering from a handler; requests it does not know get 404, and all are recorded. */
export function fakeClient(route: FakeRoute): FederationClient & { requests: FederationRequest[] } {
  const requests: FederationRequest[] = [];
  return {
    requests,
    async request(req): Promise<FederationResponse> {
      requests.push(req);
      const body = route(req);
      return body === undefined
        ? { status: 404, body: { errcode: "M_NOT_FOUND", error: "no" }, headers: new Headers() }
        : { status: 200, body, headers: new Headers() };
    },
  };
}

export function newKey(): SigningKey {
  return signingKeyFromSeed("ed25519:test", randomBytes(32));
}

/**
 * A remote server in tests: builds and signs events as `serverName` on top of what a local server has
 * stored, and serves them back through `route` (event, event_auth, get_missing_events, state_ids).
 */
export class RemoteServer {
  readonly events = new Map<string, IdentifiedPdu>();
  missingEvents: IdentifiedPdu[] = [];
  stateIds = new Map<string, { pdu_ids: string[]; auth_chain_ids: string[] }>();

  constructor(
    readonly serverName: string,
    readonly key: SigningKey,
    readonly version: RoomVersion,
  ) {}

  peers(local: Map<string, SigningKey>): FederationPeers & { client: ReturnType<typeof fakeClient> } {
    const keys = new Map(local);
    keys.set(this.serverName, this.key);
    return { keyring: fakeKeyring(keys), client: fakeClient((req) => this.route(req)) };
  }

  route(req: FederationRequest): JsonValue | undefined {
    const path = decodeURIComponent(req.path);
    let m = /^\/_matrix\/federation\/v1\/event\/(.+)$/.exec(path);
    if (m) {
      const ev = this.events.get(m[1]!);
      return ev ? { origin: this.serverName, origin_server_ts: 0, pdus: [this.wire(ev)] } : undefined;
    }
    m = /^\/_matrix\/federation\/v1\/get_missing_events\//.exec(path);
    if (m) return { events: this.missingEvents.map((e) => this.wire(e)) };
    m = /^\/_matrix\/federation\/v1\/state_ids\/[^?]+\?event_id=(.+)$/.exec(path);
    if (m) return this.stateIds.get(m[1]!);
    return undefined;
  }

  wire(ev: IdentifiedPdu): JsonObject {
    return federationPdu(this.version, ev);
  }

  /**
   * Builds an event by `sender` on `prev` (default: the local server's forward extremities), citing
   * auth events from the local server's current state unless `auth` is given.
   */
  async build(
    ctx: HearthContext,
    roomId: string,
    sender: string,
    draft: EventDraft,
    opts: { prev?: IdentifiedPdu[]; auth?: IdentifiedPdu[]; key?: SigningKey } = {},
  ): Promise<IdentifiedPdu> {
    const prev =
      opts.prev ??
      [
        ...(
          await getEvents(
            ctx.db,
            (await getForwardExtremities(ctx.db, roomId)).map((e) => e.eventId),
          )
        ).values(),
      ].map((e) => e.pdu);
    let auth = opts.auth;
    if (!auth) {
      const state = await getCurrentStateIds(ctx.db, roomId);
      const ids = authTypesForEvent(this.version, {
        type: draft.type,
        sender,
        state_key: draft.stateKey,
        content: draft.content,
      })
        .map(([t, k]) => state.get(stateTupleKey(t, k)))
        .filter((id): id is string => id !== undefined);
      const events = await getEvents(ctx.db, ids);
      auth = ids.map((id) => events.get(id)!.pdu);
    }
    const ev = buildEvent({
      version: this.version,
      roomId,
      sender,
      draft,
      prevEvents: prev,
      authEvents: auth,
      originServerTs: Date.now(),
      serverName: this.serverName,
      key: opts.key ?? this.key,
    });
    this.events.set(ev.event_id, ev);
    return ev;
  }
}

/**
 * A public room of `creator` on the local server with `member`, a user of the remote server, joined
 * over federation (its join received as a PDU and accepted): where most receive tests start.
 */
export async function roomWithRemoteMember(
  ctx: HearthContext,
  opts: { creator: string; member: string; version?: string },
): Promise<{
  remote: RemoteServer;
  peers: ReturnType<RemoteServer["peers"]>;
  roomId: string;
  join: IdentifiedPdu;
}> {
  const v = opts.version ?? "12";
  const remoteName = opts.member.slice(opts.member.indexOf(":") + 1);
  const remote = new RemoteServer(remoteName, newKey(), version(v));
  const peers = remote.peers(new Map([[ctx.serverName, ctx.keys.current]]));
  const { roomId } = await makeRoom(ctx, opts.creator, { preset: "public_chat", version: version(v) });
  const join = await remote.build(ctx, roomId, opts.member, {
    type: "m.room.member",
    stateKey: opts.member,
    content: { membership: "join" },
  });
  const res = await receivePdu(ctx, peers, remoteName, remote.wire(join));
  if (res.outcome !== "accepted") throw new Error(`the remote member's join was not accepted: ${res.error}`);
  return { remote, peers, roomId, join };
}

/**
 * Sends PDUs built by `remote` to the local server as `PUT /send` transactions from the remote
 * server, each under a new transaction id, and resolves with the answer.
 */
export function pduSender(
  ctx: HearthContext,
  remote: RemoteServer,
  peers: FederationPeers,
): (pdus: readonly IdentifiedPdu[]) => Promise<JsonObject> {
  const prefix = randomBytes(6).toString("hex");
  let n = 0;
  return (pdus) =>
    processTransaction(ctx, peers, ctx.federationInbound, remote.serverName, `${prefix}.${++n}`, {
      origin: remote.serverName,
      origin_server_ts: 1,
      pdus: pdus.map((p) => remote.wire(p)),
      edus: [],
    });
}
