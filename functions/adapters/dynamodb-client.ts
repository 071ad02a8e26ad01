/**
 * The DynamoDB client, built once per container at module scope. Region, credentials and endpoint come from
 * the standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`), which the local runtime points at its
 * stand-in. Each AWS client has a module of its own so that a function loads only the SDK packages it uses:
 * importing one is most of a cold start.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const dynamoDocumentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});
