import { resolve } from "node:path";
import type { HearthConfig } from "./schema.ts";

/**
 * Makes every filesystem path in the config absolute against `baseDir` (the config file's directory,
 * or the working directory without a file), so a config means the same thing whatever directory the
 * server is later started from. Derived paths (media store, signing key) were built from data_dir
 * before this runs, so they follow it.
 */
export function resolvePaths(config: HearthConfig, baseDir: string): HearthConfig {
  const abs = (p: string) => resolve(baseDir, p);
  return {
    ...config,
    data_dir: abs(config.data_dir),
    signing_key_path: abs(config.signing_key_path),
    media: { ...config.media, store_path: abs(config.media.store_path) },
    listeners: config.listeners.map((l) =>
      l.tls === undefined ? l : { ...l, tls: { cert: abs(l.tls.cert), key: abs(l.tls.key) } },
    ),
    federation: { ...config.federation, trusted_ca_files: config.federation.trusted_ca_files.map(abs) },
  };
}
