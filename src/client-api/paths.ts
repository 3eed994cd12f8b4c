/**
 * Client API paths under every prefix they are served at. Endpoints that existed in r0 are served
 * there too (older clients and synadm still call r0); newer ones only under their spec version.
 */
export function clientPaths(path: string, opts: { r0?: boolean } = { r0: true }): string[] {
  const paths = [`/_matrix/client/v3${path}`];
  if (opts.r0 !== false) paths.push(`/_matrix/client/r0${path}`);
  return paths;
}

/** Paths introduced under `/_matrix/client/v1` (e.g. media, relations, threads). */
export function clientV1Paths(path: string): string[] {
  return [`/_matrix/client/v1${path}`];
}
