import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The configured ffmpeg, else the first `ffmpeg` on PATH; undefined when there is none. */
export async function findFfmpeg(
  configured: string | undefined,
  envPath = process.env.PATH ?? "",
): Promise<string | undefined> {
  if (configured !== undefined) return (await isExecutable(configured)) ? configured : undefined;
  for (const dir of envPath.split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, "ffmpeg");
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/**
 * The first video frame as PNG bytes. The input goes after `-i` as a plain path argument (no shell),
 * and the output is a pipe, so nothing in the file name or content can steer ffmpeg elsewhere.
 */
export function posterFrame(ffmpeg: string, videoFile: string, timeoutMs = 15_000): Promise<Buffer> {
  const args = [
    "-nostdin",
    "-hide_banner",
    "-loglevel",
    "error",
    "-i",
    videoFile,
    "-frames:v",
    "1",
    "-f",
    "image2pipe",
    "-vcodec",
    "png",
    "pipe:1",
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FRAME_BYTES) child.kill("SIGKILL");
      else chunks.push(chunk);
    });
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0 && size > 0 && size <= MAX_FRAME_BYTES) resolve(Buffer.concat(chunks));
      else reject(new Error(`ffmpeg exited with ${code ?? "a signal"} and ${size} bytes`));
    });
  });
}
