/** Decides when delivery steps run; the steps themselves (deliverOnce) are the same for every driver. */
export interface SenderDriver {
  /** Picks up what the outbox already holds (after a restart), then runs until stopped. */
  start(): Promise<void>;
  /** Something new for the destination; `force` ignores its backoff (it just talked to us). */
  wake(destination: string, force: boolean): void;
  /**
   * The destination talked to us: when it is backing off, retry it now. Cheap when it is not (this
   * runs for every inbound request).
   */
  retryNow(destination: string): void;
  /** Resolves once no delivery step for the destination runs in this process (tests, shutdown). */
  settled(destination: string): Promise<void>;
  /** Stops scheduling; resolves once no step of this driver touches the database any more. */
  stop(): Promise<void>;
}
