import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult, ScheduledEvent } from 'aws-lambda';
import { ManualClock } from '../../lib/local/clock.ts';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import type { LambdaHandler } from '../../lib/local/lambda.ts';
import { env, functionNames, queues, type FunctionName } from '../../lib/topology.ts';
import { freshDir, sqsClientFor, waitFor, removeFreshDirs } from './helpers.ts';

let runtime: LocalRuntime | undefined;

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

/** Stub handlers for every function, recording which ran; the given ones replace the defaults. */
function stubs(given: Partial<Record<FunctionName, LambdaHandler>> = {}): { handlers: Record<FunctionName, LambdaHandler>; calls: FunctionName[] } {
  const calls: FunctionName[] = [];
  const defaults: Partial<Record<FunctionName, LambdaHandler>> = {
    authorizer: async () => ({
      principalId: 'admin',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] },
      context: { principal: 'admin' },
    }),
    merchants: async () =>
      json(201, {
        merchant_id: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E',
        name: 'Demo merchant',
        email: 'demo@example.com',
        default_currency: 'USD',
        created_at: new Date().toISOString(),
        api_key: { id: 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0F', secret: 'sk_live_demo0000000000000000000000000000' },
      }),
  };
  const handlers = Object.fromEntries(
    functionNames.map((name) => {
      const handler = given[name] ?? defaults[name] ?? (async () => json(200, { function: name }));
      const recorded: LambdaHandler = (event, context) => {
        calls.push(name);
        return handler(event, context);
      };
      return [name, recorded];
    }),
  ) as Record<FunctionName, LambdaHandler>;
  return { handlers, calls };
}

afterAll(removeFreshDirs);

describe('local runtime', () => {
  it('creates the admin key and the demo merchant once, keeps them in local.json (0600), and reuses them on restart', async () => {
    const dataDir = freshDir('runtime-state');
    const first = stubs();
    runtime = await startLocalRuntime({ dataDir, overrides: first.handlers });
    const { adminApiKey, demoMerchant } = runtime;
    await runtime.close();

    const second = stubs();
    runtime = await startLocalRuntime({ dataDir, overrides: second.handlers });

    expect(adminApiKey).toMatch(/^adm_[A-Za-z0-9_-]{43}$/);
    expect(demoMerchant).toEqual({ merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E', apiKey: 'sk_live_demo0000000000000000000000000000' });
    expect(first.calls.filter((name) => name === 'merchants')).toHaveLength(1);
    expect(runtime.adminApiKey).toBe(adminApiKey);
    expect(runtime.demoMerchant).toEqual(demoMerchant);
    expect(second.calls).not.toContain('merchants');
    expect(statSync(join(dataDir, 'local.json')).mode & 0o777).toBe(0o600);
  });

  it('starts without a demo merchant, and says why, when POST /merchants does not answer 201', async () => {
    const { handlers } = stubs({ merchants: async () => json(501, { error: 'not yet' }) });

    runtime = await startLocalRuntime({ dataDir: freshDir('runtime-nodemo'), overrides: handlers });

    expect(runtime.demoMerchant).toBeUndefined();
  });

  it('uses the admin key it is given instead of generating one', async () => {
    const { handlers } = stubs();

    runtime = await startLocalRuntime({ dataDir: freshDir('runtime-admin'), adminApiKey: 'adm_given_key_1234567890', overrides: handlers, demoMerchant: false });

    expect(runtime.adminApiKey).toBe('adm_given_key_1234567890');
  });

  it('gives the functions the environment the CDK stack sets, pointing at the stand-ins, and takes it back on close', async () => {
    let seen: Record<string, string | undefined> = {};
    const { handlers } = stubs({
      health: async () => {
        seen = { ...process.env };
        return json(200, {});
      },
    });
    runtime = await startLocalRuntime({ dataDir: freshDir('runtime-env'), overrides: handlers, demoMerchant: false });

    const response = await fetch(`${runtime.url}/health`);
    const { endpoints } = runtime;
    await runtime.close();
    runtime = undefined;

    expect(response.status).toBe(200);
    expect(seen[env.tableName]).toBe('gateway');
    expect(seen[env.cardKeyId]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[env.queueUrl('authorization')]).toBe(`${endpoints.sqs}/000000000000/authorization`);
    expect(seen[env.queueUrl('settlement')]).toBe(`${endpoints.sqs}/000000000000/settlement`);
    expect(seen.AWS_ENDPOINT_URL_DYNAMODB).toBe(endpoints.dynamodb);
    expect(seen.AWS_ENDPOINT_URL_KMS).toBe(endpoints.kms);
    expect(seen.AWS_ENDPOINT_URL_SQS).toBe(endpoints.sqs);
    expect(seen.AWS_REGION).toBe('local');
    expect(process.env.AWS_ENDPOINT_URL_SQS).not.toBe(endpoints.sqs);
    expect(process.env[env.queueUrl('authorization')]).toBeUndefined();
  });

  it("feeds each topology queue to its consumer and dead-letters what keeps failing after the queue's maxReceiveCount", async () => {
    const receiveCounts: string[] = [];
    const { handlers } = stubs({
      authorizeWorker: async (event: { Records: { attributes: { ApproximateReceiveCount: string } }[] }) => {
        for (const record of event.Records) receiveCounts.push(record.attributes.ApproximateReceiveCount);
        throw new Error('processor down');
      },
    });
    const clock = new ManualClock();
    runtime = await startLocalRuntime({
      dataDir: freshDir('runtime-dlq'),
      overrides: handlers,
      clock,
      demoMerchant: false,
      queues: { authorization: { visibilityTimeoutSeconds: 1, maxReceiveCount: 2, maxBatchingWindowSeconds: 0 } },
      waitTimeSeconds: 1,
      pollIntervalMs: 20,
    });
    const client = sqsClientFor(runtime.endpoints.sqs);

    await client.send(new SendMessageCommand({ QueueUrl: process.env[env.queueUrl('authorization')], MessageBody: '{"transaction_id":"txn_1"}' }));
    const current = runtime;
    // Each look moves the queues' clock past the visibility timeout, so a failed message comes back at once.
    const queues = await waitFor(
      () => {
        clock.advance(1_000);
        return current.stats().queues;
      },
      (depths) => depths['authorization-dlq']?.visible === 1,
    );
    client.destroy();

    expect(receiveCounts).toEqual(['1', '2']);
    expect(queues.authorization).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(runtime.stats().functions.authorizeWorker).toMatchObject({ invocations: 2, errors: 2 });
  });

  it('applies the topology\'s queue settings on start even when the queues exist from an earlier start with others', async () => {
    const dataDir = freshDir('runtime-requeue');
    runtime = await startLocalRuntime({
      dataDir,
      overrides: stubs().handlers,
      demoMerchant: false,
      queues: { authorization: { maxReceiveCount: 2, visibilityTimeoutSeconds: 1 } },
    });
    await runtime.close();

    runtime = await startLocalRuntime({ dataDir, overrides: stubs().handlers, demoMerchant: false });
    const client = sqsClientFor(runtime.endpoints.sqs);
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: process.env[env.queueUrl('authorization')], AttributeNames: ['All'] }),
    );
    client.destroy();

    expect(Attributes?.VisibilityTimeout).toBe(String(queues.authorization.visibilityTimeoutSeconds));
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}').maxReceiveCount).toBe(queues.authorization.maxReceiveCount);
  });

  it('refuses a clock of its own while real functions run, which go by the system clock', async () => {
    const { outboxRelay: _realRelay, ...allButOne } = stubs().handlers;

    const started = startLocalRuntime({ dataDir: freshDir('runtime-clock'), overrides: allButOne, demoMerchant: false, clock: new ManualClock() });

    await expect(started).rejects.toThrow('A clock of its own needs every function in `overrides`');
  });

  it('runs a schedule with the EventBridge Scheduled Event', async () => {
    let seen: ScheduledEvent | undefined;
    const { handlers } = stubs({
      outboxRelay: async (event: ScheduledEvent) => {
        seen = event;
        return 'swept';
      },
    });
    runtime = await startLocalRuntime({ dataDir: freshDir('runtime-schedule'), overrides: handlers, demoMerchant: false });

    const result = await runtime.runSchedule('outboxSweep');

    expect(result).toBe('swept');
    expect(seen).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {}, region: 'local' });
    expect(seen?.resources).toEqual(['arn:aws:events:local:000000000000:rule/outboxSweep']);
  });
});
