/**
 * Rate limits in the cloud, innermost first: the usage plan throttles each merchant on its own (one API
 * Gateway API key per merchant, named by the authorizer's `usageIdentifierKey` and required on every
 * merchant route); the stage's token bucket caps the whole API; the web ACL is a coarse outer guard per
 * `Authorization` header and per IP. Each answers 429 `rate_limited` with `Retry-After`. The authorizer's
 * cache TTL bounds how long a revoked key works.
 *
 * The usage plan references the stage, which depends on every method and so on every function: a function
 * whose environment or main policy referenced the plan would close a dependency cycle. `synthesize` fails on
 * one (Template.fromStack refuses an undeployable template), so every test here also guards against that.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizerCacheTtl } from '../../lib/constructs/gateway-api.ts';
import { stageNames, stageSettings, type StageName } from '../../lib/stack.ts';
import { routes } from '../../lib/routes.ts';
import { logicalIdOf, ofType, synthesize, type CfnResourceJson, type Synthesized } from './synth.ts';

const synthesized = {} as Record<StageName, Synthesized>;

beforeAll(() => {
  for (const stage of stageNames) synthesized[stage] = synthesize(stage);
});

interface RateRule {
  readonly Name: string;
  readonly Action: { Block?: { CustomResponse?: { ResponseCode: number; ResponseHeaders?: { Name: string; Value: string }[] } } };
  readonly Statement: { RateBasedStatement?: { AggregateKeyType: string; Limit: number; EvaluationWindowSec: number; CustomKeys?: unknown[] } };
}

const only = (resources: Synthesized['resources'], type: string): CfnResourceJson | undefined => {
  const found = ofType(resources, type);
  expect(found, type).toHaveLength(1);
  return found[0]?.[1];
};

describe('per merchant throttle (usage plan)', () => {
  it.each(stageNames)('%s: one usage plan on the stage, throttling each key at the stage setting', (stage) => {
    const { resources, stack } = synthesized[stage];
    const plan = only(resources, 'AWS::ApiGateway::UsagePlan');

    expect(plan?.Properties?.Throttle).toEqual({
      RateLimit: stageSettings[stage].merchantThrottle.rateLimit,
      BurstLimit: stageSettings[stage].merchantThrottle.burstLimit,
    });
    expect(plan?.Properties?.Quota).toBeUndefined();
    expect(plan?.Properties?.ApiStages).toMatchObject([
      { ApiId: { Ref: logicalIdOf(stack.api.api) }, Stage: { Ref: logicalIdOf(stack.api.api.deploymentStage) } },
    ]);
  });

  it('is stricter per merchant than the stage as a whole', () => {
    for (const stage of stageNames) {
      const { merchantThrottle, throttle } = stageSettings[stage];

      expect(merchantThrottle.rateLimit, stage).toBeLessThan(throttle.rateLimit);
      expect(merchantThrottle.burstLimit, stage).toBeLessThan(throttle.burstLimit);
    }
  });

  it('takes the API key from the authorizer, never from a client header', () => {
    const api = only(synthesized.prod.resources, 'AWS::ApiGateway::RestApi');

    expect(api?.Properties?.ApiKeySourceType).toBe('AUTHORIZER');
  });

  it('requires the key on every merchant route and on no admin, session or public route', () => {
    const { resources, stack } = synthesized.prod;
    const required = new Map(
      stack.api.api.methods.map((method) => [
        `${method.httpMethod} ${method.resource.path}`,
        resources[logicalIdOf(method)]?.Properties?.ApiKeyRequired,
      ]),
    );

    expect(required.size).toBe(routes.length);
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      expect(required.get(key), `${key} (${route.auth})`).toBe(route.auth === 'merchant');
    }
    expect(routes.some((route) => route.auth !== 'merchant')).toBe(true);
  });

  it('names the plan in the environment of the function that enrols merchants', () => {
    const { resources, stack } = synthesized.dev;
    const plan = only(resources, 'AWS::ApiGateway::UsagePlan');
    const merchants = resources[logicalIdOf(stack.functions.merchants.function)];
    const variables = (merchants?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(variables.USAGE_PLAN_NAME).toBe(plan?.Properties?.UsagePlanName);
    expect(variables.USAGE_PLAN_NAME).toBe('payment-gateway-dev-merchants');
  });

  it('answers a merchant route called without a usage plan key with 403 forbidden, as the handlers do', () => {
    const invalidKey = ofType(synthesized.prod.resources, 'AWS::ApiGateway::GatewayResponse').find(
      ([, response]) => response.Properties?.ResponseType === 'INVALID_API_KEY',
    );

    const templates = (invalidKey?.[1].Properties?.ResponseTemplates ?? {}) as Record<string, string>;

    expect(invalidKey?.[1].Properties?.StatusCode).toBe('403');
    expect(JSON.parse(templates['application/json'] ?? '{}')).toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('throttled answers', () => {
  it("answers the usage plan's and the stage's throttling with 429 rate_limited and Retry-After", () => {
    const throttled = ofType(synthesized.prod.resources, 'AWS::ApiGateway::GatewayResponse').find(
      ([, response]) => response.Properties?.ResponseType === 'THROTTLED',
    );
    const stage = ofType(synthesized.prod.resources, 'AWS::ApiGateway::Stage')[0]?.[1];

    expect(throttled?.[1].Properties?.StatusCode).toBe('429');
    expect(JSON.stringify(throttled?.[1].Properties?.ResponseTemplates)).toContain('rate_limited');
    expect(throttled?.[1].Properties?.ResponseParameters).toMatchObject({
      'gatewayresponse.header.Retry-After': "'1'",
      'gatewayresponse.header.Content-Type': "'application/problem+json'",
    });
    expect(JSON.stringify(stage?.Properties?.MethodSettings)).toContain(String(stageSettings.prod.throttle.rateLimit));
  });
});

describe('coarse per key guard (web ACL)', () => {
  it.each(stageNames)('%s: blocks a key with 429 and Retry-After, above its usage plan rate', (stage) => {
    const acl = only(synthesized[stage].resources, 'AWS::WAFv2::WebACL');
    const rules = (acl?.Properties?.Rules ?? []) as RateRule[];
    const perKey = rules.find((rule) => rule.Name === 'RequestsPerKey');
    const settings = stageSettings[stage];

    expect(perKey?.Statement.RateBasedStatement).toMatchObject({
      AggregateKeyType: 'CUSTOM_KEYS',
      EvaluationWindowSec: 60,
      Limit: settings.requestsPerKeyPerMinute,
      CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
    });
    // Outer: a merchant within its usage plan never reaches it.
    expect(settings.requestsPerKeyPerMinute).toBeGreaterThan(settings.merchantThrottle.rateLimit * 60);
    expect(perKey?.Action.Block?.CustomResponse?.ResponseCode).toBe(429);
    expect(perKey?.Action.Block?.CustomResponse?.ResponseHeaders).toContainEqual({ Name: 'Retry-After', Value: '60' });
  });
});

describe('authorizer cache', () => {
  it('lets a revoked key work for at most the authorizer cache TTL (60 s)', () => {
    const [, authorizer] = ofType(synthesized.prod.resources, 'AWS::ApiGateway::Authorizer')[0] ?? [];

    expect(authorizer?.Properties?.AuthorizerResultTtlInSeconds).toBe(authorizerCacheTtl.toSeconds());
    expect(authorizerCacheTtl.toSeconds()).toBe(60);
  });
});
