import type { ParsedKeyResponse } from "./key-response.ts";

/** Somewhere the keyring can get a server's keys from: the server itself, or a notary. */
export interface KeySource {
  /** For logs. */
  readonly name: string;
  /**
   * Verified key responses for `server` (several from a notary that kept older ones). Throws when the
   * source cannot answer; an empty list means it knows no keys for the server.
   */
  fetch(server: string, minimumValidUntilTs: number): Promise<ParsedKeyResponse[]>;
}
