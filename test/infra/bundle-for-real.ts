/**
 * One function bundled for real, as GatewayFunction packages it for Lambda (the other infrastructure tests
 * skip bundling). The cloud assembly is written inside the repository, so the bundle's `@aws-sdk/*` imports
 * resolve as the Lambda runtime resolves them.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { GatewayFunction } from '../../lib/constructs/gateway-function.ts';
import { queueNames, table as tableSpec, type FunctionName, type QueueName } from '../../lib/topology.ts';
import { cdkJson } from './synth.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = path.join(projectRoot, 'test/artifacts');

export interface BundledFunction {
  /** The asset's folder: `index.mjs`, its source map, and any files the function ships beside it. */
  readonly assetDir: string;
  /** Deletes the cloud assembly. */
  remove(): void;
}

export function bundleForReal(name: FunctionName): BundledFunction {
  mkdirSync(artifacts, { recursive: true });
  const outdir = mkdtempSync(path.join(artifacts, `infra-bundle-${name}-`));
  const app = new App({ outdir, context: cdkJson.context });
  const stack = new Stack(app, 'Bundle');
  const bundled = new GatewayFunction(stack, 'Function', {
    name,
    projectRoot,
    resources: {
      table: new dynamodb.Table(stack, 'Table', { partitionKey: { name: tableSpec.partitionKey, type: dynamodb.AttributeType.STRING } }),
      cardKey: new kms.Key(stack, 'CardKey'),
      platformKey: new kms.Key(stack, 'PlatformKey'),
      adminKeySecret: new secretsmanager.Secret(stack, 'AdminKey'),
      queues: Object.fromEntries(queueNames.map((queue) => [queue, new sqs.Queue(stack, queue)])) as Record<QueueName, sqs.Queue>,
    },
    logRetention: logs.RetentionDays.ONE_DAY,
    logRemovalPolicy: RemovalPolicy.DESTROY,
  });
  app.synth();
  // The asset's directory in the cloud assembly is named after the hash that is also its S3 key.
  const code = stack.resolve((bundled.function.node.defaultChild as lambda.CfnFunction).code) as { s3Key: string };
  return {
    assetDir: path.join(outdir, `asset.${code.s3Key.replace(/\.zip$/, '')}`),
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
