import { afterEach, describe, expect, it } from 'vitest';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { startHttpServer, type LocalHttpServer } from '../../lib/local/http-server.ts';
import { LocalLambdas, type LambdaHandler } from '../../lib/local/lambda.ts';
import { routes } from '../../lib/routes.ts';
import { functionNames, type FunctionName } from '../../lib/topology.ts';

let server: LocalHttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** Echoes what API Gateway handed the function. */
const echo: ProxyHandler = async (event) => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    resource: event.resource,
    httpMethod: event.httpMethod,
    path: event.path,
    pathParameters: event.pathParameters,
    queryStringParameters: event.queryStringParameters,
    multiValueQueryStringParameters: event.multiValueQueryStringParameters,
    headers: event.headers,
    multiValueHeaders: event.multiValueHeaders,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
    requestContext: event.requestContext,
  }),
});

const allowMerchant: AuthorizerHandler = async (event) => ({
  principalId: 'mer_1',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
  context: { principal: 'merchant', merchantId: 'mer_1', keyId: 'key_1' },
});

async function serve(handlers: Partial<Record<FunctionName, ProxyHandler | AuthorizerHandler>>): Promise<{ url: string; calls: string[] }> {
  const calls: string[] = [];
  const functions = Object.fromEntries(
    functionNames.map((name) => {
      const handler = handlers[name] ?? echo;
      const counted: LambdaHandler = (event: never) => {
        calls.push(name);
        return (handler as (event: unknown) => unknown)(event);
      };
      return [name, { spec: { timeoutSeconds: 5, memoryMb: 128 }, handler: counted }];
    }),
  );
  server = await startHttpServer({ routes, lambdas: new LocalLambdas(functions, 'local'), authorizer: 'authorizer', region: 'local' });
  return { url: server.url, calls };
}

/** A concrete path for a route template, e.g. `/payments/{transaction_id}` → `/payments/txn_123`. */
function concrete(path: string): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => `${name}-value`);
}

async function problemOf(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, unknown>;
}

describe('local API Gateway', () => {
  it('brings every topology route to its function with the resource and method API Gateway would send', async () => {
    const { url } = await serve({ authorizer: allowMerchant });

    for (const route of routes) {
      const response = await fetch(`${url}${concrete(route.path)}`, {
        method: route.method,
        headers: { Authorization: 'Bearer sk_test' },
      });
      const seen = (await response.json()) as { resource: string; httpMethod: string; pathParameters: Record<string, string> | null };

      expect(response.status, `${route.method} ${route.path}`).toBe(200);
      expect({ resource: seen.resource, httpMethod: seen.httpMethod }).toEqual({ resource: route.path, httpMethod: route.method });
      const parameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
      expect(seen.pathParameters).toEqual(parameters.length === 0 ? null : Object.fromEntries(parameters.map((name) => [name, `${name}-value`])));
    }
  });

  it('builds the proxy event from the request: query, headers as sent, body, request context and authorizer context', async () => {
    const { url } = await serve({ authorizer: allowMerchant });

    const response = await fetch(`${url}/payments/txn_1/refunds?expand=a&expand=b&limit=5`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_test', 'Content-Type': 'application/json', 'X-Custom': 'one' },
      body: '{"amount":50}',
    });
    const seen = (await response.json()) as Omit<APIGatewayProxyEvent, 'requestContext'> & { requestContext: APIGatewayProxyEvent['requestContext'] };

    expect(seen.path).toBe('/payments/txn_1/refunds');
    expect(seen.pathParameters).toEqual({ transaction_id: 'txn_1' });
    expect(seen.queryStringParameters).toEqual({ expand: 'b', limit: '5' });
    expect(seen.multiValueQueryStringParameters).toEqual({ expand: ['a', 'b'], limit: ['5'] });
    expect(seen.body).toBe('{"amount":50}');
    expect(seen.isBase64Encoded).toBe(false);
    expect(Object.entries(seen.headers).find(([name]) => name.toLowerCase() === 'x-custom')?.[1]).toBe('one');
    expect(Object.entries(seen.multiValueHeaders).find(([name]) => name.toLowerCase() === 'x-custom')?.[1]).toEqual(['one']);
    expect(seen.headers['X-Forwarded-Proto']).toBe('http');
    expect(seen.requestContext).toMatchObject({
      resourcePath: '/payments/{transaction_id}/refunds',
      httpMethod: 'POST',
      stage: 'local',
      identity: { sourceIp: '127.0.0.1' },
      authorizer: { principal: 'merchant', merchantId: 'mer_1', keyId: 'key_1', principalId: 'mer_1' },
    });
    expect(seen.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('request-id')).toBe(seen.requestContext.requestId);
  });

  it('gives the authorizer the REQUEST event API Gateway sends', async () => {
    let seen: APIGatewayRequestAuthorizerEvent | undefined;
    const { url } = await serve({
      authorizer: async (event: APIGatewayRequestAuthorizerEvent) => {
        seen = event;
        return allowMerchant(event);
      },
    });

    await fetch(`${url}/payments/txn_9?x=1`, { headers: { Authorization: 'Bearer sk_test' } });

    expect(seen).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:local:000000000000:local/local/GET/payments/txn_9',
      resource: '/payments/{transaction_id}',
      path: '/payments/txn_9',
      httpMethod: 'GET',
      pathParameters: { transaction_id: 'txn_9' },
      queryStringParameters: { x: '1' },
    });
    expect(Object.entries(seen?.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1]).toBe('Bearer sk_test');
  });

  it('answers 401 problem+json without calling the handler when the authorizer refuses', async () => {
    const { url, calls } = await serve({
      authorizer: async () => {
        throw new Error('Unauthorized');
      },
    });

    const response = await fetch(`${url}/payments`, { method: 'POST', headers: { Authorization: 'Bearer sk_bad' }, body: '{}' });
    const problem = await problemOf(response);

    expect(response.status).toBe(401);
    expect(problem).toMatchObject({ status: 401, code: 'unauthenticated', request_id: response.headers.get('request-id') });
    expect(calls).toEqual(['authorizer']);
  });

  it('answers 403 problem+json, as API Gateway does, when the policy denies the method or does not cover it', async () => {
    const deny: AuthorizerHandler = async (event) => ({
      principalId: 'x',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }] },
    });
    const elsewhere: AuthorizerHandler = async () => ({
      principalId: 'x',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:local:000000000000:local/local/GET/health' }],
      },
    });
    const denied = await serve({ authorizer: deny });
    const deniedResponse = await fetch(`${denied.url}/transactions`, { headers: { Authorization: 'Bearer sk_x' } });
    const deniedProblem = await problemOf(deniedResponse);
    await server?.close();
    const uncovered = await serve({ authorizer: elsewhere });
    const uncoveredResponse = await fetch(`${uncovered.url}/transactions`, { headers: { Authorization: 'Bearer sk_x' } });

    expect(deniedResponse.status).toBe(403);
    expect(deniedProblem.code).toBe('forbidden');
    expect(denied.calls).toEqual(['authorizer']);
    expect(uncoveredResponse.status).toBe(403);
    expect(uncovered.calls).toEqual(['authorizer']);
  });

  it('accepts a wildcard policy covering the whole API, as the authorizer returns for its cache', async () => {
    const wholeApi: AuthorizerHandler = async () => ({
      principalId: 'mer_1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:local:000000000000:local/local/*/*' }],
      },
      context: { principal: 'merchant', merchantId: 'mer_1', keyId: 'key_1' },
    });
    const { url, calls } = await serve({ authorizer: wholeApi });

    const response = await fetch(`${url}/payments/txn_1/capture`, { method: 'POST', headers: { Authorization: 'Bearer sk_x' } });

    expect(response.status).toBe(200);
    expect(calls).toEqual(['authorizer', 'payments']);
  });

  it('answers 500 problem+json when the authorizer crashes, and never calls the handler', async () => {
    const { url, calls } = await serve({
      authorizer: async () => {
        throw new Error('table unreachable');
      },
    });

    const response = await fetch(`${url}/transactions`, { headers: { Authorization: 'Bearer sk_x' } });
    const problem = await problemOf(response);

    expect(response.status).toBe(500);
    expect(problem.code).toBe('internal_error');
    expect(JSON.stringify(problem)).not.toContain('table unreachable');
    expect(calls).toEqual(['authorizer']);
  });

  it('does not ask the authorizer for a public route', async () => {
    const { url, calls } = await serve({});

    const response = await fetch(`${url}/health`);

    expect(response.status).toBe(200);
    expect(calls).toEqual(['health']);
  });

  it('answers an unknown path with 404 and a known path with a wrong method with 405 and Allow', async () => {
    const { url, calls } = await serve({});

    const unknown = await fetch(`${url}/nowhere`);
    const unknownProblem = await problemOf(unknown);
    const wrongMethod = await fetch(`${url}/payments/txn_1`, { method: 'DELETE' });
    const wrongMethodProblem = await problemOf(wrongMethod);

    expect(unknown.status).toBe(404);
    expect(unknownProblem).toMatchObject({ status: 404, code: 'route_not_found' });
    expect(unknown.headers.get('request-id')).toBe(unknownProblem.request_id);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(wrongMethodProblem).toMatchObject({ status: 405, code: 'method_not_allowed' });
    expect(calls).toEqual([]);
  });

  it('answers 502 problem+json without a stack trace when the handler throws', async () => {
    const { url } = await serve({
      health: async () => {
        throw new Error('secret internals at handler.ts:12');
      },
    });

    const response = await fetch(`${url}/health`);
    const text = await response.text();

    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(text)).toMatchObject({ status: 502, code: 'internal_error' });
    expect(text).not.toContain('secret internals');
    expect(text).not.toContain('handler.ts');
  });

  it('answers 502 when the handler returns something that is not a proxy result', async () => {
    const { url } = await serve({ health: (async () => ({ status: 200 })) as unknown as ProxyHandler });

    const response = await fetch(`${url}/health`);

    expect(response.status).toBe(502);
  });

  it('refuses a body over 10 MB with 413 before any function runs', async () => {
    const { url, calls } = await serve({ authorizer: allowMerchant });

    const response = await fetch(`${url}/payments`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_test', 'Content-Type': 'application/json' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    const problem = await problemOf(response);

    expect(response.status).toBe(413);
    expect(problem.code).toBe('request_too_large');
    expect(calls).toEqual([]);
  });

  it("passes the handler's status, headers and multi-value headers through, keeping its own Request-Id", async () => {
    const { url } = await serve({
      health: async () => ({
        statusCode: 201,
        headers: { 'Request-Id': 'from-handler', 'X-One': 'single' },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
        body: 'created',
      }),
    });

    const response = await fetch(`${url}/health`);

    expect(response.status).toBe(201);
    expect(response.headers.get('request-id')).toBe('from-handler');
    expect(response.headers.get('x-one')).toBe('single');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.text()).toBe('created');
  });
});
