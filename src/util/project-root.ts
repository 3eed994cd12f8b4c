import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout's root (where package.json and migrations/ live), found by walking up from this
 * module, so the same code works from src/ (tsx, tests) and from the bundle in dist/.
 */
function findProjectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find Hearth's package.json above its code");
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT: string = findProjectRoot();
