/**
 * Raised for JSON that Matrix cannot accept: text that does not parse (`M_NOT_JSON`) or values that
 * canonical JSON cannot represent (`M_BAD_JSON`: floats or out-of-range integers in strict room
 * versions, lone surrogates, non-JSON types). HTTP layers map `errcode` straight to the response.
 */
export class CanonicalJsonError extends Error {
  override readonly name = "CanonicalJsonError";
  constructor(
    message: string,
    readonly errcode: "M_NOT_JSON" | "M_BAD_JSON" = "M_BAD_JSON",
  ) {
    super(message);
  }
}
