import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface PlatformKeyProps {
  readonly alias: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The customer-managed key for the gateway's own operational data: every log group, the alarm topic and
 * the admin key secret. Card data has its own key (see GatewayStack): an operator who may read logs
 * must not thereby be able to decrypt cards, and the other way round.
 *
 * Log groups and the alarm topic are written by AWS services, not by our roles, so the key policy
 * (not IAM) lets exactly those services use it. IAM principals of this account get no use of it from
 * the key policy beyond the account-root statement CDK adds, which delegates to IAM policies.
 */
export class PlatformKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: PlatformKeyProps) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the payment gateway logs, alarm topic and admin key secret',
      alias: props.alias,
      enableKeyRotation: true,
      // Destroying the key makes every retained log unreadable: only a dev stack may take it with it.
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(30),
    });

    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );

    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        // The documented statement for alarms on an encrypted topic; the topic's own policy decides who
        // may publish, so this grants nothing beyond what the topic already allows.
        resources: ['*'],
      }),
    );
  }
}
