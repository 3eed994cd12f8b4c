/**
 * Which member events each device has already been sent, per room, so lazy-loading syncs can skip
 * redundant ones (spec: "the server MAY assume that clients will remember membership events they have
 * already been sent"). Memory only and bounded: forgetting merely means sending a member event again,
 * which the spec allows.
 */
export class LazyMemberCache {
  private readonly entries = new Map<string, Map<string, string>>();

  constructor(
    private readonly maxRooms = 20_000,
    private readonly maxMembersPerRoom = 2_000,
  ) {}

  private key(userId: string, deviceId: string, roomId: string): string {
    return `${userId}\u0000${deviceId}\u0000${roomId}`;
  }

  /** True when this device was sent exactly this member event for `memberId`. */
  wasSent(userId: string, deviceId: string, roomId: string, memberId: string, eventId: string): boolean {
    return this.entries.get(this.key(userId, deviceId, roomId))?.get(memberId) === eventId;
  }

  record(userId: string, deviceId: string, roomId: string, sent: ReadonlyMap<string, string>): void {
    if (sent.size === 0) return;
    const key = this.key(userId, deviceId, roomId);
    const members = this.entries.get(key) ?? new Map<string, string>();
    this.entries.delete(key); // re-insert: Map order is the LRU order
    for (const [memberId, eventId] of sent) {
      members.delete(memberId);
      members.set(memberId, eventId);
    }
    while (members.size > this.maxMembersPerRoom) members.delete(members.keys().next().value as string);
    this.entries.set(key, members);
    while (this.entries.size > this.maxRooms) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** A device that starts over (initial sync) remembers nothing. */
  forget(userId: string, deviceId: string, roomId: string): void {
    this.entries.delete(this.key(userId, deviceId, roomId));
  }
}
