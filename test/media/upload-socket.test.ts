import { EventEmitter, once } from "node:events";
import { connect } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Session } from "../../src/accounts/session.ts";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { contentFiles, tempFiles } from "./media-support.ts";

/*
 * Uploads over a real socket: the body streams through @hono/node-server, past the 1 MiB JSON limit,
 * and a client that breaks off mid-body leaves neither a file nor a row.
 */

let hs: TestHomeserver;
let alice: Session;
let port: number;
const requests = new EventEmitter();

beforeAll(async () => {
  // Request log lines tell the test when the server has finished with an aborted upload.
  const logger = pino(
    { level: "info" },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: string; route?: string; status?: number };
        if (entry.msg === "request") requests.emit("done", entry);
      },
    },
  );
  hs = await startTestHomeserver({ media: { max_upload_bytes: 8 * 1024 * 1024 } }, { logger });
  alice = await createTestUser(hs, "alice");
  const [listener] = await hs.listen();
  port = listener?.port ?? 0;
});
afterAll(() => hs?.destroy());

describe("uploads over a socket", () => {
  it("streams a 3 MiB upload (over the JSON body limit) and serves it back", async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const res = await fetch(`http://127.0.0.1:${port}/_matrix/media/v3/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(res.status).toBe(200);
    const { content_uri: uri } = (await res.json()) as { content_uri: string };
    const back = await fetch(`http://127.0.0.1:${port}/_matrix/client/v1/media/download/${uri.slice(6)}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(Buffer.from(await back.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("a body that breaks off before its Content-Length leaves no file and no row", async () => {
    const filesBefore = await contentFiles(hs);
    const rowsBefore = await hs.ctx.db.selectFrom("media").select("media_id").execute();
    const done = once(requests, "done");
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    socket.write(
      "POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: x\r\n" +
        `Authorization: Bearer ${alice.accessToken}\r\nContent-Type: application/octet-stream\r\n` +
        "Content-Length: 100000\r\n\r\n",
    );
    socket.write(Buffer.alloc(5000, 0x62));
    socket.destroy();
    const [entry] = (await done) as [{ status: number }];
    expect(entry.status).toBe(400);
    expect(await tempFiles(hs)).toEqual([]);
    expect(await contentFiles(hs)).toEqual(filesBefore);
    expect(await hs.ctx.db.selectFrom("media").select("media_id").execute()).toEqual(rowsBefore);
  });
});
