/** The ChangeMessageVisibility adapter against the local SQS endpoint: a message put off comes back when told. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sqsMessageVisibility } from '../../functions/adapters/message-visibility.ts';
import { localCredentials } from '../../lib/local/dynamo.ts';
import { startSqsEndpoint, type SqsEndpoint } from '../../lib/local/sqs-endpoint.ts';

let endpoint: SqsEndpoint;
let client: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  endpoint = await startSqsEndpoint();
  client = new SQSClient({ endpoint: endpoint.url, region: 'local', credentials: localCredentials });
  queueUrl = (await client.send(new CreateQueueCommand({ QueueName: 'authorization', Attributes: { VisibilityTimeout: '300' } }))).QueueUrl ?? '';
});
afterAll(async () => {
  client.destroy();
  await endpoint.close();
});

const receive = async () => (await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }))).Messages?.[0];

describe('sqsMessageVisibility', () => {
  it('changes the visibility of a received message on its queue', async () => {
    // Arrange: a message received, so invisible for the queue's 300 s.
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'put me off' }));
    const received = await receive();
    const changeVisibility = sqsMessageVisibility(client, queueUrl);
    const hiddenBefore = await receive();

    // Act
    await changeVisibility(received?.ReceiptHandle ?? '', 0);

    // Assert
    expect(hiddenBefore).toBeUndefined();
    expect((await receive())?.Body).toBe('put me off');
  });
});
