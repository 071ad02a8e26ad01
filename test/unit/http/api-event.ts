/** API Gateway REST proxy and REQUEST authorizer events and a Lambda context, as API Gateway and Lambda would hand them over. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import type { SessionAuth } from '../../../lib/topology.ts';

export type Caller =
  | { readonly principal: 'admin' }
  | { readonly principal: 'merchant'; readonly merchantId: string; readonly keyId: string }
  | { readonly principal: SessionAuth; readonly merchantId: string; readonly sessionId: string }
  | undefined;

export const admin = { principal: 'admin' } as const satisfies Caller;
export const merchant = {
  principal: 'merchant',
  merchantId: 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E',
  keyId: 'key_01JD2Z8Q7F3X4Y5Z6A7B8C9D0F',
} as const satisfies Caller;

export interface EventOptions {
  readonly caller?: Caller;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
  readonly path?: string;
  readonly requestId?: string;
}

export function apiEvent(method: string, resource: string, options: EventOptions = {}): APIGatewayProxyEvent {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json';
  }
  const path = options.path ?? resource;
  return {
    httpMethod: method,
    resource,
    path,
    headers,
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      authorizer: options.caller === undefined ? null : { ...options.caller },
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/prod${path}`,
      stage: 'prod',
      requestId: options.requestId ?? `req-${Math.random().toString(36).slice(2)}`,
      requestTimeEpoch: 0,
      resourceId: 'res123',
      resourcePath: resource,
    },
  };
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'unit-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:unit-test',
  memoryLimitInMB: '512',
  awsRequestId: 'aws-request-id',
  logGroupName: '/aws/lambda/unit-test',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

/** The parsed body of a response; tests read arbitrary JSON fields. */
export function jsonOf(response: APIGatewayProxyResult): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** The method a REQUEST authorizer is asked about, as its method ARN names it (the API and stage are made up). */
export interface AuthorizedMethod {
  readonly method: string;
  /** The route's resource, e.g. `/payments/{transaction_id}/capture`. */
  readonly resource: string;
  /** The request's path, e.g. `/payments/txn_1/capture`. */
  readonly path: string;
}

/** The ARN API Gateway gives a REQUEST authorizer for that method. */
const methodArnOf = ({ method, path }: AuthorizedMethod): string =>
  `arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/${method}${path}`;

/** A REQUEST authorizer event for that method, with these headers. */
export function authorizerEvent(asked: AuthorizedMethod, headers: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: methodArnOf(asked),
    resource: asked.resource,
    path: asked.path,
    httpMethod: asked.method,
    headers,
    multiValueHeaders: null,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}
