/**
 * The local runtime's Lambda recorder keeps at most 10,000 duration samples per function; the billed
 * milliseconds that the bench prices must still count every invocation.
 */
import { describe, expect, it } from 'vitest';
import { LocalLambdas } from '../../lib/local/lambda.ts';

describe('billed milliseconds of the local Lambda recorder', () => {
  it('counts every invocation past the 10,000 kept duration samples, each at least 1 ms', async () => {
    const lambdas = new LocalLambdas({ 'extra:noop': { spec: { timeoutSeconds: 1, memoryMb: 128 }, handler: async () => 'ok' } }, 'local');
    const invocations = 10_050;

    for (let i = 0; i < invocations; i += 1) await lambdas.invoke('extra:noop', {});

    const stats = lambdas.stats()['extra:noop'];
    expect(stats?.invocations).toBe(invocations);
    expect(stats?.durationsMs).toHaveLength(10_000);
    expect(stats?.billedMs).toBeGreaterThanOrEqual(invocations);
  });
});
