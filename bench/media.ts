import sharp from "sharp";
import { request } from "undici";
import type { BenchResult } from "./result.ts";
import { BenchClient, newAgent } from "./support/client.ts";
import { startBenchServer } from "./support/server.ts";
import { envInt, summarize } from "./support/stats.ts";

const MiB = 1024 * 1024;

/**
 * Media: upload and download throughput for 1 MiB and 20 MiB files (over a real socket, the server in
 * its own process), thumbnail time for a 12-megapixel JPEG (first request, so generated, and then
 * served from the store), and the server's RSS after it all.
 */
export async function benchMedia(): Promise<BenchResult[]> {
  const runs = envInt("BENCH_MEDIA_RUNS", 5);
  const server = await startBenchServer({
    resources: ["client", "media"],
    env: { HEARTH_MEDIA__MAX_UPLOAD_BYTES: String(64 * MiB) },
  });
  const agent = newAgent(8);
  const results: BenchResult[] = [];
  try {
    const alice = new BenchClient(server.url, agent);
    await alice.register("alice", "password-alice");
    const auth = { authorization: `Bearer ${alice.accessToken}` };

    const upload = async (bytes: Buffer, type: string): Promise<string> => {
      const res = await request(`${server.url}/_matrix/media/v3/upload`, {
        method: "POST",
        headers: { ...auth, "content-type": type },
        body: bytes,
        dispatcher: agent,
      });
      const json = (await res.body.json()) as { content_uri?: string };
      if (res.statusCode !== 200 || !json.content_uri) throw new Error(`upload failed: ${res.statusCode}`);
      return json.content_uri.slice("mxc://".length);
    };
    const download = async (path: string): Promise<number> => {
      const res = await request(`${server.url}/_matrix/client/v1/media/${path}`, {
        headers: auth,
        dispatcher: agent,
      });
      if (res.statusCode !== 200) throw new Error(`download failed: ${res.statusCode}`);
      let size = 0;
      for await (const chunk of res.body) size += (chunk as Buffer).length;
      return size;
    };

    for (const size of [1 * MiB, 20 * MiB]) {
      const up: number[] = [];
      const down: number[] = [];
      for (let i = 0; i < runs; i++) {
        // Distinct bytes each run, so content addressing does not turn uploads into no-ops.
        const bytes = Buffer.alloc(size, i + 1);
        bytes.writeUInt32BE(Date.now() >>> 0, 0);
        let t0 = performance.now();
        const id = await upload(bytes, "application/octet-stream");
        up.push(size / MiB / ((performance.now() - t0) / 1000));
        t0 = performance.now();
        if ((await download(`download/${id}`)) !== size) throw new Error("short download");
        down.push(size / MiB / ((performance.now() - t0) / 1000));
      }
      const label = `${size / MiB} MiB`;
      results.push({ name: `upload ${label}, median`, value: summarize(up).p50, unit: "MiB/s" });
      results.push({ name: `download ${label}, median`, value: summarize(down).p50, unit: "MiB/s" });
    }

    // 4000×3000 = 12 MP with noise, so it compresses like a photo rather than a flat colour.
    const noise = Buffer.alloc(400 * 300 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const photo = await sharp(noise, { raw: { width: 400, height: 300, channels: 3 } })
      .resize(4000, 3000, { kernel: "nearest" })
      .jpeg({ quality: 90 })
      .toBuffer();
    const generate: number[] = [];
    const cached: number[] = [];
    for (let i = 0; i < runs; i++) {
      const id = await upload(
        await sharp(photo)
          .jpeg({ quality: 90 - i })
          .toBuffer(), // distinct bytes each run
        "image/jpeg",
      );
      // An on-demand size (not pre-generated), so the first request really decodes the 12 MP image.
      let t0 = performance.now();
      await download(`thumbnail/${id}?width=1000&height=1000&method=scale`);
      generate.push(performance.now() - t0);
      t0 = performance.now();
      await download(`thumbnail/${id}?width=1000&height=1000&method=scale`);
      cached.push(performance.now() - t0);
    }
    results.push({
      name: `thumbnail 12 MP JPEG (${(photo.length / MiB).toFixed(1)} MiB) generated, median`,
      value: summarize(generate).p50,
      unit: "ms",
    });
    results.push({
      name: "thumbnail 12 MP JPEG served from store, median",
      value: summarize(cached).p50,
      unit: "ms",
    });
    results.push({ name: "server RSS after media runs", value: (await server.rss()) / MiB, unit: "MiB" });
    return results;
  } finally {
    await agent.close();
    await server.stop();
  }
}
