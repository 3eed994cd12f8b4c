import type { Session } from "../../src/accounts/session.ts";
import type { TestHomeserver } from "../support/homeserver.ts";
import { bearer } from "../support/users.ts";

/** A JSON request as `session` against the client API; returns status and parsed body. */
export async function call(
  hs: TestHomeserver,
  session: Session | undefined,
  method: string,
  path: string,
  body?: unknown,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await hs.app().request(`/_matrix/client/v3${path}`, {
    method,
    headers: { ...(session ? bearer(session) : {}), "content-type": "application/json" },
    body:
      body === undefined || method === "GET"
        ? undefined
        : typeof body === "string"
          ? body
          : JSON.stringify(body),
    ...init,
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

export const enc = encodeURIComponent;

type Json = Record<string, unknown>;

/** A room's section of a sync response (`join`, `invite`, `leave` or `knock`). */
export function roomSection(body: Json, kind: string, roomId: string): Json | undefined {
  const rooms = body.rooms as Json | undefined;
  return (rooms?.[kind] as Json | undefined)?.[roomId] as Json | undefined;
}

export interface SyncEvent {
  type: string;
  event_id?: string;
  sender?: string;
  state_key?: string;
  content: Json;
  unsigned?: Json;
}

export const timelineOf = (section: Json | undefined): SyncEvent[] =>
  ((section?.timeline as Json | undefined)?.events as SyncEvent[] | undefined) ?? [];
export const stateOf = (section: Json | undefined): SyncEvent[] =>
  ((section?.state as Json | undefined)?.events as SyncEvent[] | undefined) ?? [];
export const ephemeralOf = (section: Json | undefined): SyncEvent[] =>
  ((section?.ephemeral as Json | undefined)?.events as SyncEvent[] | undefined) ?? [];
export const accountDataOf = (section: Json | undefined): SyncEvent[] =>
  ((section?.account_data as Json | undefined)?.events as SyncEvent[] | undefined) ?? [];

export class RoomDriver {
  private txn = 0;
  constructor(private readonly hs: TestHomeserver) {}

  async createRoom(session: Session, body: Json = {}): Promise<string> {
    const res = await call(this.hs, session, "POST", "/createRoom", body);
    if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.room_id as string;
  }

  async send(session: Session, roomId: string, body: string, type = "m.room.message"): Promise<string> {
    const txnId = `txn${++this.txn}`;
    const res = await call(this.hs, session, "PUT", `/rooms/${enc(roomId)}/send/${enc(type)}/${txnId}`, {
      msgtype: "m.text",
      body,
    });
    if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.event_id as string;
  }

  async sendWithTxn(session: Session, roomId: string, txnId: string, content: Json): Promise<string> {
    const res = await call(
      this.hs,
      session,
      "PUT",
      `/rooms/${enc(roomId)}/send/m.room.message/${txnId}`,
      content,
    );
    if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.event_id as string;
  }

  async state(session: Session, roomId: string, type: string, content: Json, stateKey = ""): Promise<string> {
    const res = await call(
      this.hs,
      session,
      "PUT",
      `/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`,
      content,
    );
    if (res.status !== 200) throw new Error(`state: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.event_id as string;
  }

  async sync(session: Session, query: Record<string, string> = {}, init: RequestInit = {}): Promise<Json> {
    const qs = new URLSearchParams(query).toString();
    const res = await call(this.hs, session, "GET", `/sync${qs ? `?${qs}` : ""}`, undefined, init);
    if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/** Lets pending promise callbacks and I/O run until `done()` holds (no timers involved). */
export async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (done()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}
