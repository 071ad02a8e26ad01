/**
 * Log lines that alarms are built on (lib/constructs/monitoring.ts turns each into a metric filter), so the
 * line a function writes and the pattern the alarm matches come from one place and cannot drift apart.
 */
export const logSignals = {
  /** The authorize worker's processor circuit changed state; `circuit: 'open'` pages on-call. */
  processorCircuitChanged: { message: 'Processor circuit changed', field: 'circuit', alarmValue: 'open' },
  /**
   * The delivery worker handled a batch: how many POST attempts it made (`attempts`, the outcomes in
   * `attemptValues`) and how many of them failed (`failures`). One line a batch, not one a webhook: the failure
   * rate (failures over attempts) pages on-call when receivers stop taking the gateway's webhooks, and each
   * failed attempt has a line of its own (`webhookAttemptFailed`) naming its endpoint.
   */
  webhookDeliveriesHandled: {
    message: 'Webhook deliveries handled',
    attemptsField: 'attempts',
    failuresField: 'failures',
    attemptValues: ['succeeded', 'retry_scheduled', 'dead_letter', 'endpoint_gone'],
    failureValues: ['retry_scheduled', 'dead_letter', 'endpoint_gone'],
  },
  /** One webhook attempt failed: which event, endpoint and attempt, and what became of it (`outcome`). */
  webhookAttemptFailed: { message: 'Webhook attempt failed', field: 'outcome' },
} as const;
