import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { HmacCardFingerprinter } from '../../functions/adapters/fingerprint.ts';
import { ensureTable, localCredentials, startDynamo, type EmbeddedDynamo } from '../../lib/local/dynamo.ts';
import { startKmsEndpoint, type LocalKms } from '../../lib/local/kms-endpoint.ts';

describe('HmacCardFingerprinter against dynalite and the local KMS endpoint', () => {
  let kms: LocalKms;
  let kmsClient: KMSClient;
  let dynamo: EmbeddedDynamo;
  let tables = 0;
  const clients: DynamoDBDocumentClient[] = [];

  const documentClient = () => {
    const client = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: localCredentials }),
    );
    clients.push(client);
    return client;
  };
  /** A table of its own per test, so each test starts without a fingerprint key. */
  const freshTable = async () => {
    tables += 1;
    const tableName = `fingerprint-test-${tables}`;
    await ensureTable(dynamo.endpoint, tableName);
    return tableName;
  };
  const fingerprinter = (db: DynamoDBDocumentClient, tableName: string) =>
    new HmacCardFingerprinter({ db, tableName, kms: kmsClient, keyId: kms.keyId });
  const kmsCallsDuring = async (run: () => Promise<unknown>) => {
    const before = { generate: kms.requestCount('GenerateDataKey'), decrypt: kms.requestCount('Decrypt') };
    await run();
    return {
      generate: kms.requestCount('GenerateDataKey') - before.generate,
      decrypt: kms.requestCount('Decrypt') - before.decrypt,
    };
  };

  beforeAll(async () => {
    kms = await startKmsEndpoint({});
    kmsClient = new KMSClient({ endpoint: kms.url, region: 'local', credentials: localCredentials, maxAttempts: 1 });
    dynamo = await startDynamo();
  });
  afterAll(async () => {
    kmsClient.destroy();
    for (const client of clients) client.destroy();
    await Promise.all([kms.close(), dynamo.close()]);
  });

  it('gives one card the same fingerprint at one merchant, however its number is spaced', async () => {
    const subject = fingerprinter(documentClient(), await freshTable());

    const plain = await subject.fingerprint('mer_A', '4242424242424242');
    const spaced = await subject.fingerprint('mer_A', '4242 4242 4242 4242');
    const dashed = await subject.fingerprint('mer_A', '4242-4242-4242-4242');
    const otherCard = await subject.fingerprint('mer_A', '5555555555554444');

    expect(plain).toMatch(/^fp_[A-Za-z0-9_-]{22}$/);
    expect(spaced).toBe(plain);
    expect(dashed).toBe(plain);
    expect(otherCard).not.toBe(plain);
  });

  it('gives the same card a different fingerprint at another merchant', async () => {
    const subject = fingerprinter(documentClient(), await freshTable());

    const atA = await subject.fingerprint('mer_A', '4242424242424242');
    const atB = await subject.fingerprint('mer_B', '4242424242424242');

    expect(atB).not.toBe(atA);
  });

  it('depends on the secret key, not only on the number: a key of another gateway gives another fingerprint', async () => {
    const ours = fingerprinter(documentClient(), await freshTable());
    const anotherGateway = fingerprinter(documentClient(), await freshTable());

    const fingerprint = await ours.fingerprint('mer_A', '378282246310005');
    const elsewhere = await anotherGateway.fingerprint('mer_A', '378282246310005');

    expect(elsewhere).not.toBe(fingerprint);
    expect(fingerprint).not.toContain('378282246310005');
  });

  it('stores the key once, encrypted, and every later container decrypts it once and agrees', async () => {
    const tableName = await freshTable();
    const db = documentClient();
    const first = await fingerprinter(db, tableName).fingerprint('mer_A', '4242424242424242');

    const laterContainer = fingerprinter(db, tableName);
    let fingerprints: string[] = [];
    const calls = await kmsCallsDuring(async () => {
      fingerprints = await Promise.all(
        Array.from({ length: 100 }, () => laterContainer.fingerprint('mer_A', '4242424242424242')),
      );
    });

    expect(calls).toEqual({ generate: 0, decrypt: 1 });
    expect(new Set(fingerprints)).toEqual(new Set([first]));
    const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { pk: 'CONFIG#fingerprint-key', sk: 'CONFIG' } }));
    expect(typeof Item?.encrypted_key).toBe('string');
    expect(Object.keys(Item ?? {}).sort()).toEqual(['created_at', 'encrypted_key', 'pk', 'sk']);
  });

  it('lets two containers racing to create the key agree on one', async () => {
    const tableName = await freshTable();
    const db = documentClient();
    // Hold each first read until both have read, so both find no key and both try to create one.
    let reads = 0;
    let releaseReads: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => {
      releaseReads = resolve;
    });
    db.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'GetItemCommand') {
          reads += 1;
          if (reads === 2) releaseReads();
          await bothRead;
        }
        return result;
      },
      { step: 'initialize' },
    );
    const one = fingerprinter(db, tableName);
    const two = fingerprinter(db, tableName);

    let results: string[] = [];
    const calls = await kmsCallsDuring(async () => {
      results = await Promise.all([
        one.fingerprint('mer_A', '4242424242424242'),
        two.fingerprint('mer_A', '4242424242424242'),
      ]);
    });

    expect(reads).toBe(3);
    expect(calls).toEqual({ generate: 2, decrypt: 1 });
    expect(results[1]).toBe(results[0]);
    const third = await fingerprinter(documentClient(), tableName).fingerprint('mer_A', '4242424242424242');
    expect(third).toBe(results[0]);
  });

  it('refuses a number without digits', async () => {
    const subject = fingerprinter(documentClient(), await freshTable());

    await expect(subject.fingerprint('mer_A', ' - ')).rejects.toThrow(/digits/);
  });
});
