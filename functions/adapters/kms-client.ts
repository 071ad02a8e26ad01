/** The KMS client, built once per container; see dynamodb-client.ts for why each client has its own module. */
import { KMSClient } from '@aws-sdk/client-kms';

export const kmsClient = new KMSClient({});
