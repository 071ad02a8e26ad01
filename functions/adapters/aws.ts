/**
 * AWS SDK clients, built once per container at module scope and shared by every adapter in it.
 * Region, credentials and endpoints come from the standard environment (`AWS_REGION`,
 * `AWS_ENDPOINT_URL_DYNAMODB`, ...), which the local runtime points at its loopback stand-ins.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';

export const dynamoDocumentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

export const kmsClient = new KMSClient({});

export const sqsClient = new SQSClient({});
