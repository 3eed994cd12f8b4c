import { Agent, request } from "undici";

/** A minimal Matrix client for load: raw requests over a keep-alive pool, no SDK overhead. */
export class BenchClient {
  userId = "";
  accessToken = "";
  private txn = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly agent: Agent,
  ) {}

  async call<T = Record<string, unknown>>(
    method: "GET" | "POST" | "PUT",
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<{ status: number; json: T }> {
    const res = await request(`${this.baseUrl}${path}`, {
      method,
      dispatcher: this.agent,
      headers: {
        "content-type": "application/json",
        ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: (text ? JSON.parse(text) : {}) as T };
  }

  /** Registers through the spec's user-interactive auth with m.login.dummy. */
  async register(username: string, password: string): Promise<void> {
    const first = await this.call<{ session?: string }>("POST", "/_matrix/client/v3/register", {
      username,
      password,
    });
    const res = await this.call<{ user_id: string; access_token: string; errcode?: string }>(
      "POST",
      "/_matrix/client/v3/register",
      { username, password, auth: { type: "m.login.dummy", session: first.json.session } },
    );
    if (res.status !== 200)
      throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.json)}`);
    this.userId = res.json.user_id;
    this.accessToken = res.json.access_token;
  }

  async createRoom(body: Record<string, unknown>): Promise<string> {
    const res = await this.call<{ room_id: string }>("POST", "/_matrix/client/v3/createRoom", body);
    if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json.room_id;
  }

  /** Joins by id or alias; `via` names the servers to join through (a room on another server). */
  async join(roomId: string, via: readonly string[] = []): Promise<void> {
    const q = via.length > 0 ? `?${new URLSearchParams(via.map((v): [string, string] => ["via", v]))}` : "";
    const res = await this.call("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}${q}`, {});
    if (res.status !== 200) throw new Error(`join: ${res.status} ${JSON.stringify(res.json)}`);
  }

  async send(
    roomId: string,
    content: Record<string, unknown>,
  ): Promise<{ status: number; eventId?: string }> {
    this.txn += 1;
    const res = await this.call<{ event_id?: string }>(
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${this.txn}`,
      content,
    );
    return { status: res.status, eventId: res.json.event_id };
  }

  async sync(since?: string, timeoutMs = 0, signal?: AbortSignal): Promise<SyncResponse> {
    const q = new URLSearchParams({ timeout: String(timeoutMs) });
    if (since) q.set("since", since);
    const res = await this.call<SyncResponse>("GET", `/_matrix/client/v3/sync?${q}`, undefined, signal);
    if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  }

  /**
   * Long-polls /sync from `since` until `signal` aborts, handing `onEvents` every timeline event it
   * sees, also those a limited timeline skipped (fetched as a client would, see fillGap). Returns how
   * many syncs failed before the abort.
   */
  async follow(
    since: string,
    signal: AbortSignal,
    onEvents: (events: readonly TimelineEvent[]) => void,
  ): Promise<number> {
    let errors = 0;
    while (!signal.aborted) {
      try {
        const res = await this.sync(since, 5_000, signal);
        for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) {
          onEvents(room.timeline?.events ?? []);
          if (room.timeline?.limited && room.timeline.prev_batch) {
            onEvents(await this.fillGap(roomId, room.timeline.prev_batch, since));
          }
        }
        since = res.next_batch;
      } catch {
        if (!signal.aborted) errors += 1;
      }
    }
    return errors;
  }

  /**
   * What a client does with a limited timeline: pages back from its prev_batch to where the previous
   * sync ended (`to`), so the events the sync skipped are seen too.
   */
  async fillGap(roomId: string, from: string, to: string): Promise<TimelineEvent[]> {
    const events: TimelineEvent[] = [];
    let token: string | undefined = from;
    while (token) {
      const q: URLSearchParams = new URLSearchParams({ dir: "b", from: token, to, limit: "100" });
      const res: { status: number; json: { chunk?: TimelineEvent[]; end?: string } } = await this.call<{
        chunk?: TimelineEvent[];
        end?: string;
      }>("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${q}`);
      if (res.status !== 200) throw new Error(`messages: ${res.status} ${JSON.stringify(res.json)}`);
      const chunk: TimelineEvent[] = res.json.chunk ?? [];
      events.push(...chunk);
      token = chunk.length > 0 ? res.json.end : undefined;
    }
    return events;
  }
}

export interface TimelineEvent {
  event_id: string;
  type: string;
  content: { body?: string };
}

export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<
      string,
      { timeline?: { events?: TimelineEvent[]; limited?: boolean; prev_batch?: string } }
    >;
  };
}

export function newAgent(connections = 256): Agent {
  return new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000 });
}
