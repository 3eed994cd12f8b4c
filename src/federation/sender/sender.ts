import { encodeCanonicalJson } from "../../core/canonical-json.ts";
import type { JsonObject } from "../../core/json.ts";
import type { Db } from "../../storage/database.ts";
import { insertOutboxEdu } from "../../storage/federation/outbox.ts";
import type { Logger } from "../../util/logger.ts";
import type { FederationSender } from "../contracts.ts";
import type { SenderDriver } from "./driver.ts";
import type { EphemeralEduQueue } from "./ephemeral-edus.ts";
import { RoomServersCache } from "./room-servers-cache.ts";

/** EDUs that only matter while fresh: kept in memory and lost on restart, by design. */
const EPHEMERAL_EDU_TYPES: ReadonlySet<string> = new Set(["m.typing", "m.presence"]);

/**
 * Durable delivery to other servers. Room events reach the outbox inside their room's transaction
 * (see rooms/persist-local-event.ts); this object wakes the driver after commit, queues EDUs, and owns
 * the per-room cache of remote servers that keeps rooms without remote members free of extra queries.
 */
export class OutboundSender implements FederationSender {
  readonly roomServers = new RoomServersCache();

  constructor(
    private readonly deps: {
      db: Db;
      log: Logger;
      clock: () => number;
      serverName: string;
      ephemeral: EphemeralEduQueue;
      driver: SenderDriver;
    },
  ) {}

  start(): Promise<void> {
    return this.deps.driver.start();
  }

  wake(destinations: Iterable<string>): void {
    for (const d of destinations) if (d !== this.deps.serverName) this.deps.driver.wake(d, false);
  }

  /**
   * Typing and presence wait in memory for the next transaction; everything else (receipts, device
   * list updates, to-device messages) is stored until the destination answers 200.
   */
  async queueEdu(destination: string, eduType: string, content: JsonObject): Promise<void> {
    if (destination === this.deps.serverName) return;
    if (EPHEMERAL_EDU_TYPES.has(eduType)) {
      this.deps.ephemeral.add(destination, { edu_type: eduType, content });
    } else {
      const text = encodeCanonicalJson(content, { strict: false });
      await insertOutboxEdu(this.deps.db, destination, eduType, text, this.deps.clock());
    }
    this.deps.driver.wake(destination, false);
  }

  destinationIsUp(destination: string): void {
    if (destination !== this.deps.serverName) this.deps.driver.retryNow(destination);
  }

  /** Resolves once no delivery step for the destination is running in this process. */
  settled(destination: string): Promise<void> {
    return this.deps.driver.settled(destination);
  }

  stop(): Promise<void> {
    return this.deps.driver.stop();
  }
}
