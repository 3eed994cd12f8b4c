/** What every /sync response carries about the syncing device's one-time and fallback keys. */
export interface DeviceKeyCountsBody {
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

/** Devices whose counts are kept; the oldest entry goes first past this. */
const MAX_DEVICES = 10_000;

/**
 * The key counts per device as last read, until an upload or a claim changes them. Uploads and claims
 * (local and over federation) run in the process that owns the database's room writer, as /sync does.
 * A read that overlapped any change is not kept: it may predate the change.
 */
export class DeviceKeyCountsCache {
  private readonly known = new Map<string, DeviceKeyCountsBody>();
  private generation = 0;

  async get(
    userId: string,
    deviceId: string,
    read: () => Promise<DeviceKeyCountsBody>,
  ): Promise<DeviceKeyCountsBody> {
    const key = `${userId}|${deviceId}`;
    const hit = this.known.get(key);
    if (hit) return hit;
    const started = this.generation;
    const value = await read();
    if (this.generation === started) {
      if (this.known.size >= MAX_DEVICES) this.known.delete(this.known.keys().next().value as string);
      this.known.set(key, value);
    }
    return value;
  }

  /** After a change to the device's keys has committed (or failed: either way, read again). */
  changed(userId: string, deviceId: string): void {
    this.generation += 1;
    this.known.delete(`${userId}|${deviceId}`);
  }
}
