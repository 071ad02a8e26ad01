/** The SQS client, built once per container; see dynamodb-client.ts for why each client has its own module. */
import { SQSClient } from '@aws-sdk/client-sqs';

export const sqsClient = new SQSClient({});
