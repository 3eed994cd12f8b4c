/** What the key backup replacement rules compare about a backed-up megolm session. */
export interface BackedUpKeyRank {
  isVerified: boolean;
  firstMessageIndex: number;
  forwardedCount: number;
}

/**
 * Whether an uploaded session key should replace the stored one (spec: "Server-side key backups",
 * storing keys): a verified key beats an unverified one; with equal verification, the lower
 * first_message_index (it decrypts more history) wins, then the lower forwarded_count. A key that is
 * no better leaves the stored one in place.
 */
export function shouldReplaceBackedUpKey(
  stored: BackedUpKeyRank | undefined,
  next: BackedUpKeyRank,
): boolean {
  if (stored === undefined) return true;
  if (next.isVerified !== stored.isVerified) return next.isVerified;
  if (next.firstMessageIndex !== stored.firstMessageIndex) {
    return next.firstMessageIndex < stored.firstMessageIndex;
  }
  return next.forwardedCount < stored.forwardedCount;
}
