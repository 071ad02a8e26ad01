/**
 * API Gateway (REST API, Lambda proxy integration) on one machine: a node:http server that matches each
 * request to a topology route, runs the REQUEST authorizer for 'admin' and 'merchant' routes exactly as
 * API Gateway invokes it, and hands the route's function the proxy event the real handler receives.
 *
 * Not emulated: the authorizer's result cache (the cloud API caches answers per Authorization header, so a
 * revoked key may work there for the cache's TTL; here every request asks the authorizer), the identity
 * source check (the cloud answers 401 without invoking the authorizer when Authorization is missing; the
 * answer here is the same because the authorizer refuses such a request), the usage plan and the WAF (the
 * per-merchant throttle and the per-key rate rule are stood in for by `rateLimiter`, a token bucket per merchant;
 * `apiKeyRequired` is not checked, the handlers refuse a wrong principal with the same 403),
 * binary media types, request validators, and the 29-second integration timeout (the function's own
 * timeout applies).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayEventRequestContextWithAuthorizer, APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import * as z from 'zod';
import type { FunctionName, RouteSpec } from '../topology.ts';
import { LOCAL_ACCOUNT_ID } from './account.ts';
import { gatewayProblems, gatewayResponse, type GatewayProblem, type RawResponse } from './gateway-responses.ts';
import type { Invoker, LocalFunctionName } from './lambda.ts';

/** API Gateway's cap on a request payload. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

const API_ID = 'local';
const STAGE = 'local';

/** A topology route, or one the local runtime serves besides them (see `extraRoutes` in runtime.ts). */
export type LocalRoute = Omit<RouteSpec, 'function'> & { readonly function: LocalFunctionName };

export interface HttpServerOptions {
  readonly routes: readonly LocalRoute[];
  readonly lambdas: Invoker;
  /** The function API Gateway calls as the REQUEST authorizer of 'admin' and 'merchant' routes. */
  readonly authorizer: FunctionName;
  readonly region: string;
  readonly host?: string;
  readonly port?: number;
  /**
   * Per merchant key throttling, as the cloud applies in front of the API (lib/local/rate-limit.ts): takes
   * a token for the key and answers 0, or the seconds to wait. None: no throttling.
   */
  readonly rateLimiter?: { take(key: string): number };
}

export interface LocalHttpServer {
  readonly url: string;
  requestCount(): number;
  close(): Promise<void>;
}

interface Resource {
  readonly path: string;
  readonly segments: readonly ({ literal: string } | { parameter: string })[];
  readonly methods: ReadonlyMap<string, LocalRoute>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const resources = compileRoutes(options.routes);
  const inFlight = new Set<Promise<void>>();
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    const handled = serve(request, response, resources, options).catch((error: unknown) => {
      // A client that hung up mid-request is not a fault of the gateway.
      if (request.socket.destroyed) return;
      console.error(`[http] ${describe(error)}`);
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    requestCount: () => requests,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
    },
  };
}

function compileRoutes(routes: readonly LocalRoute[]): Resource[] {
  const byPath = new Map<string, Map<string, LocalRoute>>();
  for (const route of routes) {
    const methods = byPath.get(route.path) ?? new Map<string, LocalRoute>();
    methods.set(route.method, route);
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    path,
    methods,
    segments: splitPath(path).map((segment) => {
      const parameter = /^\{(.+)\}$/.exec(segment)?.[1];
      return parameter === undefined ? { literal: segment } : { parameter };
    }),
  }));
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

/**
 * The resource a path belongs to and its path parameters. Like API Gateway, a literal segment wins over a
 * `{parameter}` at the same place.
 */
function matchResource(resources: readonly Resource[], pathname: string): { resource: Resource; parameters: Record<string, string> } | undefined {
  let segments: string[];
  try {
    segments = splitPath(pathname).map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
  let best: { resource: Resource; parameters: Record<string, string>; rank: string } | undefined;
  for (const resource of resources) {
    if (resource.segments.length !== segments.length) continue;
    const parameters: Record<string, string> = {};
    let rank = '';
    let matches = true;
    for (const [index, pattern] of resource.segments.entries()) {
      const segment = segments[index] ?? '';
      if ('literal' in pattern) {
        if (pattern.literal !== segment) {
          matches = false;
          break;
        }
        rank += '1';
      } else {
        parameters[pattern.parameter] = segment;
        rank += '0';
      }
    }
    if (matches && (best === undefined || rank > best.rank)) best = { resource, parameters, rank };
  }
  return best;
}

async function serve(request: IncomingMessage, response: ServerResponse, resources: readonly Resource[], options: HttpServerOptions): Promise<void> {
  const requestId = randomUUID();
  const requestTimeEpoch = Date.now();
  const body = await readBody(request);
  const fail = (problem: GatewayProblem, headers?: Record<string, string>): void =>
    send(response, gatewayResponse(problem, requestId, headers), requestId);
  if (body === 'too large') return fail(gatewayProblems.requestTooLarge);

  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const match = matchResource(resources, url.pathname);
  if (match === undefined) return fail(gatewayProblems.routeNotFound);
  const route = match.resource.methods.get(method);
  if (route === undefined) return fail(gatewayProblems.methodNotAllowed, { Allow: [...match.resource.methods.keys()].join(', ') });

  const { headers, multiValueHeaders } = headersOf(request);
  const query = queryOf(url.searchParams);
  const pathParameters = Object.keys(match.parameters).length === 0 ? null : match.parameters;
  const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const requestContext: APIGatewayEventRequestContextWithAuthorizer<undefined> = {
    accountId: LOCAL_ACCOUNT_ID,
    apiId: API_ID,
    authorizer: undefined,
    domainName: request.headers.host ?? 'localhost',
    domainPrefix: (request.headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
    extendedRequestId: requestId,
    protocol: `HTTP/${request.httpVersion}`,
    httpMethod: method,
    identity: identityOf(sourceIp, request.headers['user-agent']),
    // The path as the client called it: locally there is no stage prefix in the URL.
    path: url.pathname,
    stage: STAGE,
    requestId,
    requestTime: clfTime(requestTimeEpoch),
    requestTimeEpoch,
    resourceId: resourceIdOf(route.path),
    resourcePath: route.path,
  };
  const forwarded = withForwardingHeaders(headers, multiValueHeaders, sourceIp, url.port || '80');

  let authorizerContext: Record<string, unknown> | undefined;
  if (route.auth !== 'none') {
    const decision = await authorize(options, {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:${options.region}:${LOCAL_ACCOUNT_ID}:${API_ID}/${STAGE}/${method}${url.pathname}`,
      resource: route.path,
      path: url.pathname,
      httpMethod: method,
      headers: forwarded.headers,
      multiValueHeaders: forwarded.multiValueHeaders,
      pathParameters,
      queryStringParameters: query.single,
      multiValueQueryStringParameters: query.multi,
      stageVariables: null,
      requestContext,
    });
    if ('problem' in decision) return fail(decision.problem);
    authorizerContext = decision.context;
    // Per merchant, as the cloud's usage plan (one API key per merchant), and only once the key is known to
    // be good: unknown keys are refused above and use no bucket; admin and session calls have none either.
    const merchantId = authorizerContext.principal === 'merchant' ? authorizerContext.merchantId : undefined;
    const retryAfter = typeof merchantId === 'string' ? (options.rateLimiter?.take(merchantId) ?? 0) : 0;
    if (retryAfter > 0) return fail(gatewayProblems.rateLimited, { 'Retry-After': String(retryAfter) });
  }

  const event: APIGatewayProxyEvent = {
    resource: route.path,
    path: url.pathname,
    httpMethod: method,
    headers: forwarded.headers,
    multiValueHeaders: forwarded.multiValueHeaders,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters,
    stageVariables: null,
    requestContext: { ...requestContext, authorizer: authorizerContext },
    body: body.length === 0 ? null : body.toString('utf8'),
    isBase64Encoded: false,
  };
  let result: unknown;
  try {
    result = await options.lambdas.invoke(route.function, event);
  } catch (error) {
    console.error(`[http] ${route.function} failed on ${method} ${route.path} (request ${requestId}): ${describe(error)}`);
    return fail(gatewayProblems.integrationFailure);
  }
  const proxyResult = proxyResultSchema.safeParse(result);
  if (!proxyResult.success) {
    console.error(`[http] ${route.function} returned a malformed proxy result on ${method} ${route.path} (request ${requestId})`);
    return fail(gatewayProblems.integrationFailure);
  }
  sendProxyResult(response, proxyResult.data, requestId);
}

async function readBody(request: IncomingMessage): Promise<Buffer | 'too large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Reads to the end even when over the cap, so the client gets the 413 instead of a reset connection.
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(buffer);
  }
  return size > MAX_REQUEST_BYTES ? 'too large' : Buffer.concat(chunks);
}

/** Header names keep the client's spelling, as API Gateway passes them; the single-value map keeps the last value. */
function headersOf(request: IncomingMessage): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const spelling = new Map<string, string>();
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = request.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] ?? '';
    const value = raw[index + 1] ?? '';
    const key = spelling.get(name.toLowerCase()) ?? name;
    spelling.set(name.toLowerCase(), key);
    (multiValueHeaders[key] ??= []).push(value);
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(multiValueHeaders)) headers[name] = values[values.length - 1] ?? '';
  return { headers, multiValueHeaders };
}

/** API Gateway adds these on the way in; handlers use them to rebuild the URL the client called. */
function withForwardingHeaders(
  headers: Record<string, string>,
  multiValueHeaders: Record<string, string[]>,
  sourceIp: string,
  port: string,
): { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } {
  const result = { headers: { ...headers }, multiValueHeaders: { ...multiValueHeaders } };
  const set = (name: string, value: string): void => {
    const existing = Object.keys(result.headers).find((key) => key.toLowerCase() === name.toLowerCase());
    if (existing !== undefined) {
      delete result.headers[existing];
      delete result.multiValueHeaders[existing];
    }
    result.headers[name] = value;
    result.multiValueHeaders[name] = [value];
  };
  const forwardedFor = Object.entries(headers).find(([key]) => key.toLowerCase() === 'x-forwarded-for')?.[1];
  set('X-Forwarded-For', forwardedFor === undefined ? sourceIp : `${forwardedFor}, ${sourceIp}`);
  set('X-Forwarded-Proto', 'http');
  set('X-Forwarded-Port', port);
  return result;
}

function queryOf(params: URLSearchParams): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  const multi: Record<string, string[]> = {};
  for (const [name, value] of params) (multi[name] ??= []).push(value);
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) single[name] = values[values.length - 1] ?? '';
  return { single, multi };
}

function identityOf(sourceIp: string, userAgent: string | undefined): APIGatewayProxyEvent['requestContext']['identity'] {
  return {
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
    sourceIp,
    user: null,
    userAgent: userAgent ?? null,
    userArn: null,
  };
}

/** API Gateway's `requestTime`: `09/Apr/2015:12:34:56 +0000`. */
function clfTime(epochMs: number): string {
  const date = new Date(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()] ?? ''}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function resourceIdOf(path: string): string {
  let hash = 0;
  for (const char of path) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return hash.toString(36).padStart(6, '0').slice(0, 6);
}

// --- the authorizer ---------------------------------------------------------------------------------------

const stringOrList = z.union([z.string(), z.array(z.string())]);
const authorizerResultSchema = z.object({
  principalId: z.string(),
  policyDocument: z.object({
    Statement: z.array(
      z.object({
        Effect: z.enum(['Allow', 'Deny']),
        Action: stringOrList.optional(),
        Resource: stringOrList.optional(),
      }),
    ),
  }),
  // API Gateway accepts only flat string, number and boolean values here.
  context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).nullish(),
});

type Decision = { context: Record<string, unknown> } | { problem: GatewayProblem };

async function authorize(options: HttpServerOptions, event: APIGatewayRequestAuthorizerEvent): Promise<Decision> {
  const started = Date.now();
  let result: unknown;
  try {
    result = await options.lambdas.invoke(options.authorizer, event);
  } catch (error) {
    // The one answer API Gateway turns into a 401; any other error is the authorizer failing.
    if (error instanceof Error && error.message === 'Unauthorized') return { problem: gatewayProblems.unauthorized };
    console.error(`[http] the authorizer failed on ${event.httpMethod} ${event.resource}: ${describe(error)}`);
    return { problem: gatewayProblems.authorizerFailure };
  }
  const parsed = authorizerResultSchema.safeParse(result);
  if (!parsed.success) {
    console.error(`[http] the authorizer returned a malformed answer on ${event.httpMethod} ${event.resource}`);
    return { problem: gatewayProblems.authorizerFailure };
  }
  const statements = parsed.data.policyDocument.Statement.filter(
    (statement) =>
      listOf(statement.Action).some((action) => wildcardMatches(action, 'execute-api:Invoke', true)) &&
      listOf(statement.Resource).some((resource) => wildcardMatches(resource, event.methodArn, false)),
  );
  const allowed = statements.some((statement) => statement.Effect === 'Allow') && !statements.some((statement) => statement.Effect === 'Deny');
  if (!allowed) return { problem: gatewayProblems.accessDenied };
  const context: Record<string, unknown> = { principalId: parsed.data.principalId, integrationLatency: Date.now() - started };
  for (const [name, value] of Object.entries(parsed.data.context ?? {})) {
    if (value !== null) context[name] = String(value);
  }
  return { context };
}

function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/** IAM-style matching: `*` is any run of characters, `?` any one character. */
function wildcardMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

// --- the answer ----------------------------------------------------------------------------------------------

const headerValue = z.union([z.string(), z.number(), z.boolean()]);
const proxyResultSchema = z.object({
  statusCode: z.number().int().min(100).max(599),
  headers: z.record(z.string(), headerValue).nullish(),
  multiValueHeaders: z.record(z.string(), z.array(headerValue)).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().nullish(),
});

function sendProxyResult(response: ServerResponse, result: z.infer<typeof proxyResultSchema>, requestId: string): void {
  // As API Gateway merges them: a name in multiValueHeaders replaces the same name in headers.
  const merged = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of Object.entries(result.headers ?? {})) merged.set(name.toLowerCase(), { name, values: [String(value)] });
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    merged.set(name.toLowerCase(), { name, values: values.map(String) });
  }
  // The gateway frames the response itself.
  for (const hopByHop of ['content-length', 'transfer-encoding', 'connection']) merged.delete(hopByHop);
  if (!merged.has('content-type')) merged.set('content-type', { name: 'Content-Type', values: ['application/json'] });
  const headers: Record<string, string | string[]> = {};
  for (const { name, values } of merged.values()) headers[name] = values.length === 1 ? (values[0] ?? '') : values;
  const body = result.body ?? '';
  send(response, { status: result.statusCode, headers, body: result.isBase64Encoded === true ? Buffer.from(body, 'base64') : body }, requestId);
}

function send(
  response: ServerResponse,
  answer: RawResponse | { status: number; headers: Record<string, string | string[]>; body: string | Buffer },
  requestId: string,
): void {
  const headers: Record<string, string | string[]> = { ...answer.headers };
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!names.has('request-id')) headers['Request-Id'] = requestId;
  headers['x-amzn-RequestId'] = requestId;
  headers['Content-Length'] = String(Buffer.byteLength(answer.body));
  response.writeHead(answer.status, headers);
  response.end(answer.body);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
