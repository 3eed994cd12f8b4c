import type { JsonObject } from "../../core/json.ts";

export interface Edu {
  edu_type: string;
  content: JsonObject;
}

/** Per destination, at most this many memory EDUs wait; the oldest go first when more arrive. */
const MAX_PER_DESTINATION = 1_000;

/**
 * The key under which a newer EDU replaces an older one still waiting: typing per room and user,
 * presence per user (only the latest state matters to the receiver).
 */
function coalesceKey(edu: Edu, seq: number): string {
  const c = edu.content;
  if (edu.edu_type === "m.typing") return `typing\u0000${String(c.room_id)}\u0000${String(c.user_id)}`;
  if (edu.edu_type === "m.presence") {
    const push = Array.isArray(c.push) ? c.push : [];
    const first = push[0];
    if (push.length === 1 && typeof first === "object" && first !== null && !Array.isArray(first)) {
      return `presence\u0000${String((first as JsonObject).user_id)}`;
    }
  }
  return `seq\u0000${seq}`;
}

/**
 * Best-effort EDUs (typing, presence) waiting in memory for the next transaction to each destination.
 * Losing them on a restart is harmless: both expire or are superseded within minutes.
 */
export class EphemeralEduQueue {
  private readonly byDestination = new Map<string, Map<string, Edu>>();
  private seq = 0;

  add(destination: string, edu: Edu): void {
    let queue = this.byDestination.get(destination);
    if (!queue) this.byDestination.set(destination, (queue = new Map()));
    const key = coalesceKey(edu, this.seq++);
    queue.delete(key);
    queue.set(key, edu);
    if (queue.size > MAX_PER_DESTINATION) {
      const oldest = queue.keys().next().value;
      if (oldest !== undefined) queue.delete(oldest);
    }
  }

  /** Removes and returns up to `limit` EDUs for the destination, oldest first. */
  take(destination: string, limit: number): Edu[] {
    const queue = this.byDestination.get(destination);
    if (!queue) return [];
    const out: Edu[] = [];
    for (const [key, edu] of queue) {
      if (out.length >= limit) break;
      out.push(edu);
      queue.delete(key);
    }
    if (queue.size === 0) this.byDestination.delete(destination);
    return out;
  }

  has(destination: string): boolean {
    return this.byDestination.has(destination);
  }

  destinations(): string[] {
    return [...this.byDestination.keys()];
  }
}
