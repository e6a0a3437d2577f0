/** Service is what every server's `start()` returns: its bound ports, drained and closed in one call. */
export interface Service {
  /** each listener's bound port by name (resolved when configured as 0) */
  readonly ports: Readonly<Record<string, number>>
  /**
   * close stops accepting, lets in-flight work finish within the grace period, then
   * destroys what is left. Idempotent: a second call returns the first call's promise.
   */
  close(): Promise<CloseSummary>
  /**
   * failed, when present, rejects once the service can no longer serve (its worker threads
   * keep dying); lib/main.ts then ends the process as on any fatal error.
   */
  readonly failed?: Promise<never>
}

/** CloseSummary counts what a close did, for the `shutdown complete` log line. */
export interface CloseSummary {
  /** connections (or requests) that finished on their own during the drain */
  readonly drained: number
  /** connections destroyed because the grace period ran out */
  readonly destroyed: number
}
