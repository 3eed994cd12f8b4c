/** Legacy media API prefixes: r0 for old clients, v3 as specified. */
export function legacyMediaPaths(path: string): string[] {
  return [`/_matrix/media/v3${path}`, `/_matrix/media/r0${path}`];
}

export function authedMediaPaths(path: string): string[] {
  return [`/_matrix/client/v1/media${path}`];
}

const UPLOAD_PATH = /^\/_matrix\/media\/(?:v3|r0)\/upload(?:\/|$)/;

/** Upload bodies are files limited by media.max_upload_bytes, not by the JSON body limit. */
export function isMediaUploadPath(path: string): boolean {
  return UPLOAD_PATH.test(path);
}
