/**
 * An event that does not have the shape its room version requires (spec: such events are dropped,
 * and over the client API answered with `M_BAD_JSON`).
 */
export class EventFormatError extends Error {
  override readonly name = "EventFormatError";
  readonly errcode = "M_BAD_JSON";
}
