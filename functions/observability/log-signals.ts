/**
 * Log lines that alarms are built on (lib/constructs/monitoring.ts turns each into a metric filter), so the
 * line a function writes and the pattern the alarm matches come from one place and cannot drift apart.
 */
export const logSignals = {
  /** The authorize worker's processor circuit changed state; `circuit: 'open'` pages on-call. */
  processorCircuitChanged: { message: 'Processor circuit changed', field: 'circuit', alarmValue: 'open' },
} as const;
