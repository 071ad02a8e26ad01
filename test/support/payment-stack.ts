/**
 * The payment use cases' repositories on the embedded DynamoDB and KMS, with a queue that records what the
 * outbox publishes: what integration tests of the payment path build before each suite.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsCardVault } from '../../functions/adapters/card-vault.ts';
import { CustomerRepository } from '../../functions/adapters/customer-repository.ts';
import { OrderRepository } from '../../functions/adapters/order-repository.ts';
import { OutboxStore } from '../../functions/adapters/outbox.ts';
import { TransactionRepository } from '../../functions/adapters/transaction-repository.ts';
import { localCredentials } from '../../lib/local/dynamo.ts';
import { startKmsEndpoint } from '../../lib/local/kms-endpoint.ts';
import { startTestTable, type TestTable } from './dynamo.ts';
import { RecordingQueueSender } from './recording-queue.ts';

export interface PaymentStack {
  readonly table: TestTable;
  readonly queue: RecordingQueueSender;
  readonly transactions: TransactionRepository;
  readonly customers: CustomerRepository;
  readonly orders: OrderRepository;
  readonly vault: KmsCardVault;
  close(): Promise<void>;
}

export async function startPaymentStack(): Promise<PaymentStack> {
  const table = await startTestTable();
  const kms = await startKmsEndpoint({});
  const queue = new RecordingQueueSender();
  const outbox = new OutboxStore(table.db, table.tableName, queue);
  return {
    table,
    queue,
    transactions: new TransactionRepository(table.db, table.tableName, outbox),
    customers: new CustomerRepository(table.db, table.tableName, outbox),
    orders: new OrderRepository(table.db, table.tableName, outbox),
    vault: new KmsCardVault({
      kms: new KMSClient({ endpoint: kms.url, region: 'local', credentials: localCredentials }),
      keyId: kms.keyId,
      db: table.db,
      tableName: table.tableName,
    }),
    close: async () => {
      await kms.close();
      await table.close();
    },
  };
}
