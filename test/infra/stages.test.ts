/**
 * What the prod stage promises an operator (data survives a stack deletion, a year of logs, a firewall
 * in front of the API, someone paged when payments get stuck) and what dev gives up to be disposable.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionNames, queueNames, workerFunctions } from '../../lib/topology.ts';
import { arnOf, logicalIdOf, ofType, references, synthesize, type CfnResourceJson, type Synthesized } from './synth.ts';

let prod: Synthesized;
let dev: Synthesized;

beforeAll(() => {
  prod = synthesize('prod');
  dev = synthesize('dev');
});

describe('prod', () => {
  it('keeps the table when the stack goes, with deletion protection and point-in-time recovery', () => {
    const tableId = logicalIdOf(prod.stack.table);

    expect(prod.resources[tableId]).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  it('keeps every key, with yearly rotation on, and the admin key secret', () => {
    const keys = ofType(prod.resources, 'AWS::KMS::Key');

    expect(keys).toHaveLength(2);
    for (const [id, key] of keys) {
      expect(key, id).toMatchObject({ DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
    }
    expect(prod.resources[logicalIdOf(prod.stack.adminKeySecret)]?.DeletionPolicy).toBe('Retain');
  });

  it('keeps every queue and dead-letter queue when the stack goes: messages in flight and dead letters are work to finish', () => {
    const queues = ofType(prod.resources, 'AWS::SQS::Queue');

    expect(queues).toHaveLength(2 * queueNames.length);
    for (const [id, queue] of queues) {
      expect(queue, id).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('keeps twelve months of every log, encrypted (PCI DSS 10.5.1)', () => {
    const logGroups = ofType(prod.resources, 'AWS::Logs::LogGroup');

    expect(logGroups.length).toBeGreaterThan(0);
    for (const [id, logGroup] of logGroups) {
      expect(logGroup, id).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: { RetentionInDays: 365, KmsKeyId: expect.anything() },
      });
    }
  });
});

describe('dev', () => {
  it('deletes its queues with the stack', () => {
    for (const [id, queue] of ofType(dev.resources, 'AWS::SQS::Queue')) expect(queue.DeletionPolicy, id).toBe('Delete');
  });

  it('is disposable: the table and logs go with the stack, and a month of logs is kept', () => {
    const tableId = logicalIdOf(dev.stack.table);

    expect(dev.resources[tableId]?.DeletionPolicy).toBe('Delete');
    expect(dev.resources[tableId]?.Properties?.DeletionProtectionEnabled).toBe(false);
    for (const [id, logGroup] of ofType(dev.resources, 'AWS::Logs::LogGroup')) {
      expect(logGroup, id).toMatchObject({ DeletionPolicy: 'Delete', Properties: { RetentionInDays: 30 } });
    }
  });
});

describe('TLS', () => {
  it.each(['prod', 'dev'] as const)('the %s API refuses TLS 1.0 and 1.1 (PCI DSS 4.2.1): TLS 1.2 or 1.3 only', (stage) => {
    const synthesized = stage === 'prod' ? prod : dev;
    const api = synthesized.resources[logicalIdOf(synthesized.stack.api.api)];

    expect(api?.Properties).toMatchObject({
      SecurityPolicy: 'SecurityPolicy_TLS13_1_2_2021_06',
      // Required with an enhanced policy; STRICT also refuses a TLS server name that is not the API's own.
      EndpointAccessMode: 'STRICT',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });
});

describe('web application firewall', () => {
  it('guards the API stage with the AWS common rules and a per-IP rate limit', () => {
    const [webAclId, webAcl] = ofType(prod.resources, 'AWS::WAFv2::WebACL')[0] ?? [];
    const stageId = logicalIdOf(prod.stack.api.api.deploymentStage);
    const associations = ofType(prod.resources, 'AWS::WAFv2::WebACLAssociation');

    expect(associations).toHaveLength(1);
    expect(associations[0]?.[1]).toMatchObject({ Properties: { WebACLArn: arnOf(webAclId ?? '') } });
    expect(references(associations[0]?.[1].Properties?.ResourceArn, logicalIdOf(prod.stack.api.api))).toBe(true);
    expect(associations[0]?.[1].DependsOn).toContain(stageId);
    expect(webAcl?.Properties?.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Statement: { RateBasedStatement: expect.objectContaining({ AggregateKeyType: 'IP' }) },
        }),
        expect.objectContaining({
          Statement: {
            ManagedRuleGroupStatement: expect.objectContaining({ VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' }),
          },
        }),
      ]),
    );
  });

  it('logs what it sees without the bearer key', () => {
    prod.template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }],
    });
  });
});

describe('alarms', () => {
  const alarmsOn = (synthesized: Synthesized, metricName: string, dimension: string) =>
    ofType(synthesized.resources, 'AWS::CloudWatch::Alarm').filter(
      ([, alarm]) =>
        alarm.Properties?.MetricName === metricName &&
        references(alarm.Properties.Dimensions, dimension) &&
        alarm.Properties.Threshold === 1,
    );

  it('page on the first message in any dead-letter queue', () => {
    for (const queue of queueNames) {
      const deadLetterId = logicalIdOf(prod.stack.queues[queue].deadLetterQueue);

      expect(alarmsOn(prod, 'ApproximateNumberOfMessagesVisible', deadLetterId), queue).toHaveLength(1);
    }
  });

  it('page on any API 5xx, authorizer error and authorize worker error', () => {
    expect(alarmsOn(prod, '5XXError', logicalIdOf(prod.stack.api.api.deploymentStage))).toHaveLength(1);
    expect(alarmsOn(prod, 'Errors', logicalIdOf(prod.stack.functions.authorizer.function))).toHaveLength(1);
    expect(alarmsOn(prod, 'Errors', logicalIdOf(prod.stack.functions.authorizeWorker.function))).toHaveLength(1);
  });

  it('page on any error of every worker: a batch that failed as a whole is a function error', () => {
    for (const name of workerFunctions()) {
      expect(alarmsOn(prod, 'Errors', logicalIdOf(prod.stack.functions[name].function)), name).toHaveLength(1);
    }
    expect(workerFunctions().sort()).toEqual(['authorizeWorker', 'outboxRelay', 'settleWorker', 'webhookDelivery', 'webhookFanout']);
  });

  it('page when a message has waited too long in any queue, before it would reach the dead-letter queue', () => {
    for (const queue of queueNames) {
      const queueId = logicalIdOf(prod.stack.queues[queue].queue);
      const alarms = ofType(prod.resources, 'AWS::CloudWatch::Alarm').filter(
        ([, alarm]) =>
          alarm.Properties?.MetricName === 'ApproximateAgeOfOldestMessage' && references(alarm.Properties.Dimensions, queueId),
      );

      expect(alarms, queue).toHaveLength(1);
      expect(alarms[0]?.[1].Properties).toMatchObject({ Statistic: 'Maximum', ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      // Minutes, not seconds: long enough not to page on a normal batch, short enough to beat any payment's patience.
      expect(alarms[0]?.[1].Properties?.Threshold, queue).toBeGreaterThanOrEqual(300);
      expect(alarms[0]?.[1].Properties?.Threshold, queue).toBeLessThanOrEqual(1800);
    }
  });

  it('page on any throttle of any function: the account ran out of concurrency', () => {
    for (const name of functionNames) {
      expect(alarmsOn(prod, 'Throttles', logicalIdOf(prod.stack.functions[name].function)), name).toHaveLength(1);
    }
  });

  it('page on DynamoDB throttling and system errors on the table, for every operation the functions use', () => {
    const tableId = logicalIdOf(prod.stack.table);
    const metricsOf = (alarm: CfnResourceJson): { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }[] =>
      (alarm.Properties?.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }[] | undefined) ?? [];
    const onTable = (metricName: string) =>
      ofType(prod.resources, 'AWS::CloudWatch::Alarm').filter(([, alarm]) =>
        metricsOf(alarm).some(
          (metric) => metric.MetricStat?.Metric.MetricName === metricName && references(metric.MetricStat.Metric.Dimensions, tableId),
        ),
      );

    for (const metricName of ['ThrottledRequests', 'SystemErrors']) {
      const alarms = onTable(metricName);
      expect(alarms, metricName).toHaveLength(1);
      const operations = metricsOf(alarms[0]?.[1] as CfnResourceJson).flatMap((metric) =>
        JSON.stringify(metric.MetricStat?.Metric.Dimensions ?? []).match(/"Value":"(\w+)"/g) ?? [],
      );
      for (const operation of ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem']) {
        expect(operations.join(), `${metricName} ${operation}`).toContain(`"Value":"${operation}"`);
      }
      expect(alarms[0]?.[1].Properties?.Threshold).toBe(1);
    }
  });

  it('page when the processor circuit opens, matching the very line the authorize worker logs', () => {
    const logGroupId = logicalIdOf(prod.stack.functions.authorizeWorker.logGroup);
    const filters = ofType(prod.resources, 'AWS::Logs::MetricFilter').filter(([, filter]) =>
      references(filter.Properties?.LogGroupName, logGroupId),
    );
    expect(filters).toHaveLength(1);
    const [, filter] = filters[0] ?? [];
    expect(filter?.Properties?.FilterPattern).toBe('{ ($.message = "Processor circuit changed") && ($.circuit = "open") }');
    const { MetricName, MetricNamespace } = (filter?.Properties?.MetricTransformations as Record<string, unknown>[])[0] ?? {};

    const alarms = ofType(prod.resources, 'AWS::CloudWatch::Alarm').filter(
      ([, alarm]) => alarm.Properties?.MetricName === MetricName && alarm.Properties?.Namespace === MetricNamespace,
    );

    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.[1].Properties?.Threshold).toBe(1);
  });

  it('page when more than a fifth of webhook POSTs fail, counted from the delivery worker\'s own summary line', () => {
    const logGroupId = logicalIdOf(prod.stack.functions.webhookDelivery.logGroup);
    const filters = ofType(prod.resources, 'AWS::Logs::MetricFilter').filter(([, filter]) =>
      references(filter.Properties?.LogGroupName, logGroupId),
    );
    const patterns = filters.map(([, filter]) => String(filter.Properties?.FilterPattern));
    const values = filters.map(([, filter]) => JSON.stringify(filter.Properties?.MetricTransformations));
    const [, alarm] =
      ofType(prod.resources, 'AWS::CloudWatch::Alarm').find(([, candidate]) =>
        String(candidate.Properties?.AlarmName).endsWith('webhook-delivery-failure-rate'),
      ) ?? [];

    expect(patterns).toHaveLength(2);
    // One line a batch: the metrics add up its counts of attempts and of failed attempts.
    for (const pattern of patterns) expect(pattern).toContain('$.message = "Webhook deliveries handled"');
    expect(values.some((value) => value.includes('"MetricValue":"$.attempts"'))).toBe(true);
    expect(values.some((value) => value.includes('"MetricValue":"$.failures"'))).toBe(true);
    expect(alarm?.Properties).toMatchObject({ Threshold: 0.2, EvaluationPeriods: 3, ComparisonOperator: 'GreaterThanThreshold' });
    expect(JSON.stringify(alarm?.Properties?.Metrics)).toContain('failures / attempts');
  });

  it('may reach on-call: the topic policy lets CloudWatch publish, for this stack\'s alarms only, over TLS', () => {
    const topicId = logicalIdOf(prod.stack.monitoring.alarmTopic);
    const policies = ofType(prod.resources, 'AWS::SNS::TopicPolicy').filter(([, policy]) =>
      references(policy.Properties?.Topics, topicId),
    );
    // One policy per topic: it replaces SNS's default policy, so it must allow every publisher itself.
    expect(policies).toHaveLength(1);
    const statements = (policies[0]?.[1].Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    const cloudWatchPublishes = statements.filter(
      (statement) =>
        statement.Effect === 'Allow' &&
        JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }) &&
        statement.Action === 'sns:Publish' &&
        JSON.stringify(statement.Resource) === JSON.stringify({ Ref: topicId }),
    );
    expect(cloudWatchPublishes).toHaveLength(1);
    const sourceArn = JSON.stringify(cloudWatchPublishes[0]?.Condition);
    expect(sourceArn).toContain(':alarm:payment-gateway-prod-*');
    expect(sourceArn).toContain('aws:SourceAccount');
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    for (const [id, alarm] of ofType(prod.resources, 'AWS::CloudWatch::Alarm')) {
      expect(String(alarm.Properties?.AlarmName), id).toMatch(/^payment-gateway-prod-/);
    }
  });

  it('all notify the alarm topic, which is encrypted', () => {
    const topicId = logicalIdOf(prod.stack.monitoring.alarmTopic);

    for (const [id, alarm] of ofType(prod.resources, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties?.AlarmActions, id).toEqual([{ Ref: topicId }]);
    }
    prod.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    prod.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
