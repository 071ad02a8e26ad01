import { Aws, Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { logSignals } from '../../functions/observability/log-signals.ts';
import type { FunctionName, QueueName } from '../topology.ts';
import type { GatewayFunction } from './gateway-function.ts';
import type { WorkQueue } from './work-queue.ts';

export interface MonitoringProps {
  readonly prefix: string;
  readonly api: apigw.RestApi;
  readonly functions: Readonly<Record<FunctionName, GatewayFunction>>;
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  readonly topicKey: kms.IKey;
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
    const alarmOnAny = (id: string, metric: cloudwatch.IMetric, description: string): void => {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmName: `${props.prefix}-${id}`,
        alarmDescription: description,
        metric,
        threshold: 1,
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
    alarmOnAny(
      'authorize-worker-errors',
      props.functions.authorizeWorker.function.metricErrors({ period: oneMinute, statistic: 'Sum' }),
      'An authorization batch failed as a whole (not one declined card): pending payments are waiting. Check ' +
        'the worker logs, the processor and KMS.',
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
    const signal = logSignals.webhookDeliveryHandled;
    const countOf = (id: string, values: readonly string[]) =>
      new logs.MetricFilter(this, id, {
        logGroup: props.functions.webhookDelivery.logGroup,
        filterPattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.message', '=', signal.message),
          logs.FilterPattern.any(...values.map((value) => logs.FilterPattern.stringValue(`$.${signal.field}`, '=', value))),
        ),
        metricNamespace: `${props.prefix}/webhooks`,
        metricName: id,
        metricValue: '1',
      }).metric({ period: Duration.minutes(5), statistic: 'Sum' });
    const rate = new cloudwatch.MathExpression({
      expression: 'IF(attempts > 0, failures / attempts, 0)',
      usingMetrics: { attempts: countOf('WebhookAttempts', signal.attemptValues), failures: countOf('WebhookFailures', signal.failureValues) },
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
