import type { Notifier } from "./notifier.ts";

/** The longest a single typing request may keep a user marked as typing. */
export const MAX_TYPING_TIMEOUT_MS = 120_000;
/** Used when a client says it is typing without a timeout. */
export const DEFAULT_TYPING_TIMEOUT_MS = 30_000;

interface RoomTyping {
  /** user id → the timer that ends their typing. */
  readonly users: Map<string, NodeJS.Timeout>;
  /** Typing position of the last change in this room. */
  changedAt: number;
}

/**
 * Who is typing where, in memory: typing is ephemeral and per instance by design (it is not worth a
 * write per keystroke burst). Each change takes a position on the `typing` stream; positions restart
 * at 0 with the process, so a sync token from before a restart is "ahead" and gets a full refresh.
 */
export class TypingTracker {
  private position = 0;
  private readonly rooms = new Map<string, RoomTyping>();

  constructor(private readonly notifier: Notifier) {}

  get currentPosition(): number {
    return this.position;
  }

  /** Marks `userId` as typing in `roomId` for `timeoutMs`, or as stopped. */
  setTyping(roomId: string, userId: string, typing: boolean, timeoutMs: number): void {
    let room = this.rooms.get(roomId);
    const existing = room?.users.get(userId);
    if (existing) clearTimeout(existing);
    if (!typing) {
      if (existing && room) {
        room.users.delete(userId);
        this.changed(roomId, room);
      }
      return;
    }
    if (!room) this.rooms.set(roomId, (room = { users: new Map(), changedAt: 0 }));
    const ms = Math.max(0, Math.min(timeoutMs, MAX_TYPING_TIMEOUT_MS));
    const timer = setTimeout(() => this.setTyping(roomId, userId, false, 0), ms);
    timer.unref();
    room.users.set(userId, timer);
    // A renewal by someone already typing changes nothing a client can see.
    if (!existing) this.changed(roomId, room);
  }

  /** The full current set for the room (sync sends the set, never deltas). */
  typingUsers(roomId: string): string[] {
    return [...(this.rooms.get(roomId)?.users.keys() ?? [])].sort();
  }

  /** Whether a client whose token says `since` needs a fresh m.typing for the room. */
  changedSince(roomId: string, since: number): boolean {
    if (since > this.position) return true; // token from before a restart
    return (this.rooms.get(roomId)?.changedAt ?? 0) > since;
  }

  /** Stops every timer (server shutdown). */
  close(): void {
    for (const room of this.rooms.values()) for (const timer of room.users.values()) clearTimeout(timer);
    this.rooms.clear();
  }

  /** Rooms stay in the map when their set empties: changedAt tells later syncs it became empty. */
  private changed(roomId: string, room: RoomTyping): void {
    this.position += 1;
    room.changedAt = this.position;
    this.notifier.notify({ stream: "typing", position: this.position, roomIds: [roomId] });
  }
}
