/**
 * A function's code as Lambda gets it: the health function bundled for real (see bundle-for-real.ts),
 * loaded from its asset and invoked with an API Gateway event.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { env } from '../../lib/topology.ts';
import { bundleForReal, type BundledFunction } from './bundle-for-real.ts';

let bundled: BundledFunction;
let assetDir: string;

beforeAll(() => {
  bundled = bundleForReal('health');
  ({ assetDir } = bundled);
});

afterAll(() => {
  vi.unstubAllEnvs();
  bundled.remove();
});

describe('a bundled function', () => {
  it('is one ES module with its source map, leaving the AWS SDK to the Lambda runtime', () => {
    const files = readdirSync(assetDir).sort();
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');

    expect(files).toEqual(['index.mjs', 'index.mjs.map']);
    expect(bundle).toMatch(/from\s*"@aws-sdk\/client-dynamodb"/);
    expect(bundle).not.toContain('node_modules/@aws-sdk/');
  });

  it('loads as Lambda loads it and answers an API Gateway event: the table is unreachable, so a 503 problem', async () => {
    const environment = {
      [env.tableName]: 'gateway-table',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // Nothing listens on the discard port: DynamoDB is down.
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    };
    for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
    const { handler } = (await import(pathToFileURL(path.join(assetDir, 'index.mjs')).href)) as {
      handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
    };

    const result = await handler(healthEvent('req-bundle-1'), lambdaContext());

    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Content-Type'] ?? result.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(result.body)).toMatchObject({ status: 503, request_id: 'req-bundle-1' });
  });
});

function healthEvent(requestId: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    resource: '/health',
    path: '/health',
    headers: { Host: 'api.example.com' },
    multiValueHeaders: { Host: ['api.example.com'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: 'GET',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
      path: '/dev/health',
      stage: 'dev',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'health',
      resourcePath: '/health',
    },
  };
}

function lambdaContext(): Context {
  const unsupported = (): never => {
    throw new Error('callback-style context methods are not used');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'health',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:health',
    memoryLimitInMB: '512',
    awsRequestId: 'lambda-request-1',
    logGroupName: '/aws/lambda/health',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10_000,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
