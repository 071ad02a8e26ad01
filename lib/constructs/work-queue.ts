import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueSpec } from '../topology.ts';

/** How long a message that kept failing stays in its dead-letter queue for an operator to inspect and redrive. */
export const deadLetterRetention = Duration.days(14);

/**
 * How long a message may wait in a work queue (SQS's default, written out): longer than any consumer keeps a
 * message coming back (the authorization queue's outage deadline, lib/topology.ts), so none expires unhandled.
 */
export const messageRetention = Duration.days(4);

/**
 * A topology queue and its dead-letter queue. Both are encrypted at rest with SQS-managed keys: messages
 * carry ids only, never card data, so a customer-managed key would add KMS calls to every send and
 * receive without protecting anything sensitive. Both refuse any request that is not over TLS.
 */
export interface WorkQueueProps {
  readonly spec: QueueSpec;
  /**
   * Both queues, dead letters included: in prod they are kept when the stack goes, since a message still in
   * flight (a pending payment's authorization command, a webhook waiting for its next attempt) or a dead
   * letter waiting for an operator is work the table alone does not redo.
   */
  readonly removalPolicy: RemovalPolicy;
}

export class WorkQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const { spec, removalPolicy } = props;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
      removalPolicy,
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      retentionPeriod: messageRetention,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
      removalPolicy,
    });
  }
}
