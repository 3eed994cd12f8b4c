import type { EventGraph } from "./event-graph.ts";
import { compareCodePoints, compareNumbers } from "./ordering.ts";

/**
 * The mainline of a power levels event P₀: [P₀, P₁, …, Pₙ], each Pᵢ₊₁ the PL event in Pᵢ's auth events.
 * Returned as event id → index i.
 */
export function mainlineOf(graph: EventGraph, powerLevelsId: string | undefined): Map<string, number> {
  const mainline = new Map<string, number>();
  for (let id = powerLevelsId; id !== undefined && !mainline.has(id);) {
    mainline.set(id, mainline.size);
    id = graph.powerLevelsAuthEvent(id)?.event_id;
  }
  return mainline;
}

/**
 * Mainline positions from one mainline, memoised over the PL events met on the way: the events being
 * sorted mostly cite the same few PL events.
 */
export class MainlinePositions {
  private readonly memo = new Map<string, number>();

  constructor(
    private readonly graph: EventGraph,
    private readonly mainline: ReadonlyMap<string, number>,
  ) {}

  /**
   * The smallest j ≥ 1 whose eⱼ (the PL chain of e, e itself excluded) is on the mainline gives
   * position i where eⱼ = Pᵢ; Infinity when the chain never meets the mainline.
   */
  position(eventId: string): number {
    const first = this.graph.powerLevelsAuthEvent(eventId)?.event_id;
    return first === undefined ? Infinity : this.fromPowerLevels(first);
  }

  /** The position reached from PL event `id` (itself included), walking its PL chain. */
  private fromPowerLevels(id: string): number {
    const path = new Set<string>();
    let position = Infinity;
    for (let current: string | undefined = id; current !== undefined;) {
      const onMainline = this.mainline.get(current);
      if (onMainline !== undefined) {
        position = onMainline;
        break;
      }
      const known = this.memo.get(current);
      if (known !== undefined) {
        position = known;
        break;
      }
      if (path.has(current)) break; // a malformed cycle never meets the mainline
      path.add(current);
      current = this.graph.powerLevelsAuthEvent(current)?.event_id;
    }
    for (const p of path) this.memo.set(p, position);
    return position;
  }
}

/**
 * The mainline ordering based on the PL event `powerLevelsId`: larger mainline position first (the
 * event rests on an older power level), then smaller origin_server_ts, then smaller event id.
 */
export function mainlineSort(
  graph: EventGraph,
  eventIds: Iterable<string>,
  powerLevelsId: string | undefined,
): string[] {
  const positions = new MainlinePositions(graph, mainlineOf(graph, powerLevelsId));
  const keyed = [...eventIds].map((id) => ({
    id,
    position: positions.position(id),
    ts: graph.event(id).origin_server_ts,
  }));
  keyed.sort(
    (x, y) =>
      compareNumbers(y.position, x.position) || compareNumbers(x.ts, y.ts) || compareCodePoints(x.id, y.id),
  );
  return keyed.map((k) => k.id);
}
