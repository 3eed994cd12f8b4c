import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { bearer, createTestUser } from "../support/users.ts";

// Bodies and disconnects over a real socket, where the body is read from Node's request directly
// (in-process app.request() tests take the web Request path instead).
let hs: TestHomeserver;
let base: string;
let alice: Session;

beforeAll(async () => {
  hs = await startTestHomeserver({
    http: { max_request_bytes: 1024 },
    listeners: [{ bind: "127.0.0.1", port: 0, resources: ["client"] }],
  });
  await hs.listen();
  base = `${hs.listeners[0]!.url}/_matrix/client/v3`;
  alice = await createTestUser(hs, "alice");
});
afterAll(() => hs?.destroy());

const json = (method: string, path: string, body?: string) =>
  fetch(`${base}${path}`, {
    method,
    headers: { ...bearer(alice), "content-type": "application/json" },
    body,
  });

/** Polls `done` until it holds: the server works on its own socket I/O meanwhile, for as long as that takes. */
async function eventually(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A request whose body goes out in chunks without a content-length, as a streaming client sends it. */
function chunked(path: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: "POST", headers: { ...bearer(alice), "content-type": "application/json" } },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe("request bodies on a Node listener", () => {
  it("stores what a client sends, byte for byte, and reads bodyless membership calls as {}", async () => {
    const created = await json("POST", "/createRoom", JSON.stringify({ name: "héllo ✓" }));
    expect(created.status).toBe(200);
    const roomId = ((await created.json()) as { room_id: string }).room_id;
    const sent = await json(
      "PUT",
      `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`,
      JSON.stringify({ msgtype: "m.text", body: "ünïcödé 🎉" }),
    );
    expect(sent.status).toBe(200);
    const { event_id } = (await sent.json()) as { event_id: string };
    const got = await json(
      "GET",
      `/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(event_id)}`,
    );
    expect(((await got.json()) as { content: unknown }).content).toEqual({
      msgtype: "m.text",
      body: "ünïcödé 🎉",
    });
    const name = await json("GET", `/rooms/${encodeURIComponent(roomId)}/state/m.room.name/`);
    expect(await name.json()).toEqual({ name: "héllo ✓" });
    // A body sent in several chunks arrives whole.
    const parts = chunked(
      `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(event_id)}`,
      ["{", "}"],
    );
    expect((await parts).status).toBe(200);
    expect((await json("POST", `/rooms/${encodeURIComponent(roomId)}/leave`)).status).toBe(200);
  });

  it("refuses a body over the limit with 413 M_TOO_LARGE, declared or streamed", async () => {
    const declared = await json("POST", "/createRoom", JSON.stringify({ name: "x".repeat(2000) }));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ errcode: "M_TOO_LARGE" });
    const streamed = await chunked("/createRoom", ['{"name":"', "x".repeat(600), "x".repeat(600), '"}']);
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ errcode: "M_TOO_LARGE" });
    // The connection is still usable afterwards, and nothing was created.
    const rooms = await json("GET", "/joined_rooms");
    expect(rooms.status).toBe(200);
  });

  it("answers malformed JSON with 400 M_NOT_JSON", async () => {
    const res = await json("POST", "/createRoom", "{nope");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errcode: "M_NOT_JSON" });
  });

  it("ends a long-poll /sync whose client went away, releasing its waiter", async () => {
    const first = (await (await json("GET", "/sync")).json()) as { next_batch: string };
    const aborter = new AbortController();
    const polling = fetch(`${base}/sync?timeout=30000&since=${encodeURIComponent(first.next_batch)}`, {
      headers: bearer(alice),
      signal: aborter.signal,
    }).catch(() => undefined);
    await eventually(() => hs.ctx.notifier.waiting === 1, "the long-poll to wait");
    aborter.abort();
    await polling;
    await eventually(() => hs.ctx.notifier.waiting === 0, "the waiter to go");
  });
});
