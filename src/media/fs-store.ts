import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { assertContentKey, type MediaStore } from "./store.ts";

/** Content-addressed files under `root`: `ab/cd/abcd…` (two fan-out levels keep directories small). */
export async function createFilesystemStore(root: string): Promise<MediaStore> {
  const tmpDir = path.join(root, "tmp");
  await mkdir(tmpDir, { recursive: true });
  const fileFor = (sha256: string): string => {
    assertContentKey(sha256);
    return path.join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  };
  const exists = async (file: string): Promise<boolean> =>
    access(file).then(
      () => true,
      () => false,
    );

  return {
    tempPath: () => path.join(tmpDir, `${Date.now()}-${randomBytes(8).toString("hex")}`),
    async put(tempFile, sha256) {
      const target = fileFor(sha256);
      if (await exists(target)) {
        await rm(tempFile, { force: true });
        return;
      }
      await mkdir(path.dirname(target), { recursive: true });
      // rename is atomic: readers see either no file or the whole file.
      await rename(tempFile, target);
    },
    async putBytes(bytes, sha256) {
      const target = fileFor(sha256);
      if (await exists(target)) return;
      await mkdir(path.dirname(target), { recursive: true });
      const temp = path.join(tmpDir, `${Date.now()}-${randomBytes(8).toString("hex")}`);
      await writeFile(temp, bytes);
      await rename(temp, target);
    },
    async read(sha256, range) {
      const file = fileFor(sha256);
      await access(file);
      return createReadStream(file, range ? { start: range.start, end: range.end } : {});
    },
    async localPath(sha256) {
      const file = fileFor(sha256);
      await access(file);
      return file;
    },
    has: (sha256) => exists(fileFor(sha256)),
    async delete(sha256) {
      await rm(fileFor(sha256), { force: true });
    },
  };
}
