/**
 * The type a file's first bytes show. file-type is loaded on the first upload, not at start: it adds
 * ~11 MiB to a process that may never receive one.
 */
export async function sniffType(head: Uint8Array): Promise<{ mime: string } | undefined> {
  const { fileTypeFromBuffer } = await import("file-type");
  return fileTypeFromBuffer(head);
}
