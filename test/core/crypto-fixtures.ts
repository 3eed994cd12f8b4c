/** Keys shared by the crypto tests. */
import { decodeBase64 } from "../../src/core/base64.ts";
import { signingKeyFromSeed } from "../../src/core/signing.ts";

/**
 * The spec's test key. Source: matrix-org/matrix-spec content/appendices.md §Cryptographic Test Vectors
 * (also gomatrixserverlib eventcrypto_test.go and synapse tests/crypto/test_event_signing.py).
 */
export const SPEC_SEED = decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1");
export const SPEC_KEY = signingKeyFromSeed("ed25519:1", SPEC_SEED);
/** Derived public key, as quoted by ruma-signatures' verify_event doc example (ruma/ruma crates/ruma-signatures/src/verify.rs). */
export const SPEC_PUBLIC_KEY = "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI";

/**
 * A second, independent key. Source: ruma/ruma crates/ruma-signatures/src/lib.rs, tests::pkcs8():
 * a PKCS#8 v2 DER holding the seed at bytes 16..48 and the public key at bytes 51..83 (after the 0x81 0x21 0x00 header).
 */
export const RUMA_PKCS8 = decodeBase64(
  "MFECAQEwBQYDK2VwBCIEINjozvdfbsGEt6DD+7Uf4PiJ/YvTNXV2mIPc/tA0T+6tgSEA3TPraTczVkDPTRaX4K+AfUuyx7Mzq1UafTXypnl0t2k",
);
export const RUMA_SEED = RUMA_PKCS8.subarray(16, 48);
export const RUMA_KEY = signingKeyFromSeed("ed25519:1", RUMA_SEED);
export const RUMA_PUBLIC_KEY = "3TPraTczVkDPTRaX4K+AfUuyx7Mzq1UafTXypnl0t2k";
