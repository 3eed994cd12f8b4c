/**
 * JSON values as Hearth's core sees them. `RawNumber` carries a number token exactly as it arrived
 * over the wire when it cannot round-trip through a JS number (floats, integers beyond ±(2^53−1)):
 * room versions 1–5 allow such values, and hashes and signatures must be computed over the sender's
 * own spelling of them.
 */
export class RawNumber {
  constructor(readonly raw: string) {}
  toJSON(): number {
    return Number(this.raw);
  }
}

export type JsonValue = null | boolean | number | string | RawNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof RawNumber)
  );
}
