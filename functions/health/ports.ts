/** What the health check needs of the outside world. */
export interface TableProbe {
  /** Resolves when the table answers a read; rejects with the cause when it cannot. */
  checkReadable(): Promise<void>;
}
