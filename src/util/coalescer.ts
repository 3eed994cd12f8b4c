/**
 * Gathers the calls made during one turn of the event loop into one call of `run`, which answers each
 * key in order. Many /sync long-polls wake on the same write and ask the same kind of question at
 * once; on a busy server a round trip (its syscalls and parsing) costs more than the index lookups in
 * it, so one query for all of them is much cheaper than one each.
 */
export class Coalescer<K, R> {
  private pending: { key: K; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly run: (keys: readonly K[]) => Promise<readonly R[]>,
    /** Most keys in one call; more wait for the next. */
    private readonly maxBatch = 64,
  ) {}

  load(key: K): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ key, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the microtasks of this turn: every waiter woken by the same notification gets to ask.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.run(batch.map((p) => p.key)).then(
        (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
    }
  }
}
