import { afterEach, describe, expect, it, vi } from 'vitest';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { hashSecret } from '../../../functions/merchants/secret-keys.ts';
import { makeAuthorizer, wholeApiArn } from '../../../functions/merchants/authorizer.ts';
import { authorizerEvent, lambdaContext } from '../http/api-event.ts';
import { captureLogs } from '../http/capture-logs.ts';

const ADMIN_KEY = 'admin-key-for-unit-tests-0123456789';
const MERCHANT_KEY = `sk_live_${'M'.repeat(32)}`;
/** A merchant created before usage plans: it has no usage plan key. */
const UNENROLLED_MERCHANT_KEY = `sk_live_${'U'.repeat(32)}`;
const USAGE_PLAN_KEY = 'apigw-usage-plan-key-value-for-mer-A-0123456789';
const CAPTURE = { method: 'POST', resource: '/payments/{transaction_id}/capture', path: '/payments/txn_1/capture' };
const authorizerEventWith = (headers: Record<string, string>) => authorizerEvent(CAPTURE, headers);


describe('the request authorizer', () => {
  const lookups: string[] = [];
  const authorize = makeAuthorizer({
    adminKey: async () => ADMIN_KEY,
    apiKeys: {
      findActiveKey: async (hash) => {
        lookups.push(hash);
        if (hash === hashSecret(MERCHANT_KEY)) return { merchantId: 'mer_A', keyId: 'key_A', usagePlanKey: USAGE_PLAN_KEY };
        return hash === hashSecret(UNENROLLED_MERCHANT_KEY) ? { merchantId: 'mer_U', keyId: 'key_U' } : undefined;
      },
    },
    // Session tokens are covered by test/integration/sessions.test.ts.
    sessions: { findActive: async () => undefined },
  });

  afterEach(() => {
    lookups.length = 0;
  });

  it('lets the admin key in as the admin, over the whole API', async () => {
    const result = await authorize(authorizerEventWith({ Authorization: `Bearer ${ADMIN_KEY}` }), lambdaContext);

    expect(result.context).toEqual({ principal: 'admin' });
    // Admin routes require no usage plan key; merchant routes refuse the admin (403) without one.
    expect(result.usageIdentifierKey).toBeUndefined();
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*' },
    ]);
  });

  it('lets an active merchant key in as that merchant', async () => {
    const result = await authorize(authorizerEventWith({ authorization: `bearer ${MERCHANT_KEY}` }), lambdaContext);

    expect(result.principalId).toBe('mer_A');
    expect(result.context).toEqual({ principal: 'merchant', merchantId: 'mer_A', keyId: 'key_A' });
  });

  it("names the merchant's usage plan key, so API Gateway throttles it on its own, and never logs it", async () => {
    let result: APIGatewayAuthorizerResult | undefined;

    const logs = await captureLogs(async () => {
      result = await authorize(authorizerEventWith({ Authorization: `Bearer ${MERCHANT_KEY}` }), lambdaContext);
    });

    expect(result?.usageIdentifierKey).toBe(USAGE_PLAN_KEY);
    expect(JSON.stringify(result?.context)).not.toContain(USAGE_PLAN_KEY);
    expect(logs).not.toContain(USAGE_PLAN_KEY);
  });

  it('lets a merchant without a usage plan key in, naming none, and warns the operator', async () => {
    let result: APIGatewayAuthorizerResult | undefined;

    const logs = await captureLogs(async () => {
      result = await authorize(authorizerEventWith({ Authorization: `Bearer ${UNENROLLED_MERCHANT_KEY}` }), lambdaContext);
    });

    expect(result?.context).toEqual({ principal: 'merchant', merchantId: 'mer_U', keyId: 'key_U' });
    expect(result).not.toHaveProperty('usageIdentifierKey');
    expect(logs).toContain('Merchant has no usage plan key');
  });

  it.each([
    ['no Authorization header', {}],
    ['another scheme', { Authorization: `Basic ${MERCHANT_KEY}` }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
    ['an unknown or revoked secret key', { Authorization: `Bearer sk_live_${'x'.repeat(32)}` }],
    ['a near miss of the admin key', { Authorization: `Bearer ${ADMIN_KEY}x` }],
  ])("refuses %s with API Gateway's Unauthorized", async (_, headers) => {
    await expect(authorize(authorizerEventWith(headers), lambdaContext)).rejects.toThrow(/^Unauthorized$/);
  });

  it('does not read the table for a key that cannot be a secret key', async () => {
    await expect(authorize(authorizerEventWith({ Authorization: 'Bearer pk_test_123' }), lambdaContext)).rejects.toThrow(
      'Unauthorized',
    );

    expect(lookups).toEqual([]);
  });

  it('never logs the key, whether it is let in or refused', async () => {
    const logs = await captureLogs(async () => {
      await authorize(authorizerEventWith({ Authorization: `Bearer ${ADMIN_KEY}` }), lambdaContext);
      await authorize(authorizerEventWith({ Authorization: 'Bearer not-a-key-at-all' }), lambdaContext).catch(() => undefined);
    });

    expect(logs).not.toContain(ADMIN_KEY);
    expect(logs).not.toContain('not-a-key-at-all');
  });

  it('derives the whole-API resource from any method ARN', () => {
    expect(wholeApiArn('arn:aws:execute-api:us-east-1:111122223333:api1/stage1/GET/health')).toBe(
      'arn:aws:execute-api:us-east-1:111122223333:api1/stage1/*/*',
    );
  });
});

describe('the authorizer function', () => {
  it('fails to load, naming the variables, when no admin key is configured', async () => {
    vi.stubEnv('TABLE_NAME', 'unit-test');
    vi.stubEnv('ADMIN_API_KEY', undefined);
    vi.stubEnv('ADMIN_KEY_SECRET_ID', undefined);
    // Test files share a module cache (vitest.config.ts): load the wiring afresh, as a cold start does.
    vi.resetModules();
    try {
      await expect(import('../../../functions/wiring/authorizer.ts')).rejects.toThrow(/ADMIN_API_KEY.*ADMIN_KEY_SECRET_ID/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
