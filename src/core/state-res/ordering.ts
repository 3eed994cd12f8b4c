/**
 * Orderings used by state resolution. Event ids are compared by Unicode code point, as other servers
 * do (Synapse compares Python strings, ruma compares UTF-8 bytes); JavaScript's `<` compares UTF-16
 * code units, which disagrees for characters above U+FFFF versus U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (D800–DFFF) encode code points above FFFF, so they must sort after E000–FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareNumbers(a: number, b: number): number {
  // Not `a - b`: power levels can be Infinity (v12 creators), and Infinity − Infinity is NaN.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What the reverse topological power ordering compares events by. */
export interface PowerOrderKey {
  readonly eventId: string;
  readonly senderPowerLevel: number;
  readonly originServerTs: number;
}

/** x < y when x's sender has the greater power level, then the smaller origin_server_ts, then the smaller event id. */
export function comparePowerOrder(x: PowerOrderKey, y: PowerOrderKey): number {
  return (
    compareNumbers(y.senderPowerLevel, x.senderPowerLevel) ||
    compareNumbers(x.originServerTs, y.originServerTs) ||
    compareCodePoints(x.eventId, y.eventId)
  );
}

/** A binary min-heap; Kahn's algorithm needs the smallest candidate at every step. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < items.length && this.compare(items[l]!, items[smallest]!) < 0) smallest = l;
        if (r < items.length && this.compare(items[r]!, items[smallest]!) < 0) smallest = r;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

/**
 * The lexicographically smallest topological order of `nodes` (Kahn's algorithm, taking the smallest
 * candidate by `compare` at each step). `dependencies(n)` lists the nodes that must come before n
 * (for state resolution: n's auth events within the set); dependencies outside `nodes` are ignored.
 *
 * @throws Error if the dependencies contain a cycle, which a genuine auth DAG cannot.
 */
export function lexicographicalTopologicalSort(
  nodes: Iterable<string>,
  dependencies: (node: string) => Iterable<string>,
  compare: (a: string, b: string) => number,
): string[] {
  const remaining = new Map<string, number>();
  for (const node of nodes) remaining.set(node, 0);
  const dependents = new Map<string, string[]>();
  for (const node of remaining.keys()) {
    const seen = new Set<string>();
    for (const dep of dependencies(node)) {
      if (!remaining.has(dep) || seen.has(dep)) continue;
      seen.add(dep);
      remaining.set(node, remaining.get(node)! + 1);
      let list = dependents.get(dep);
      if (list === undefined) dependents.set(dep, (list = []));
      list.push(node);
    }
  }
  const heap = new MinHeap<string>(compare);
  for (const [node, count] of remaining) if (count === 0) heap.push(node);
  const order: string[] = [];
  for (let node = heap.pop(); node !== undefined; node = heap.pop()) {
    order.push(node);
    for (const dependent of dependents.get(node) ?? []) {
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) heap.push(dependent);
    }
  }
  if (order.length !== remaining.size)
    throw new Error("auth events form a cycle: no topological order exists");
  return order;
}

/** The reverse topological power ordering of events, given their keys and in-set auth dependencies. */
export function reverseTopologicalPowerOrder(
  keys: ReadonlyMap<string, PowerOrderKey>,
  dependencies: (eventId: string) => Iterable<string>,
): string[] {
  return lexicographicalTopologicalSort(keys.keys(), dependencies, (a, b) =>
    comparePowerOrder(keys.get(a)!, keys.get(b)!),
  );
}
