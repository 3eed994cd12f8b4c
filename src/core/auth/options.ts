import type { IdentifiedPdu } from "../pdu.ts";
import type { JsonSignatureVerifier } from "./third-party-invite.ts";

/** The non-pure checks the rules need, injected by the caller. */
export interface AuthOptions {
  /** Verifies third-party invite signatures (`signed` block against the invite's public keys). */
  readonly verifyJsonSignature?: JsonSignatureVerifier;
  /**
   * Rule "join_authorised_via_users_server: the event must be validly signed by that user's server".
   * Signature checks on receipt already enforce it (server-server "Signing events"), so callers that
   * re-run the rules on accepted events (state resolution) leave this out and the rule is skipped.
   */
  readonly isSignedByServer?: (event: IdentifiedPdu, serverName: string) => boolean;
}
