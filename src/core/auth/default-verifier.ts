import type { JsonSignatureVerifier } from "./third-party-invite.ts";

/** Placeholder until src/core/signing.ts lands: without a verifier no third-party signature matches. */
export const defaultJsonSignatureVerifier: JsonSignatureVerifier = () => false;
