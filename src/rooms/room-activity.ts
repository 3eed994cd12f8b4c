/**
 * The newest stream position at which this process committed a write to each room. Every write of a
 * room goes through this process's room writer (one process holds the room-writer lock), so a room
 * not written since start has nothing after the position the events stream had then. Lets an
 * incremental /sync skip reading rooms that cannot have new events.
 */
export class RoomActivity {
  private readonly latest = new Map<string, number>();

  /** `baseline`: the events stream's position when this process started. */
  constructor(private readonly baseline: number) {}

  /** After a room write commits at `position`. */
  wrote(roomId: string, position: number): void {
    if (position > (this.latest.get(roomId) ?? this.baseline)) this.latest.set(roomId, position);
  }

  /** False only when the room certainly has no event at a stream position after `position`. */
  mayHaveEventsAfter(roomId: string, position: number): boolean {
    return (this.latest.get(roomId) ?? this.baseline) > position;
  }
}
