import { readdir } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { Session } from "../../src/accounts/session.ts";
import type { Homeserver } from "../../src/homeserver.ts";
import { bearer } from "../support/users.ts";

/** POST /_matrix/media/v3/upload in-process; returns the response and its JSON. */
export async function upload(
  hs: Homeserver,
  session: Session | undefined,
  bytes: Uint8Array | string,
  contentType?: string,
  filename?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = session ? bearer(session) : {};
  if (contentType !== undefined) headers["content-type"] = contentType;
  const query = filename === undefined ? "" : `?filename=${encodeURIComponent(filename)}`;
  const res = await hs.app().request(`/_matrix/media/v3/upload${query}`, {
    method: "POST",
    headers,
    body: typeof bytes === "string" ? bytes : Buffer.from(bytes),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Uploads and returns the `server/mediaId` part of the mxc URI (fails the test otherwise). */
export async function uploadOk(
  hs: Homeserver,
  session: Session,
  bytes: Uint8Array | string,
  contentType?: string,
  filename?: string,
): Promise<string> {
  const res = await upload(hs, session, bytes, contentType, filename);
  if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return String(res.body.content_uri).replace(/^mxc:\/\//, "");
}

export async function get(
  hs: Homeserver,
  urlPath: string,
  session?: Session,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await hs.app().request(urlPath, { headers: { ...(session ? bearer(session) : {}), ...headers } });
}

/** Every content file in the store (not temp files), recursively. */
export async function storedFiles(hs: Homeserver): Promise<string[]> {
  const root = hs.ctx.config.media.store_path;
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(path.relative(root, full));
    }
  };
  await walk(root);
  return out;
}

export const contentFiles = async (hs: Homeserver): Promise<string[]> =>
  (await storedFiles(hs)).filter((f) => !f.startsWith("tmp"));
export const tempFiles = async (hs: Homeserver): Promise<string[]> =>
  (await storedFiles(hs)).filter((f) => f.startsWith("tmp"));

export function jpeg(width: number, height: number, opts: { orientation?: number } = {}): Promise<Buffer> {
  let img = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } }).jpeg();
  if (opts.orientation !== undefined) img = img.withMetadata({ orientation: opts.orientation });
  return img.toBuffer();
}

export function png(width: number, height: number, alpha = false): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: alpha ? 4 : 3, background: { r: 10, g: 120, b: 200, alpha: 0.5 } },
  })
    .png()
    .toBuffer();
}
