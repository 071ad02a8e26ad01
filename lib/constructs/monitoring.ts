import { Aws, Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { logSignals } from '../../functions/observability/log-signals.ts';
import {
  functionNames,
  queueNames,
  queues as queueSpecs,
  workerFunctions,
  type FunctionName,
  type QueueName,
} from '../topology.ts';
import type { GatewayFunction } from './gateway-function.ts';
import type { WorkQueue } from './work-queue.ts';

export interface MonitoringProps {
  readonly prefix: string;
  readonly api: apigw.RestApi;
  readonly functions: Readonly<Record<FunctionName, GatewayFunction>>;
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  readonly table: dynamodb.ITable;
  readonly topicKey: kms.IKey;
}

/**
 * How long a message may wait in each queue before on-call hears of it. Authorizations and fan-outs are
 * consumed within seconds; settlement batches for 5 s and is not urgent; webhook deliveries wait out their
 * retry delays in hops of up to 15 minutes (functions/webhooks/retry-schedule.ts).
 */
const oldestMessageAlarmAge: Readonly<Record<QueueName, Duration>> = {
  authorization: Duration.minutes(5),
  settlement: Duration.minutes(15),
  webhookFanout: Duration.minutes(5),
  webhookDelivery: Duration.minutes(30),
};

/** What an operator does, besides reading the logs, when a worker fails a whole batch (or a run). */
const workerErrorAdvice: Readonly<Partial<Record<FunctionName, string>>> = {
  authorizeWorker:
    'An acquirer outage shows here too, with processor-circuit-open: payments then wait, retried with a growing ' +
    'delay, and end failed (processor_unavailable) at their deadline. Otherwise check KMS and the table.',
  settleWorker: 'Captured payments wait to settle; check the table.',
  outboxRelay: 'Outbox entries a writer left behind wait for the next sweep; check the table and SQS.',
  webhookFanout: 'Events wait to be turned into deliveries; check the table and SQS.',
  webhookDelivery:
    'A delivery that used up its attempts also counts here, on its way to the dead-letter queue; otherwise check ' +
    'KMS (webhook secrets) and the table.',
};

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/**
 * What an operator is paged for, and one dashboard to look at when paged. Every alarm fires on the
 * first occurrence: in a payment system each of these is a customer-visible failure or a payment stuck
 * somewhere, never noise to be averaged away. Subscribe on-call to `alarmTopic` (README "Deploy").
 */
export class Monitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${props.prefix} alarms`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, and enforceSSL writes a policy holding only its Deny: without
    // this statement CloudWatch may not publish, and no alarm would ever reach on-call. Only this stack's
    // alarms, whose names all start with the stage's prefix, may publish.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ThisStacksAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${props.prefix}-*` },
        },
      }),
    );
    const notify = new actions.SnsAction(this.alarmTopic);
    const alarmOnAny = (id: string, metric: cloudwatch.IMetric, description: string, threshold = 1): void => {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmName: `${props.prefix}-${id}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms.push(alarm);
    };

    const stage = props.api.deploymentStage;
    const oneMinute = Duration.minutes(1);

    for (const [name, queue] of Object.entries(props.queues)) {
      alarmOnAny(
        `${name}-dead-letters`,
        queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: oneMinute, statistic: 'Maximum' }),
        `A ${name} message failed every delivery and sits in its dead-letter queue: that payment is stuck. ` +
          'Read the consumer logs for its message id, fix the cause, then redrive the DLQ to the source queue.',
      );
    }
    alarmOnAny(
      'api-5xx',
      stage.metricServerError({ period: oneMinute, statistic: 'Sum' }),
      'The API answered 5xx. The contract promises problem details, never a 500: look up the request_id in ' +
        'the access log and the function logs.',
    );
    alarmOnAny(
      'authorizer-errors',
      props.functions.authorizer.function.metricErrors({ period: oneMinute, statistic: 'Sum' }),
      'The authorizer failed: merchants get 500s on every authenticated route. Check its logs, the table and ' +
        'the admin key secret.',
    );
    // Every worker: a batch that failed as a whole is a function error (functions/sqs/consumer.ts), and
    // so is a sweep that threw.
    for (const name of workerFunctions()) {
      alarmOnAny(
        `${kebab(name)}-errors`,
        props.functions[name].function.metricErrors({ period: oneMinute, statistic: 'Sum' }),
        `${name} failed a whole batch (or a run); its messages come back after their visibility timeout. Read ` +
          `its logs for the error. ${workerErrorAdvice[name] ?? ''}`,
      );
    }
    for (const name of queueNames) {
      const maxAge = oldestMessageAlarmAge[name];
      alarmOnAny(
        `${name}-oldest-message-age`,
        props.queues[name].queue.metricApproximateAgeOfOldestMessage({ period: oneMinute, statistic: 'Maximum' }),
        `A ${name} message has waited more than ${maxAge.toHumanString()} to be consumed: its consumer ` +
          `(${queueSpecs[name].consumer}) is not keeping up or not running. Check that function's errors and ` +
          'throttles, its event source mapping (enabled?) and its logs.',
        maxAge.toSeconds(),
      );
    }
    for (const name of functionNames) {
      alarmOnAny(
        `${kebab(name)}-throttles`,
        props.functions[name].function.metricThrottles({ period: oneMinute, statistic: 'Sum' }),
        `Lambda refused to run ${name} for want of concurrency: the account's concurrency is exhausted (or the ` +
          "function's own limit reached). API callers get 5xx or 429 meanwhile. Find which functions use it (ConcurrentExecutions " +
          "per function), then lower a worker's maximum concurrency (lib/topology.ts) or ask AWS for a higher quota.",
      );
    }
    const tableOperations = [
      dynamodb.Operation.GET_ITEM,
      dynamodb.Operation.BATCH_GET_ITEM,
      dynamodb.Operation.QUERY,
      dynamodb.Operation.PUT_ITEM,
      dynamodb.Operation.UPDATE_ITEM,
      dynamodb.Operation.DELETE_ITEM,
      dynamodb.Operation.BATCH_WRITE_ITEM,
    ];
    alarmOnAny(
      'table-throttled-requests',
      props.table.metricThrottledRequestsForOperations({ operations: tableOperations, period: oneMinute, statistic: 'Sum' }),
      'DynamoDB throttled requests to the table (the table or an index was over its on-demand limits, or a hot ' +
        'partition): the SDK retries, but callers see latency and, once retries run out, 5xx and redelivered ' +
        "messages. Check the table's and the indexes' throttle metrics per operation and which function's traffic " +
        'grew; on-demand capacity adapts within minutes, a hot key does not.',
    );
    alarmOnAny(
      'table-system-errors',
      props.table.metricSystemErrorsForOperations({ operations: tableOperations, period: oneMinute, statistic: 'Sum' }),
      'DynamoDB answered 5xx (an error on the AWS side): requests are retried by the SDK and by the queues, ' +
        'but API calls may fail. Check the AWS Health Dashboard for DynamoDB in this region; nothing to fix here ' +
        'unless it persists.',
    );

    const circuit = logSignals.processorCircuitChanged;
    const circuitOpened = new logs.MetricFilter(this, 'ProcessorCircuitOpened', {
      logGroup: props.functions.authorizeWorker.logGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', circuit.message),
        logs.FilterPattern.stringValue(`$.${circuit.field}`, '=', circuit.alarmValue),
      ),
      metricNamespace: `${props.prefix}/processor`,
      metricName: 'CircuitOpened',
      metricValue: '1',
    });
    alarmOnAny(
      'processor-circuit-open',
      circuitOpened.metric({ period: oneMinute, statistic: 'Sum' }),
      'The authorize worker stopped calling the processor after failure upon failure: payments stay pending ' +
        'and their messages are retried. Check the processor (the acquirer) and the network path to it; the ' +
        'circuit tries again by itself every 30 seconds.',
    );

    this.alarmOnWebhookFailureRate(props, notify);
    this.addDashboard(props);
  }

  /**
   * Pages when more than a fifth of webhook POSTs fail for 15 minutes: receivers are down or refusing the
   * gateway (a single flaky endpoint retries quietly; the DLQ alarm covers deliveries that give up).
   */
  private alarmOnWebhookFailureRate(props: MonitoringProps, notify: actions.SnsAction): void {
    const signal = logSignals.webhookDeliveriesHandled;
    // The delivery worker logs one summary a batch; each metric adds up one of its counts.
    const sumOf = (id: string, field: string) =>
      new logs.MetricFilter(this, id, {
        logGroup: props.functions.webhookDelivery.logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', signal.message),
        metricNamespace: `${props.prefix}/webhooks`,
        metricName: id,
        metricValue: `$.${field}`,
      }).metric({ period: Duration.minutes(5), statistic: 'Sum' });
    const rate = new cloudwatch.MathExpression({
      expression: 'IF(attempts > 0, failures / attempts, 0)',
      usingMetrics: { attempts: sumOf('WebhookAttempts', signal.attemptsField), failures: sumOf('WebhookFailures', signal.failuresField) },
      period: Duration.minutes(5),
      label: 'Webhook delivery failure rate',
    });
    const alarm = rate.createAlarm(this, 'webhook-delivery-failure-rate', {
      alarmName: `${props.prefix}-webhook-delivery-failure-rate`,
      alarmDescription:
        'More than 20 % of webhook POSTs failed for 15 minutes. Look at the delivery worker logs for the endpoints ' +
        'and status codes; the deliveries retry on their schedule by themselves.',
      threshold: 0.2,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(notify);
    alarm.addOkAction(notify);
    this.alarms.push(alarm);
  }

  private addDashboard(props: MonitoringProps): void {
    const stage = props.api.deploymentStage;
    const fiveMinutes = Duration.minutes(5);
    const functions = Object.values(props.functions);
    const queues = Object.entries(props.queues);

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: props.prefix });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [
          stage.metricCount({ period: fiveMinutes, statistic: 'Sum' }),
          stage.metricClientError({ period: fiveMinutes, statistic: 'Sum' }),
          stage.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency',
        left: ['p50', 'p99'].map((statistic) => stage.metricLatency({ period: fiveMinutes, statistic })),
        right: [stage.metricIntegrationLatency({ period: fiveMinutes, statistic: 'p99' })],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: functions.map((fn) => fn.function.metricErrors({ period: fiveMinutes, label: fn.name })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration p99',
        left: functions.map((fn) =>
          fn.function.metricDuration({ period: fiveMinutes, statistic: 'p99', label: fn.name }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        left: functions.map((fn) => fn.function.metricThrottles({ period: fiveMinutes, label: fn.name })),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queue depth',
        left: queues.map(([name, queue]) =>
          queue.queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, label: name }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Oldest message age (s)',
        left: queues.map(([name, queue]) =>
          queue.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, label: name }),
        ),
        width: 8,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8 }),
    );
  }
}
