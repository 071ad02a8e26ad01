import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { GatewayApi, type ApiThrottle } from './constructs/gateway-api.ts';
import { allowCardKeyUses, cardKeyPolicy } from './constructs/card-key.ts';
import { cardKeyUses, GatewayFunction, type GatewayResources } from './constructs/gateway-function.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { PlatformKey } from './constructs/platform-key.ts';
import { WorkQueue } from './constructs/work-queue.ts';
import { acknowledge } from './nag.ts';
import {
  env,
  functionNames,
  functions as functionSpecs,
  queueNames,
  queues as queueSpecs,
  schedules,
  table as tableSpec,
  type FunctionAccess,
  type FunctionName,
  projectionOf,
  type IndexSpec,
  type QueueName,
  type ScheduleSpec,
} from './topology.ts';

export const stageNames = ['dev', 'prod'] as const;
export type StageName = (typeof stageNames)[number];

/** What differs between a throwaway dev stack and the one that holds real payments. */
export interface StageSettings {
  /** PCI DSS 10.5.1 asks for twelve months of audit log history; dev keeps a month. */
  readonly logRetention: logs.RetentionDays;
  /** Table, keys, secret, logs and queues: kept when the stack is deleted in prod, deleted with it in dev. */
  readonly removalPolicy: RemovalPolicy;
  /** Point-in-time recovery and deletion protection on the table. */
  readonly protectData: boolean;
  /** The whole stage's token bucket, shared by every caller. */
  readonly throttle: ApiThrottle;
  /** Each merchant's own token bucket: the usage plan's per-key throttle (issues 5 and 6). */
  readonly merchantThrottle: ApiThrottle;
  readonly requestsPerIpPer5Minutes: number;
  /**
   * The WAF's coarse per-key guard (keyed on the Authorization header): twice the merchant throttle's
   * steady rate, so a merchant meets the usage plan's 429 first and the WAF only stops a key that ignores it.
   */
  readonly requestsPerKeyPerMinute: number;
}

export const stageSettings: Readonly<Record<StageName, StageSettings>> = {
  dev: {
    logRetention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    protectData: false,
    throttle: { rateLimit: 50, burstLimit: 100 },
    merchantThrottle: { rateLimit: 25, burstLimit: 50 },
    requestsPerIpPer5Minutes: 3_000,
    requestsPerKeyPerMinute: 3_000,
  },
  prod: {
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    protectData: true,
    throttle: { rateLimit: 500, burstLimit: 1_000 },
    merchantThrottle: { rateLimit: 100, burstLimit: 200 },
    requestsPerIpPer5Minutes: 30_000,
    requestsPerKeyPerMinute: 12_000,
  },
};

/** Reads `-c stage=...`; anything but a known stage is a mistake worth stopping the deploy for. */
export function parseStage(value: unknown): StageName {
  if (value === undefined) return 'dev';
  const match = stageNames.find((name) => name === value);
  if (match === undefined) {
    throw new Error(`Unknown stage ${JSON.stringify(value)}: pass -c stage=${stageNames.join('|')} (default dev).`);
  }
  return match;
}

export interface GatewayStackProps extends StackProps {
  readonly stage: StageName;
}

/** The repository root: topology entries and package-lock.json are relative to it. */
const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The whole gateway in one stack, shaped by lib/topology.ts alone: a function per topology function with
 * exactly the access it lists, a route per topology route, a queue + DLQ per topology queue, a rule per
 * schedule, and the table as the topology keys it.
 */
export class GatewayStack extends Stack {
  readonly functions: Readonly<Record<FunctionName, GatewayFunction>>;
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  readonly table: dynamodb.Table;
  readonly cardKey: kms.Key;
  readonly adminKeySecret: secretsmanager.Secret;
  readonly api: GatewayApi;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id, props);
    const settings = stageSettings[props.stage];
    const prefix = `payment-gateway-${props.stage}`;

    const platformKey = new PlatformKey(this, 'PlatformKey', {
      alias: `alias/${prefix}/platform`,
      removalPolicy: settings.removalPolicy,
    }).key;

    this.cardKey = new kms.Key(this, 'CardKey', {
      description: 'Envelope key for card data and the card fingerprint HMAC key',
      alias: `alias/${prefix}/cards`,
      enableKeyRotation: true,
      removalPolicy: settings.removalPolicy,
      pendingWindow: Duration.days(30),
      // The account administers it; the roles that may use it are named below, once they exist.
      policy: cardKeyPolicy(),
    });

    this.table = this.createTable(settings);

    this.adminKeySecret = new secretsmanager.Secret(this, 'AdminApiKey', {
      description: 'The operator admin API key: Authorization: Bearer <this value> on POST /merchants',
      encryptionKey: platformKey,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: settings.removalPolicy,
    });
    acknowledge(
      this.adminKeySecret.node.defaultChild as secretsmanager.CfnSecret,
      'AwsSolutions-SMG4',
      'The admin key is a bearer credential held by operators, not a database password a rotation Lambda ' +
        'could change on both ends; it is rotated by the documented operator procedure (README "Deploy"), ' +
        'which takes effect within the authorizer cache TTL.',
    );

    this.queues = recordOf(queueNames, (name) => new WorkQueue(this, `${pascal(name)}Queue`, { spec: queueSpecs[name], removalPolicy: settings.removalPolicy }));

    const resources: GatewayResources = {
      table: this.table,
      cardKey: this.cardKey,
      platformKey,
      adminKeySecret: this.adminKeySecret,
      queues: recordOf(queueNames, (name) => this.queues[name].queue),
    };

    this.functions = recordOf(
      functionNames,
      (name) =>
        new GatewayFunction(this, pascal(name), {
          name,
          projectRoot,
          resources,
          logRetention: settings.logRetention,
          logRemovalPolicy: settings.removalPolicy,
        }),
    );

    // The card key's policy names each role that may use it, for exactly what its IAM policy allows.
    for (const name of functionNames) {
      allowCardKeyUses(this.cardKey, this.functions[name].role, pascal(name), cardKeyUses(functionSpecs[name].access));
    }

    for (const name of queueNames) {
      const spec = queueSpecs[name];
      this.functions[spec.consumer].consume(name, this.queues[name].queue, spec);
    }

    for (const [name, spec] of Object.entries<ScheduleSpec>(schedules)) {
      new events.Rule(this, `${pascal(name)}Schedule`, {
        description: `Runs ${spec.function} every ${spec.everySeconds} s`,
        schedule: events.Schedule.rate(Duration.seconds(spec.everySeconds)),
        // A sweep that missed its minute is superseded by the next one: retrying it only piles up.
        targets: [
          new targets.LambdaFunction(this.functions[spec.function].function, {
            retryAttempts: 0,
            maxEventAge: Duration.seconds(spec.everySeconds),
          }),
        ],
      });
    }

    this.api = new GatewayApi(this, 'Api', {
      name: prefix,
      stageName: props.stage,
      functions: this.functions,
      authorizer: this.functions.authorizer,
      throttle: settings.throttle,
      requestsPerIpPer5Minutes: settings.requestsPerIpPer5Minutes,
      merchantThrottle: settings.merchantThrottle,
      requestsPerKeyPerMinute: settings.requestsPerKeyPerMinute,
      logKey: platformKey,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
    });
    for (const name of functionNames) {
      const access: { usagePlanKeys?: boolean } = functionSpecs[name].access;
      if (access.usagePlanKeys === true) this.functions[name].enrolInUsagePlan(this.api.usagePlan, this.api.usagePlanName);
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      prefix,
      api: this.api.api,
      functions: this.functions,
      queues: this.queues,
      table: this.table,
      topicKey: platformKey,
    });

    this.acknowledgeServerlessNetworking();

    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the gateway API' });
    new CfnOutput(this, 'AdminApiKeySecretArn', {
      value: this.adminKeySecret.secretArn,
      description: `The admin key (the authorizer reads it through ${env.adminKeySecretId}): aws secretsmanager get-secret-value --secret-id <this>`,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.alarmTopic.topicArn,
      description: 'Subscribe on-call to this topic',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
  }

  private createTable(settings: StageSettings): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: tableSpec.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableSpec.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // AWS-managed key: encrypted under KMS with every use in CloudTrail, and no key policy to keep in
      // step with the functions' roles. Card data inside items is additionally envelope-encrypted.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: tableSpec.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: settings.protectData },
      deletionProtection: settings.protectData,
      removalPolicy: settings.removalPolicy,
    });
    for (const [indexName, index] of Object.entries<IndexSpec>(tableSpec.indexes)) {
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        ...cdkProjection(projectionOf(index)),
      });
    }
    if (!settings.protectData) {
      acknowledge(
        table.node.defaultChild as dynamodb.CfnTable,
        'AwsSolutions-DDB3',
        'Dev stage: the table holds sandbox test data only and is deleted with the stack. Point-in-time ' +
          'recovery is on in prod (stageSettings.prod.protectData).',
      );
    }
    return table;
  }

  /**
   * Lambda functions run outside a VPC by design. The finding is per function, and so is the reason: what
   * each one reaches beyond AWS differs (see `networkReachOf`).
   */
  private acknowledgeServerlessNetworking(): void {
    for (const name of functionNames) {
      acknowledge(
        this.functions[name].function.node.defaultChild as lambda.CfnFunction,
        'PCI.DSS.321-LambdaInsideVPC',
        `${networkReachOf(name)} A VPC would add NAT or interface endpoints without adding a network boundary ` +
          'around cardholder data, which is protected by KMS envelope encryption, key policy and per-function ' +
          'least-privilege roles; the function has no inbound network path (it is invoked only through the ' +
          'Lambda API under IAM).',
      );
    }
  }
}

/**
 * Where a function's own network connections go, as the LambdaInsideVPC acknowledgement states it. Functions
 * that handle webhook URLs (topology access `webhookSecrets`) reach beyond AWS; every other one reaches only AWS
 * service endpoints. A function that starts reaching something else (a real acquirer behind the authorize
 * worker) must be given its own reason here.
 */
export function networkReachOf(name: FunctionName): string {
  const webhookSecrets: FunctionAccess['webhookSecrets'] = functionSpecs[name].access.webhookSecrets;
  if (webhookSecrets?.includes('decrypt') === true) {
    return (
      'This function connects to the internet: it POSTs signed events to the public HTTPS endpoints that ' +
      "merchants register, besides AWS service endpoints over TLS with SigV4. Those hosts are arbitrary, so a " +
      'VPC egress allow-list could not name them; the boundary is in the code instead: before every POST the ' +
      'URL must be https, every address its name resolves to must be public (no private, loopback, link-local, ' +
      'CGNAT, multicast or metadata address), the vetted address is the one connected to, and redirects are not ' +
      'followed. Its role opens no card data: its only KMS use is decrypting webhook signing secrets.'
    );
  }
  if (webhookSecrets !== undefined) {
    return (
      'This function reaches AWS service endpoints over TLS with SigV4, and resolves the host name of a webhook ' +
      'URL a merchant registers (a DNS lookup through the Lambda resolver, to refuse private addresses); it ' +
      'opens no connection to that host.'
    );
  }
  return 'This function reaches only AWS service endpoints, over TLS with SigV4.';
}

/** A record with exactly the given keys, built in order (construct ids follow topology order). */
function recordOf<Key extends string, Value>(keys: readonly Key[], valueOf: (key: Key) => Value): Record<Key, Value> {
  const record: Partial<Record<Key, Value>> = {};
  for (const key of keys) record[key] = valueOf(key);
  return record as Record<Key, Value>;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function cdkProjection(
  projection: ReturnType<typeof projectionOf>,
): Pick<dynamodb.GlobalSecondaryIndexProps, 'projectionType' | 'nonKeyAttributes'> {
  if (projection.type === 'INCLUDE') return { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...projection.attributes] };
  return { projectionType: projection.type === 'ALL' ? dynamodb.ProjectionType.ALL : dynamodb.ProjectionType.KEYS_ONLY };
}
