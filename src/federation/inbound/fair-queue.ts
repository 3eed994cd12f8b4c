/**
 * Runs work for many origins with bounded concurrency, fairly: one task per origin at a time (a server
 * sends one transaction at a time anyway), and free slots go round-robin over origins with work
 * waiting, an origin going to the back of the line after each task, so a server flooding us waits
 * behind its own queue rather than starving the others.
 */
export class FairQueue {
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly busy = new Set<string>();
  /** Idle origins with waiting work, in the order they get the next free slot. */
  private readonly ring: string[] = [];
  private running = 0;

  constructor(private readonly concurrency: number) {}

  run<T>(origin: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        task()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.busy.delete(origin);
            if (this.waiting.has(origin)) this.ring.push(origin);
            this.next();
          });
      };
      const queue = this.waiting.get(origin);
      if (queue) {
        queue.push(start);
      } else {
        this.waiting.set(origin, [start]);
        if (!this.busy.has(origin)) this.ring.push(origin);
      }
      this.next();
    });
  }

  /** How many tasks wait for `origin` (not counting one running). */
  pending(origin: string): number {
    return this.waiting.get(origin)?.length ?? 0;
  }

  private next(): void {
    while (this.running < this.concurrency && this.ring.length > 0) {
      const origin = this.ring.shift()!;
      const queue = this.waiting.get(origin)!;
      const start = queue.shift()!;
      if (queue.length === 0) this.waiting.delete(origin);
      this.busy.add(origin);
      this.running++;
      start();
    }
  }
}
