/** The outbox relay built from a fake store: no environment, no table, no queue. */
import { describe, expect, it } from 'vitest';
import { makeOutboxRelayHandler } from '../../../functions/outbox/relay-worker.ts';
import { captureLogs } from '../http/capture-logs.ts';

describe('the outbox relay', () => {
  it('sweeps once per run and answers how many entries it published, warning that a writer left them behind', async () => {
    // Arrange
    let sweeps = 0;
    const handler = makeOutboxRelayHandler({
      outbox: {
        sweep: async () => {
          sweeps += 1;
          return 3;
        },
      },
    });

    // Act
    let answer: unknown;
    const logs = await captureLogs(async () => {
      answer = await handler();
    });

    // Assert
    expect(answer).toEqual({ published: 3 });
    expect(sweeps).toBe(1);
    expect(logs).toContain('Outbox sweep published entries a writer left behind');
  });

  it('stays quiet when every writer published its own entries, the usual case', async () => {
    // Arrange
    const handler = makeOutboxRelayHandler({ outbox: { sweep: async () => 0 } });

    // Act
    let answer: unknown;
    const logs = await captureLogs(async () => {
      answer = await handler();
    });

    // Assert
    expect(answer).toEqual({ published: 0 });
    expect(logs).toBe('');
  });

  it('fails the run when the sweep fails, so the function counts an error and its alarm can fire', async () => {
    // Arrange
    const handler = makeOutboxRelayHandler({ outbox: { sweep: () => Promise.reject(new Error('table unavailable')) } });

    // Act, Assert
    await expect(handler()).rejects.toThrow('table unavailable');
  });
});
