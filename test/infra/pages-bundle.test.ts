/**
 * The pages function bundled for real, as GatewayFunction packages it for Lambda: the hosted pages' files
 * travel beside the bundle (copied by the bundling hook) and the bundle serves them, byte for byte as in the
 * repository, with the pages' security headers.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayFunction } from '../../lib/constructs/gateway-function.ts';
import { queueNames, table as tableSpec } from '../../lib/topology.ts';
import { cdkJson } from './synth.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = path.join(projectRoot, 'test/artifacts');

let outdir: string;
let assetDir: string;

beforeAll(() => {
  mkdirSync(artifacts, { recursive: true });
  outdir = mkdtempSync(path.join(artifacts, 'infra-pages-bundle-'));
  const app = new App({ outdir, context: cdkJson.context });
  const stack = new Stack(app, 'PagesBundle');
  const pages = new GatewayFunction(stack, 'Pages', {
    name: 'pages',
    projectRoot,
    resources: {
      table: new dynamodb.Table(stack, 'Table', { partitionKey: { name: tableSpec.partitionKey, type: dynamodb.AttributeType.STRING } }),
      cardKey: new kms.Key(stack, 'CardKey'),
      platformKey: new kms.Key(stack, 'PlatformKey'),
      adminKeySecret: new secretsmanager.Secret(stack, 'AdminKey'),
      queues: Object.fromEntries(queueNames.map((name) => [name, new sqs.Queue(stack, name)])) as Record<(typeof queueNames)[number], sqs.Queue>,
    },
    logRetention: logs.RetentionDays.ONE_DAY,
    logRemovalPolicy: RemovalPolicy.DESTROY,
  });
  app.synth();
  const code = stack.resolve((pages.function.node.defaultChild as lambda.CfnFunction).code) as { s3Key: string };
  assetDir = path.join(outdir, `asset.${code.s3Key.replace(/\.zip$/, '')}`);
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

function pageEvent(resource: string, pathParameters: Record<string, string> | null = null): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    resource,
    path: resource,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-pages-1' } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('the bundled pages function', () => {
  it('carries the pages beside its bundle', () => {
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'pages']);
    expect(readdirSync(path.join(assetDir, 'pages', 'assets'))).toContain('checkout.js');
  });

  it('serves them as the repository holds them, with the security headers', async () => {
    const { handler } = (await import(pathToFileURL(path.join(assetDir, 'index.mjs')).href)) as {
      handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
    };

    const page = await handler(pageEvent('/pages/checkout'));
    const script = await handler(pageEvent('/pages/assets/{file}', { file: 'checkout.js' }));
    const missing = await handler(pageEvent('/pages/assets/{file}', { file: 'secret.txt' }));

    expect(page.statusCode).toBe(200);
    expect(page.body).toBe(readFileSync(path.join(projectRoot, 'pages', 'checkout.html'), 'utf8'));
    expect(page.headers?.['Content-Security-Policy']).toContain("default-src 'none'");
    expect(script.headers?.['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe(readFileSync(path.join(projectRoot, 'pages', 'assets', 'checkout.js'), 'utf8'));
    expect(missing.statusCode).toBe(404);
  });
});
