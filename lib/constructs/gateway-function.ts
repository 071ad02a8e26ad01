import path from 'node:path';
import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  env,
  functions,
  queues as queueSpecs,
  type FunctionAccess,
  type FunctionName,
  type IndexName,
  type QueueName,
  type QueueSpec,
} from '../topology.ts';
import { partitionPattern, tableAccessOf } from './table-access.ts';
import { acknowledge } from '../nag.ts';

function consumesAQueue(name: FunctionName): boolean {
  return Object.values<QueueSpec>(queueSpecs).some((queue) => queue.consumer === name);
}

/** The newest Node.js runtime this aws-cdk-lib knows; pinned, not NODEJS_LATEST, so a CDK upgrade never changes it silently. */
export const functionRuntime = lambda.Runtime.NODEJS_24_X;

/** What the functions may be granted access to; which of it each one gets comes from its topology `access`. */
export interface GatewayResources {
  readonly table: dynamodb.ITable;
  readonly cardKey: kms.IKey;
  readonly queues: Readonly<Record<QueueName, sqs.IQueue>>;
  readonly adminKeySecret: secretsmanager.ISecret;
  /** Encrypts the log groups and the admin key secret. */
  readonly platformKey: kms.IKey;
}

export interface GatewayFunctionProps {
  readonly name: FunctionName;
  /** Repository root: topology entries are relative to it, and its package-lock.json pins the bundle. */
  readonly projectRoot: string;
  readonly resources: GatewayResources;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The only table actions a function gets; Scan, DescribeTable and the stream actions are left out on purpose
 * (see DESIGN "Data"). Each is allowed only on the partitions lib/constructs/table-access.ts lists for it.
 */
const tableReadActions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const tableWriteActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const leadingKeys = 'dynamodb:LeadingKeys';

/** Allowed only when every partition key the request names matches one of `patterns`. */
function onlyPartitions(patterns: readonly string[]): Record<string, Record<string, string[]>> {
  // ForAllValues is what IAM asks of LeadingKeys (a request may name several keys); every read and write names one.
  return { 'ForAllValues:StringLike': { [leadingKeys]: [...new Set(patterns)].sort() } };
}

/** Encryption context keys the card vault binds its data keys to (see functions/adapters, card vault). */
const merchantContextKey = 'kms:EncryptionContext:merchant_id';
/** The day a card data key seals for (functions/adapters/card-data-keys.ts): new keys always carry it. */
const periodContextKey = 'kms:EncryptionContext:data_key_period';
const purposeContextKey = 'kms:EncryptionContext:purpose';

/**
 * What the card key protects, each told apart by its encryption context, and the condition that admits only
 * that one. Card data keys carry `merchant_id` and no `purpose` (functions/adapters/card-vault.ts); everything
 * else sealed under this key names its `purpose`. So a grant for card data cannot open a webhook signing secret
 * (context `purpose=webhook_secret, merchant_id, endpoint_id`), and a grant for a purpose cannot open card data.
 */
export const cardKeyPurposes = {
  cardData: { Null: { [merchantContextKey]: 'false', [purposeContextKey]: 'true' } },
  /** New card data keys are made for a merchant and a day; older ones (format v1) carry no day, and still open. */
  newCardData: { Null: { [merchantContextKey]: 'false', [periodContextKey]: 'false', [purposeContextKey]: 'true' } },
  fingerprint: { StringEquals: { [purposeContextKey]: 'fingerprint' } },
  webhookSecret: { StringEquals: { [purposeContextKey]: 'webhook_secret' } },
  idempotentResponse: { StringEquals: { [purposeContextKey]: 'idempotent_response' } },
} as const satisfies Record<string, Record<string, Record<string, string>>>;

/** One use of the card key that a function's access allows: the same in its IAM policy and in the key policy. */
export interface CardKeyUse {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly conditions: (typeof cardKeyPurposes)[keyof typeof cardKeyPurposes];
}

/** The uses of the card key a topology `access` allows, each under its purpose's condition. */
export function cardKeyUses(access: FunctionAccess): CardKeyUse[] {
  const uses: CardKeyUse[] = [];
  // A card data key is always bound to the merchant that owns the card, and a new one to the day it seals for.
  if (access.cardKey?.includes('encrypt') === true) {
    uses.push({ sid: 'GenerateCardDataKeys', actions: ['kms:GenerateDataKey'], conditions: cardKeyPurposes.newCardData });
  }
  if (access.cardKey?.includes('decrypt') === true) {
    uses.push({ sid: 'DecryptCardDataKeys', actions: ['kms:Decrypt'], conditions: cardKeyPurposes.cardData });
  }
  if (access.fingerprintKey === true) {
    uses.push({ sid: 'UseFingerprintKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], conditions: cardKeyPurposes.fingerprint });
  }
  const webhookSecretActions = (access.webhookSecrets ?? []).map((use) => (use === 'encrypt' ? 'kms:Encrypt' : 'kms:Decrypt'));
  if (webhookSecretActions.length > 0) {
    // Only webhook signing secrets: never a card data key or the fingerprint key.
    uses.push({ sid: 'UseWebhookSecrets', actions: webhookSecretActions, conditions: cardKeyPurposes.webhookSecret });
  }
  if (access.idempotentResponses === true) {
    // Only stored responses that hold a secret: never a card data key, the fingerprint key or a webhook secret.
    uses.push({ sid: 'SealIdempotentResponses', actions: ['kms:Encrypt', 'kms:Decrypt'], conditions: cardKeyPurposes.idempotentResponse });
  }
  return uses;
}

/**
 * One gateway Lambda function with every default the project relies on: bundled from its topology entry
 * with local esbuild, arm64 on a pinned Node.js runtime, X-Ray tracing, its own encrypted log group with
 * a retention period, and a role whose only policy is built from the function's topology `access`.
 *
 * The role is handed to Lambda as immutable so that no CDK convenience (tracing, event sources, grants)
 * can widen it behind our back: every permission it has is written out below, in one customer-managed
 * policy (no inline policy, no AWS-managed policy), and the infrastructure tests read it back.
 */
export class GatewayFunction extends Construct {
  readonly name: FunctionName;
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly policy: iam.ManagedPolicy;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    const spec = functions[props.name];
    this.name = props.name;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.resources.platformKey,
      removalPolicy: props.logRemovalPolicy,
      // Defence in depth: handlers never log card data, and if one ever did, CloudWatch masks it.
      dataProtectionPolicy: new logs.DataProtectionPolicy({
        name: 'mask-card-data',
        identifiers: [logs.DataIdentifier.CREDITCARDNUMBER, logs.DataIdentifier.CREDITCARDSECURITYCODE],
      }),
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.name} function: ${spec.description}`,
    });
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Exactly what the ${props.name} function may do (lib/topology.ts access)`,
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
        new iam.PolicyStatement({
          sid: 'SendTraces',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
        ...accessStatements(props.name, spec.access, props.resources),
      ],
    });
    acknowledge(
      this.policy.node.defaultChild as iam.CfnManagedPolicy,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions (AWS Service ' +
        'Authorization Reference); every other statement in this policy names its resources.',
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(props.projectRoot, spec.entry),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      description: spec.description,
      runtime: functionRuntime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      // A queue consumer's limit goes on its event source instead (consume), where it throttles nothing.
      ...(spec.maxConcurrency !== undefined && !consumesAQueue(props.name)
        ? { reservedConcurrentExecutions: spec.maxConcurrency }
        : {}),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role.withoutPolicyUpdates(),
      logGroup: this.logGroup,
      environment: {
        ...environmentOf(spec.access, props.resources),
        // Stack traces point into the TypeScript sources rather than the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // The Node.js runtime ships AWS SDK v3: leaving it out keeps every bundle small (bench measures
        // bundle size and cold init), and it provides clients the project does not install itself, e.g.
        // Secrets Manager behind Powertools parameters. The price is that the SDK version is the runtime's.
        externalModules: ['@aws-sdk/*'],
        // Bundled CommonJS dependencies call require() for Node built-ins, which ESM lacks.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        forceDockerBundling: false,
        ...(spec.staticFiles === undefined ? {} : { commandHooks: copyStaticFiles(spec.staticFiles) }),
      },
    });
    // The immutable role hides the policy from Lambda's dependency tracking: without this, CloudFormation
    // may create the function (and its event source mapping) before the role can do anything.
    this.function.node.addDependency(this.policy);
  }

  /**
   * What topology access `usagePlanKeys` grants: find the usage plan by name, find or create API Gateway
   * API keys, and attach them to this plan; nothing else in API Gateway. In a policy of its own, which the
   * function does not wait for: the plan references the stage, the stage every method, and the methods this
   * function, so neither its main policy (a dependency of the function) nor its environment may reference
   * the plan. That is also why the function gets the plan's name, a plain string, rather than its id.
   */
  enrolInUsagePlan(usagePlan: apigw.IUsagePlan, usagePlanName: string): void {
    if (functions[this.name].access.usagePlanKeys !== true) {
      throw new Error(`${this.name}: its topology access does not list usagePlanKeys`);
    }
    const apiGatewayArn = (resourcePath: string): string => `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::${resourcePath}`;
    new iam.ManagedPolicy(this, 'UsagePlanPolicy', {
      description: `The ${this.name} function's API Gateway access: merchants' keys in one usage plan (lib/topology.ts access)`,
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'FindUsagePlanAndApiKeys',
          // GetUsagePlans (by name, see above) and GetApiKeys (a retry finds the key it made).
          actions: ['apigateway:GET'],
          resources: [apiGatewayArn('/usageplans'), apiGatewayArn('/apikeys')],
        }),
        new iam.PolicyStatement({
          sid: 'CreateApiKeysInUsagePlan',
          // CreateApiKey, and CreateUsagePlanKey on this plan only.
          actions: ['apigateway:POST'],
          resources: [apiGatewayArn('/apikeys'), apiGatewayArn(`/usageplans/${usagePlan.usagePlanId}/keys`)],
        }),
      ],
    });
    this.function.addEnvironment(env.usagePlanName, usagePlanName);
  }

  /**
   * Makes this function the consumer of `queue`, with the batching the topology sets for it. It also gets the
   * queue's URL (under the topology's name), to return a message later than the queue's visibility timeout.
   */
  consume(name: QueueName, queue: sqs.IQueue, spec: QueueSpec): void {
    this.function.addEnvironment(env.queueUrl(name), queue.queueUrl);
    this.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'ConsumeOwnQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [queue.queueArn],
      }),
    );
    this.function.addEventSource(
      new SqsEventSource(queue, {
        batchSize: spec.batchSize,
        maxBatchingWindow: Duration.seconds(spec.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        ...(functions[this.name].maxConcurrency === undefined ? {} : { maxConcurrency: functions[this.name].maxConcurrency }),
      }),
    );
  }
}

/**
 * Copies a folder of the repository (e.g. the hosted pages) beside the bundle, where the function reads it:
 * the files stay plain HTML, CSS and JS, served byte for byte as the local runtime serves them from the repository.
 */
function copyStaticFiles(folder: string): nodejs.ICommandHooks {
  if (!/^[a-z][a-z0-9-]*$/.test(folder)) throw new Error(`staticFiles must be a top-level folder name, not ${folder}`);
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir: string, outputDir: string) => [`cp -R "${path.join(inputDir, folder)}" "${path.join(outputDir, folder)}"`],
  };
}

/** The environment variables a function with this access reads (names from lib/topology.ts `env`). */
function environmentOf(access: FunctionAccess, resources: GatewayResources): Record<string, string> {
  const variables: Record<string, string> = {};
  if (access.table !== undefined) variables[env.tableName] = resources.table.tableName;
  if (
    access.cardKey !== undefined ||
    access.fingerprintKey === true ||
    access.webhookSecrets !== undefined ||
    access.idempotentResponses === true
  ) {
    variables[env.cardKeyId] = resources.cardKey.keyArn;
  }
  // Functions that handle webhook secrets register or call webhook URLs: in the cloud, public https only.
  if (access.webhookSecrets !== undefined) variables[env.webhookUrlPolicy] = 'public-https';
  if (access.adminKey === true) variables[env.adminKeySecretId] = resources.adminKeySecret.secretArn;
  for (const queue of access.sendTo ?? []) variables[env.queueUrl(queue)] = resources.queues[queue].queueUrl;
  return variables;
}

/** Turns a topology `access` into IAM statements: exactly these grants and nothing more. */
export function accessStatements(name: FunctionName, access: FunctionAccess, resources: GatewayResources): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];

  if (access.table !== undefined) statements.push(...tableStatements(name, access, resources));

  const queueArns = (access.sendTo ?? []).map((queue) => resources.queues[queue].queueArn);
  if (queueArns.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: 'SendToQueues', actions: ['sqs:SendMessage'], resources: queueArns }));
  }

  const cardKeyArn = resources.cardKey.keyArn;
  for (const use of cardKeyUses(access)) {
    statements.push(
      new iam.PolicyStatement({ sid: use.sid, actions: [...use.actions], resources: [cardKeyArn], conditions: use.conditions }),
    );
  }

  if (access.adminKey === true) {
    const secretArn = resources.adminKeySecret.secretArn;
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadAdminKeySecret',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [secretArn],
      }),
      new iam.PolicyStatement({
        sid: 'DecryptAdminKeySecret',
        actions: ['kms:Decrypt'],
        resources: [resources.platformKey.keyArn],
        // Only as Secrets Manager, only for this secret: the platform key also protects the logs.
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:SecretARN': secretArn },
        },
      }),
    );
  }

  return statements;
}

/**
 * The table grants of a function: reads of the items it reads or writes, writes of the items it writes, and
 * queries of the index partitions it reads, each limited by `dynamodb:LeadingKeys` to the partitions
 * lib/constructs/table-access.ts lists for it. Indexes by name, so no wildcard reaches an index added later.
 */
function tableStatements(name: FunctionName, access: FunctionAccess, resources: GatewayResources): iam.PolicyStatement[] {
  const items = tableAccessOf(name);
  if (items === undefined) throw new Error(`${name}: its topology access uses the table, but lib/constructs/table-access.ts lists nothing for it`);
  const written = items.write ?? [];
  if (written.length > 0 && access.table !== 'readwrite') throw new Error(`${name}: writes ${written.join(', ')} but its topology access is read-only`);
  const tableArn = resources.table.tableArn;
  const indexArn = (index: IndexName): string => `${tableArn}/index/${index}`;
  const statements: iam.PolicyStatement[] = [];
  const readable = [...(items.read ?? []), ...written].map(partitionPattern.item);
  if (readable.length > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'ReadTableItems', actions: tableReadActions, resources: [tableArn], conditions: onlyPartitions(readable) }),
    );
  }
  if (written.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'WriteTableItems',
        actions: tableWriteActions,
        resources: [tableArn],
        conditions: onlyPartitions(written.map(partitionPattern.item)),
      }),
    );
  }
  const indexQueries: [IndexName, readonly string[]][] = [
    ['byOwner', (items.byOwner ?? []).map(partitionPattern.byOwner)],
    ['byCustomer', (items.byCustomer ?? []).map(partitionPattern.byCustomer)],
    ['byMerchant', (items.byMerchant ?? []).map(partitionPattern.byMerchant)],
  ];
  for (const [index, patterns] of indexQueries) {
    if (patterns.length === 0) continue;
    statements.push(
      new iam.PolicyStatement({
        sid: `Query${index.charAt(0).toUpperCase()}${index.slice(1)}`,
        actions: ['dynamodb:Query'],
        resources: [indexArn(index)],
        conditions: onlyPartitions(patterns),
      }),
    );
  }
  if (items.outbox === 'whole index') {
    statements.push(new iam.PolicyStatement({ sid: 'QueryOutbox', actions: ['dynamodb:Query'], resources: [indexArn('outbox')] }));
  }
  return statements;
}
