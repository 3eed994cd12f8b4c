import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { decodeBase64 } from "../../src/core/base64.ts";
import { encodeCanonicalJson } from "../../src/core/canonical-json.ts";
import { parseJson } from "../../src/core/json-parse.ts";
import { verifyJsonSignature } from "../../src/core/signing.ts";
import { parseXMatrixAuthorization } from "../../src/federation/x-matrix-header.ts";
import {
  signXMatrixRequest,
  signXMatrixRequestCanonical,
  xMatrixSignedJson,
  xMatrixSigningJson,
} from "../../src/federation/x-matrix.ts";
import { SPEC_KEY, SPEC_PUBLIC_KEY } from "../core/crypto-fixtures.ts";

// Vectors: /work/shared/reference/matrix-spec-notes.md §C.6 (generated from the spec's test key).
const ORIGIN = "origin.hs.example.com";
const DESTINATION = "destination.hs.example.com";

describe("X-Matrix request signing", () => {
  it("signs a GET as the reference vector does", () => {
    const parts = {
      method: "GET",
      uri: "/_matrix/federation/v1/version",
      origin: ORIGIN,
      destination: DESTINATION,
    };
    expect(encodeCanonicalJson(xMatrixSigningJson(parts))).toBe(
      '{"destination":"destination.hs.example.com","method":"GET","origin":"origin.hs.example.com","uri":"/_matrix/federation/v1/version"}',
    );
    expect(signXMatrixRequest(SPEC_KEY, parts)).toBe(
      'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:1",sig="Mb8+kifPyx8HNTRgyZl7sVpc0vYZlRn6znNGD0C4mQqUlUIMKKlIt2pu5xuljDwPrHIhLUPBwkVXZoBWdVu6Bg"',
    );
  });

  it("signs a PUT with content as the reference vector does, and tweetnacl agrees", () => {
    const content = { origin: ORIGIN, origin_server_ts: 1000000, pdus: [], edus: [] };
    const parts = {
      method: "PUT",
      uri: "/_matrix/federation/v1/send/1234",
      origin: ORIGIN,
      destination: DESTINATION,
      content,
    };
    const [cred] = parseXMatrixAuthorization(signXMatrixRequest(SPEC_KEY, parts));
    expect(cred?.sig).toBe(
      "XBXA/ynx5lljSML+JlDaPnBIUi0DSnTeNtqAnvcGjXRMhl02jKan6FAQTCgsnD07Jj3SS9e1OJxDrZNw9wbtDA",
    );
    const message = Buffer.from(encodeCanonicalJson(xMatrixSigningJson(parts)));
    expect(nacl.sign.detached.verify(message, decodeBase64(cred!.sig), decodeBase64(SPEC_PUBLIC_KEY))).toBe(
      true,
    );
  });

  it("signs a body given as canonical JSON text exactly as the same body given parsed", () => {
    const parts = {
      method: "PUT",
      uri: "/_matrix/federation/v1/send/1234",
      origin: ORIGIN,
      destination: DESTINATION,
    };
    // The spec's PUT vector, then a body with nested objects, unicode and a float as a sender spelt it.
    for (const text of [
      '{"edus":[],"origin":"origin.hs.example.com","origin_server_ts":1000000,"pdus":[]}',
      '{"edus":[{"content":{"a":"\u00e9\u2603"},"edu_type":"m.typing"}],"origin":"o","origin_server_ts":5,"pdus":[{"depth":3,"x":1.50}]}',
    ]) {
      expect(encodeCanonicalJson(parseJson(text), { strict: false })).toBe(text);
      expect(signXMatrixRequestCanonical(SPEC_KEY, parts, text)).toBe(
        signXMatrixRequest(SPEC_KEY, { ...parts, content: parseJson(text) }),
      );
    }
    const [cred] = parseXMatrixAuthorization(
      signXMatrixRequestCanonical(
        SPEC_KEY,
        parts,
        '{"edus":[],"origin":"origin.hs.example.com","origin_server_ts":1000000,"pdus":[]}',
      ),
    );
    expect(cred?.sig).toBe(
      "XBXA/ynx5lljSML+JlDaPnBIUi0DSnTeNtqAnvcGjXRMhl02jKan6FAQTCgsnD07Jj3SS9e1OJxDrZNw9wbtDA",
    );
  });

  it("covers the body as sent, floats included, so changing the uri or content breaks it", () => {
    const content = parseJson('{"pdus":[{"x":1.50}]}');
    const parts = {
      method: "PUT",
      uri: "/_matrix/federation/v1/send/1",
      origin: ORIGIN,
      destination: DESTINATION,
      content,
    };
    const [cred] = parseXMatrixAuthorization(signXMatrixRequest(SPEC_KEY, parts));
    const ok = xMatrixSignedJson(parts, cred!.key, cred!.sig);
    expect(verifyJsonSignature(ok, ORIGIN, "ed25519:1", SPEC_PUBLIC_KEY)).toBe(true);
    const otherUri = xMatrixSignedJson(
      { ...parts, uri: "/_matrix/federation/v1/send/2" },
      cred!.key,
      cred!.sig,
    );
    expect(verifyJsonSignature(otherUri, ORIGIN, "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
    const otherBody = xMatrixSignedJson(
      { ...parts, content: parseJson('{"pdus":[{"x":1.5}]}') },
      cred!.key,
      cred!.sig,
    );
    expect(verifyJsonSignature(otherBody, ORIGIN, "ed25519:1", SPEC_PUBLIC_KEY)).toBe(false);
  });
});
