/**
 * The deployed shape is the topology: every route, queue, function, schedule and table key in
 * lib/topology.ts appears in the template as written there, and nothing appears that is not there.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  env,
  functionNames,
  functions,
  queueNames,
  queues,
  schedules,
  table,
  workerFunctions,
  type FunctionAccess,
  type ScheduleSpec,
} from '../../lib/topology.ts';
import { routes } from '../../lib/routes.ts';
import { outageRetryDelaySeconds } from '../../functions/adapters/resilient-processor.ts';
import { arnOf, logicalIdOf, ofType, references, synthesize, type CfnResourceJson, type Synthesized } from './synth.ts';

let synthesized: Synthesized;
let resources: Synthesized['resources'];

beforeAll(() => {
  synthesized = synthesize('dev');
  resources = synthesized.resources;
});

const functionId = (name: (typeof functionNames)[number]): string =>
  logicalIdOf(synthesized.stack.functions[name].function);

const props = (resource: CfnResourceJson | undefined): Record<string, unknown> => resource?.Properties ?? {};

/** The path of an API Gateway resource, rebuilt from the template's parent links. */
function pathOf(resourceId: unknown): string {
  const ref = (resourceId as { Ref?: string }).Ref;
  if (ref === undefined) return ''; // the API's root resource (a GetAtt of RootResourceId)
  const resource = props(resources[ref]);
  return `${pathOf(resource.ParentId)}/${String(resource.PathPart)}`;
}

describe('API routes', () => {
  it('has exactly one method per topology route, on that route path', () => {
    const methods = ofType(resources, 'AWS::ApiGateway::Method').map(
      ([, method]) => `${String(props(method).HttpMethod)} ${pathOf(props(method).ResourceId)}`,
    );

    expect(methods.sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('sends each route to its own function, behind the authorizer unless the route is public', () => {
    const authorizerId = ofType(resources, 'AWS::ApiGateway::Authorizer')[0]?.[0];
    const methods = ofType(resources, 'AWS::ApiGateway::Method').map(([, method]) => props(method));

    for (const route of routes) {
      const method = methods.find(
        (candidate) => candidate.HttpMethod === route.method && pathOf(candidate.ResourceId) === route.path,
      );
      const integration = method?.Integration as { Type: string; Uri: unknown };

      expect(integration.Type, `${route.method} ${route.path}`).toBe('AWS_PROXY');
      expect(references(integration.Uri, functionId(route.function)), `${route.method} ${route.path}`).toBe(true);
      if (route.auth === 'none') {
        expect(method?.AuthorizationType).toBe('NONE');
      } else {
        expect(method?.AuthorizationType).toBe('CUSTOM');
        expect(method?.AuthorizerId).toEqual({ Ref: authorizerId });
      }
    }
  });

  it('authorizes with a REQUEST authorizer on the Authorization header, cached for 60 seconds', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 60,
    });
    const [, authorizer] = ofType(resources, 'AWS::ApiGateway::Authorizer')[0] ?? [];

    expect(references(props(authorizer).AuthorizerUri, functionId('authorizer'))).toBe(true);
  });

  it("answers API Gateway's own errors as problem details carrying the request id", () => {
    const responses = new Map(
      ofType(resources, 'AWS::ApiGateway::GatewayResponse').map(([, response]) => [
        String(props(response).ResponseType),
        props(response),
      ]),
    );

    for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED', 'DEFAULT_4XX', 'DEFAULT_5XX', 'MISSING_AUTHENTICATION_TOKEN']) {
      const response = responses.get(type);
      const headers = response?.ResponseParameters as Record<string, string>;
      const template = (response?.ResponseTemplates as Record<string, string>)['application/json'] ?? '';
      // What API Gateway substitutes before sending the body.
      const body = JSON.parse(
        template.replace('$context.requestId', 'req-123').replace('$context.error.messageString', '"Denied"'),
      ) as Record<string, unknown>;

      expect(headers['gatewayresponse.header.Content-Type'], type).toBe("'application/problem+json'");
      expect(body, type).toMatchObject({ type: `https://docs.payment-gateway.dev/errors/${String(body.code)}`, request_id: 'req-123' });
      expect(Object.keys(body), type).toEqual(expect.arrayContaining(['title', 'detail', 'code']));
      if (response?.StatusCode !== undefined) expect(body.status, type).toBe(Number(response.StatusCode));
    }
    expect(responses.get('UNAUTHORIZED')?.StatusCode).toBe('401');
    expect(responses.get('MISSING_AUTHENTICATION_TOKEN')?.StatusCode).toBe('404');
  });

  it('sends no CORS headers: the API is for servers holding secret keys, not browsers', () => {
    expect(ofType(resources, 'AWS::ApiGateway::Method').map(([, method]) => props(method).HttpMethod)).not.toContain(
      'OPTIONS',
    );
    expect(JSON.stringify(resources)).not.toContain('Access-Control-Allow-Origin');
  });

  it('logs every request without headers or bodies, and never traces request data', () => {
    const [, stage] = ofType(resources, 'AWS::ApiGateway::Stage')[0] ?? [];
    const format = (props(stage).AccessLogSetting as { Format: string }).Format;
    const settings = props(stage).MethodSettings as Record<string, unknown>[];

    expect(JSON.parse(format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(format).not.toMatch(/header|body/i);
    expect(settings).toContainEqual(
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        ThrottlingRateLimit: expect.any(Number),
        ThrottlingBurstLimit: expect.any(Number),
      }),
    );
  });
});

describe('queues', () => {
  it.each(queueNames)('%s has a dead-letter queue after the topology maxReceiveCount', (name) => {
    const spec = queues[name];
    const queue = synthesized.stack.queues[name];
    const deadLetterId = logicalIdOf(queue.deadLetterQueue);

    expect(props(resources[logicalIdOf(queue.queue)])).toMatchObject({
      VisibilityTimeout: spec.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: arnOf(deadLetterId), maxReceiveCount: spec.maxReceiveCount },
      SqsManagedSseEnabled: true,
    });
    expect(props(resources[deadLetterId])).toMatchObject({ MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('authorization keeps a pending payment through a 12-hour acquirer outage: enough receives and retention for it', () => {
    const spec = queues.authorization;
    const outage = spec.outageRetry;
    // The worker's own schedule, at its shortest (all jitter taken off), from a payment's creation to its deadline.
    let waited = 0;
    let receives = 1;
    while (waited < outage.giveUpAfterSeconds) {
      waited += outageRetryDelaySeconds(waited, outage, 1);
      receives += 1;
    }
    const retention = Number(props(resources[logicalIdOf(synthesized.stack.queues.authorization.queue)]).MessageRetentionPeriod);

    expect(outage.giveUpAfterSeconds).toBe(12 * 3_600);
    // The last receive gives the payment its final state; another 20 receives leave room for other failures.
    expect(spec.maxReceiveCount).toBeGreaterThanOrEqual(receives + 20);
    expect(retention).toBeGreaterThanOrEqual(outage.giveUpAfterSeconds + outage.maxRetrySeconds + spec.visibilityTimeoutSeconds * 20);
    // A single hop may not exceed what SQS allows one visibility timeout to be.
    expect(outage.maxRetrySeconds).toBeLessThanOrEqual(43_200);
  });

  it.each(queueNames)('%s feeds its consumer in batches that report partial failures', (name) => {
    const spec = queues[name];
    const queueId = logicalIdOf(synthesized.stack.queues[name].queue);
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
      references(props(mapping).EventSourceArn, queueId),
    );

    expect(mappings).toHaveLength(1);
    expect(props(mappings[0]?.[1])).toMatchObject({
      FunctionName: { Ref: functionId(spec.consumer) },
      BatchSize: spec.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(props(mappings[0]?.[1]).MaximumBatchingWindowInSeconds ?? 0).toBe(spec.maxBatchingWindowSeconds);
  });

  it.each(queueNames)('%s is consumed by at most its consumer\'s maxConcurrency instances at once', (name) => {
    const spec = queues[name];
    const queueId = logicalIdOf(synthesized.stack.queues[name].queue);
    const [, mapping] =
      ofType(resources, 'AWS::Lambda::EventSourceMapping').find(([, candidate]) => references(props(candidate).EventSourceArn, queueId)) ?? [];
    const maxConcurrency: number | undefined = functions[spec.consumer].maxConcurrency;

    expect(maxConcurrency).toBeGreaterThanOrEqual(2);
    expect(props(mapping).ScalingConfig).toEqual({ MaximumConcurrency: maxConcurrency });
    // On the event source, not reserved: reserved concurrency would throttle the poller and return messages.
    expect(props(resources[functionId(spec.consumer)]).ReservedConcurrentExecutions).toBeUndefined();
  });

  it('refuses requests that are not over TLS, on every queue and dead-letter queue', () => {
    const guarded = ofType(resources, 'AWS::SQS::QueuePolicy').flatMap(([, policy]) => {
      const statements = (props(policy).PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      const deniesPlainHttp = statements.some(
        (statement) =>
          statement.Effect === 'Deny' &&
          JSON.stringify(statement.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      );
      return deniesPlainHttp ? (props(policy).Queues as unknown[]) : [];
    });

    expect(guarded).toHaveLength(ofType(resources, 'AWS::SQS::Queue').length);
    expect(ofType(resources, 'AWS::SQS::Queue')).toHaveLength(2 * queueNames.length);
  });
});

describe('functions', () => {
  it('deploys exactly the topology functions, each arm64 on Node.js 24 with active tracing', () => {
    const deployed = ofType(resources, 'AWS::Lambda::Function');

    expect(deployed.map(([id]) => id).sort()).toEqual(functionNames.map(functionId).sort());
    for (const name of functionNames) {
      expect(props(resources[functionId(name)]), name).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: functions[name].memoryMb,
        Timeout: functions[name].timeoutSeconds,
        Handler: 'index.handler',
      });
    }
  });

  it('limits every worker, so that together they leave the API and the authorizer most of the account\'s 1,000', () => {
    const limits = workerFunctions().map((name) => {
      const limit: number | undefined = functions[name].maxConcurrency;
      expect(limit, name).toBeGreaterThanOrEqual(1);
      return limit ?? Infinity;
    });
    const scheduledOnly = workerFunctions().filter((name) => !queueNames.some((queue) => queues[queue].consumer === name));

    expect(limits.reduce((sum, limit) => sum + limit, 0)).toBeLessThanOrEqual(100);
    for (const name of scheduledOnly) {
      expect(props(resources[functionId(name)]).ReservedConcurrentExecutions, name).toBe(functions[name].maxConcurrency);
    }
    for (const name of functionNames.filter((candidate) => !workerFunctions().includes(candidate))) {
      expect(props(resources[functionId(name)]).ReservedConcurrentExecutions, name).toBeUndefined();
    }
  });

  it('gives each function the environment its access needs, under the topology names, and no more', () => {
    const expectedNames = (access: FunctionAccess): string[] => [
      ...(access.table === undefined ? [] : [env.tableName]),
      ...(access.cardKey === undefined &&
      access.fingerprintKey !== true &&
      access.webhookSecrets === undefined &&
      access.idempotentResponses !== true
        ? []
        : [env.cardKeyId]),
      ...(access.webhookSecrets === undefined ? [] : [env.webhookUrlPolicy]),
      ...(access.adminKey === true ? [env.adminKeySecretId] : []),
      ...(access.usagePlanKeys === true ? [env.usagePlanName] : []),
      ...(access.sendTo ?? []).map(env.queueUrl),
    ];
    // A consumer also knows its own queue, to return a message later than the queue's visibility timeout.
    const consumed = (name: (typeof functionNames)[number]): string[] =>
      queueNames.filter((queue) => queues[queue].consumer === name).map(env.queueUrl);

    for (const name of functionNames) {
      const variables = (props(resources[functionId(name)]).Environment as { Variables: Record<string, unknown> })
        .Variables;
      const gatewayVariables = Object.keys(variables).filter((variable) => variable !== 'NODE_OPTIONS');

      expect(gatewayVariables.sort(), name).toEqual([...new Set([...expectedNames(functions[name].access), ...consumed(name)])].sort());
    }
  });

  it('writes each function log to its own encrypted log group with a retention period', () => {
    for (const name of functionNames) {
      const logGroupId = logicalIdOf(synthesized.stack.functions[name].logGroup);

      expect(props(resources[functionId(name)]).LoggingConfig, name).toEqual({ LogGroup: { Ref: logGroupId } });
      expect(props(resources[logGroupId]), name).toMatchObject({ RetentionInDays: 30, KmsKeyId: expect.anything() });
    }
  });

  it.each(Object.entries<ScheduleSpec>(schedules))('runs the %s schedule on its function', (_name, spec) => {
    const minutes = spec.everySeconds / 60;
    const rules = ofType(resources, 'AWS::Events::Rule').filter(
      ([, rule]) => props(rule).ScheduleExpression === `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`,
    );

    expect(rules).toHaveLength(1);
    expect(props(rules[0]?.[1]).Targets).toEqual([
      expect.objectContaining({ Arn: arnOf(functionId(spec.function)) }),
    ]);
  });
});

describe('table', () => {
  it('is keyed and indexed as the topology says, on-demand, encrypted, with the TTL attribute', () => {
    synthesized.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: table.partitionKey, KeyType: 'HASH' },
        { AttributeName: table.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
    });
    const indexes = props(resources[logicalIdOf(synthesized.stack.table)]).GlobalSecondaryIndexes as unknown[];

    expect(indexes).toEqual(
      Object.entries(table.indexes).map(([indexName, index]) => ({
        IndexName: indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: expectedProjection('projection' in index ? index.projection : undefined),
      })),
    );
  });

  it('keeps only what each query reads in the indexes the payment path writes: keys, and the outbox age', () => {
    const indexes = props(resources[logicalIdOf(synthesized.stack.table)]).GlobalSecondaryIndexes as { IndexName: string; Projection: unknown }[];
    const projectionOf = (name: string) => indexes.find((index) => index.IndexName === name)?.Projection;

    expect(projectionOf('outbox')).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['outbox_at'] });
    expect(projectionOf('byMerchant')).toEqual({ ProjectionType: 'KEYS_ONLY' });
    expect(projectionOf('byCustomer')).toEqual({ ProjectionType: 'KEYS_ONLY' });
    // API keys, endpoints and sessions: rarely written, read whole.
    expect(projectionOf('byOwner')).toEqual({ ProjectionType: 'ALL' });
  });
});

function expectedProjection(attributes: readonly string[] | undefined): Record<string, unknown> {
  if (attributes === undefined) return { ProjectionType: 'ALL' };
  return attributes.length === 0 ? { ProjectionType: 'KEYS_ONLY' } : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...attributes] };
}
