import { invalidParam } from "../errors.ts";

/** Longest device id accepted from a client; ids travel in keys and to-device payloads. */
const MAX_DEVICE_ID_LENGTH = 255;

/** Client-chosen device ids must be non-empty, bounded, and printable (no control characters). */
export function validDeviceId(deviceId: string): string {
  // eslint-disable-next-line no-control-regex
  if (deviceId === "" || deviceId.length > MAX_DEVICE_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(deviceId)) {
    throw invalidParam("Invalid 'device_id'");
  }
  return deviceId;
}
