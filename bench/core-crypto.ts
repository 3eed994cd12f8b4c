/**
 * Event crypto throughput on a realistic room v11 message: what it costs to create an event (content
 * hash + redacted signing form + Ed25519 signature + reference hash for the id) and to accept one
 * (signature on the redacted form + content hash), plus the pieces, so a regression can be located.
 */
import { performance } from "node:perf_hooks";
import { decodeBase64 } from "../src/core/base64.ts";
import { encodeCanonicalJson, parseJson } from "../src/core/canonical-json.ts";
import {
  checkContentHash,
  computeContentHash,
  computeEventId,
  hashSignAndIdentify,
  verifyEventSignature,
} from "../src/core/hashes.ts";
import type { JsonObject } from "../src/core/json.ts";
import { getRoomVersion } from "../src/core/room-versions.ts";
import { signingKeyFromSeed } from "../src/core/signing.ts";
import type { BenchResult } from "./result.ts";

const SERVER = "hearth.example.org";
const KEY = signingKeyFromSeed("ed25519:bench", decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"));

function fakeId(seed: number): string {
  return "$" + Buffer.from(`event-${seed}`.padEnd(32, "x")).toString("base64url").slice(0, 43);
}

/** A message as Element sends it, in PDU form: ~900 bytes of canonical JSON once signed. */
function messageEvent(i: number): JsonObject {
  const body = `Message ${i}: the quick brown fox jumps over the lazy dog — with a link https://example.org/${i}`;
  return {
    type: "m.room.message",
    room_id: "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ",
    sender: `@alice:${SERVER}`,
    origin_server_ts: 1_700_000_000_000 + i,
    depth: 1000 + i,
    prev_events: [fakeId(i - 1)],
    auth_events: [fakeId(1), fakeId(2), fakeId(3)],
    content: {
      msgtype: "m.text",
      body,
      format: "org.matrix.custom.html",
      formatted_body: `<p>${body}</p>`,
      "m.mentions": { user_ids: [`@bob:${SERVER}`] },
    },
    unsigned: { age: 12 },
  };
}

/** Runs `fn` over `inputs` round-robin for about `ms` milliseconds; returns operations per second. */
function throughput<T>(inputs: readonly T[], fn: (input: T) => unknown, ms: number): number {
  for (let i = 0; i < Math.min(inputs.length, 200); i++) fn(inputs[i] as T); // warm up the JIT
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 100; i++) fn(inputs[(ops + i) % inputs.length] as T);
    ops += 100;
    elapsed = performance.now() - start;
  }
  return (ops / elapsed) * 1000;
}

export async function benchCoreCrypto(): Promise<BenchResult[]> {
  const version = getRoomVersion("11");
  if (version === undefined) throw new Error("room version 11 missing");
  const events = Array.from({ length: 2000 }, (_, i) => messageEvent(i + 10));
  const signed = events.map((e) => hashSignAndIdentify(e, version, SERVER, KEY).pdu);
  const texts = signed.map((e) => JSON.stringify(e));
  const bytes = Buffer.byteLength(encodeCanonicalJson(signed[0] as JsonObject));
  const ms = 1000;

  const create = throughput(events, (e) => hashSignAndIdentify(e, version, SERVER, KEY), ms);
  const accept = throughput(
    signed,
    (e) => verifyEventSignature(e, version, SERVER, KEY.keyId, KEY.publicKey) && checkContentHash(e, version),
    ms,
  );
  const canonical = throughput(events, (e) => encodeCanonicalJson(e), ms / 2);
  const contentHash = throughput(events, (e) => computeContentHash(e, version), ms / 2);
  const eventId = throughput(signed, (e) => computeEventId(e, version), ms / 2);
  const parse = throughput(texts, (t) => parseJson(t), ms / 2);

  return [
    {
      name: "event hash+sign+id (v11 message)",
      value: create,
      unit: "events/s",
      extra: { usPerEvent: 1e6 / create, canonicalBytes: bytes },
    },
    {
      name: "event verify sig+content hash",
      value: accept,
      unit: "events/s",
      extra: { usPerEvent: 1e6 / accept },
    },
    { name: "canonical JSON encode", value: canonical, unit: "events/s" },
    { name: "content hash", value: contentHash, unit: "events/s" },
    { name: "reference hash → event id", value: eventId, unit: "events/s" },
    { name: "lossless JSON parse", value: parse, unit: "events/s" },
  ];
}

// Runnable on its own: `npx tsx bench/core-crypto.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchCoreCrypto()) console.log(JSON.stringify(r));
}
