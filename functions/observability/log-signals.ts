/**
 * Log lines that alarms are built on (lib/constructs/monitoring.ts turns each into a metric filter), so the
 * line a function writes and the pattern the alarm matches come from one place and cannot drift apart.
 */
export const logSignals = {
  /** The authorize worker's processor circuit changed state; `circuit: 'open'` pages on-call. */
  processorCircuitChanged: { message: 'Processor circuit changed', field: 'circuit', alarmValue: 'open' },
  /**
   * The delivery worker handled a message; `outcome` says what became of a POST attempt. The failure rate
   * (attempts that failed over attempts made) pages on-call when receivers stop taking the gateway's webhooks.
   */
  webhookDeliveryHandled: {
    message: 'Webhook delivery handled',
    field: 'outcome',
    attemptValues: ['succeeded', 'retry_scheduled', 'dead_letter', 'endpoint_gone'],
    failureValues: ['retry_scheduled', 'dead_letter', 'endpoint_gone'],
  },
} as const;
