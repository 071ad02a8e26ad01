import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { localCredentials } from '../../lib/local/dynamo.ts';
import { startKmsEndpoint, type LocalKms } from '../../lib/local/kms-endpoint.ts';

const clientFor = (kms: LocalKms): KMSClient =>
  new KMSClient({ endpoint: kms.url, region: 'local', credentials: localCredentials, maxAttempts: 1 });

describe('local KMS endpoint, through the AWS SDK', () => {
  let kms: LocalKms;
  let client: KMSClient;

  beforeAll(async () => {
    kms = await startKmsEndpoint({});
    client = clientFor(kms);
  });
  afterAll(async () => {
    client.destroy();
    await kms.close();
  });

  it('issues an AES-256 data key whose encrypted form decrypts back to it under the same context', async () => {
    const context = { merchant_id: 'mer_1', purpose: 'test' };
    const generated = await client.send(
      new GenerateDataKeyCommand({ KeyId: kms.keyId, KeySpec: 'AES_256', EncryptionContext: context }),
    );

    // The context's order does not matter, as in KMS.
    const decrypted = await client.send(
      new DecryptCommand({
        CiphertextBlob: generated.CiphertextBlob,
        EncryptionContext: { purpose: 'test', merchant_id: 'mer_1' },
      }),
    );

    expect(generated.Plaintext).toHaveLength(32);
    expect(Buffer.from(decrypted.Plaintext ?? []).equals(Buffer.from(generated.Plaintext ?? [1]))).toBe(true);
    expect(generated.KeyId).toMatch(new RegExp(`^arn:aws:kms:.+:key/${kms.keyId}$`));
    expect(decrypted.KeyId).toBe(generated.KeyId);
  });

  it('honours NumberOfBytes and refuses a request with neither it nor KeySpec', async () => {
    const generated = await client.send(new GenerateDataKeyCommand({ KeyId: kms.keyId, NumberOfBytes: 64 }));

    expect(generated.Plaintext).toHaveLength(64);
    await expect(client.send(new GenerateDataKeyCommand({ KeyId: kms.keyId }))).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('refuses to decrypt under another encryption context with InvalidCiphertextException', async () => {
    const generated = await client.send(
      new GenerateDataKeyCommand({ KeyId: kms.keyId, KeySpec: 'AES_256', EncryptionContext: { merchant_id: 'mer_1' } }),
    );

    const underOtherMerchant = client.send(
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { merchant_id: 'mer_2' } }),
    );
    const withoutContext = client.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob }));

    await expect(underOtherMerchant).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(withoutContext).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  it('refuses a tampered ciphertext blob with InvalidCiphertextException', async () => {
    const { CiphertextBlob } = await client.send(
      new EncryptCommand({ KeyId: kms.keyId, Plaintext: Buffer.from('hello') }),
    );
    const tampered = Buffer.from(CiphertextBlob ?? []);
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] ?? 0) ^ 0x01;

    await expect(client.send(new DecryptCommand({ CiphertextBlob: tampered }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(client.send(new DecryptCommand({ CiphertextBlob: Buffer.from('garbage') }))).rejects.toBeInstanceOf(
      InvalidCiphertextException,
    );
  });

  it('encrypts and decrypts arbitrary plaintext, by key id or key ARN', async () => {
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: kms.keyId }));
    const encrypted = await client.send(
      new EncryptCommand({ KeyId: KeyMetadata?.Arn, Plaintext: Buffer.from('a secret'), EncryptionContext: { a: 'b' } }),
    );

    const decrypted = await client.send(
      new DecryptCommand({ KeyId: kms.keyId, CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { a: 'b' } }),
    );

    expect(Buffer.from(decrypted.Plaintext ?? []).toString()).toBe('a secret');
    expect(KeyMetadata).toMatchObject({ KeyId: kms.keyId, Enabled: true, KeyState: 'Enabled', KeyUsage: 'ENCRYPT_DECRYPT' });
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });

  it('answers NotFoundException for a key it does not hold', async () => {
    const unknown = '11111111-2222-4333-8444-555555555555';

    await expect(client.send(new DescribeKeyCommand({ KeyId: unknown }))).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      client.send(new GenerateDataKeyCommand({ KeyId: 'alias/cards', KeySpec: 'AES_256' })),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it('counts the requests it receives, per operation', async () => {
    const before = { all: kms.requestCount(), describe: kms.requestCount('DescribeKey'), decrypt: kms.requestCount('Decrypt') };

    await client.send(new DescribeKeyCommand({ KeyId: kms.keyId }));
    await client.send(new DescribeKeyCommand({ KeyId: kms.keyId }));

    expect(kms.requestCount() - before.all).toBe(2);
    expect(kms.requestCount('DescribeKey') - before.describe).toBe(2);
    expect(kms.requestCount('Decrypt') - before.decrypt).toBe(0);
  });

  it('answers malformed requests with AWS JSON errors, not a crash', async () => {
    const post = (target: string, body: string) =>
      fetch(kms.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
        body,
      });

    const badJson = await post('TrentService.Decrypt', '{not json');
    const unknownOperation = await post('TrentService.ScheduleKeyDeletion', '{}');
    const missingBlob = await post('TrentService.Decrypt', '{}');

    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ __type: 'SerializationException' });
    expect(unknownOperation.status).toBe(400);
    expect(await unknownOperation.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect(missingBlob.status).toBe(400);
    expect(await missingBlob.json()).toMatchObject({ __type: 'ValidationException' });
  });
});

describe('local KMS endpoint persisted under a folder', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kms-endpoint-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('keeps its key in a 0600 file and still decrypts old ciphertext after a restart', async () => {
    const first = await startKmsEndpoint({ dataDir });
    const firstClient = clientFor(first);
    const { CiphertextBlob } = await firstClient.send(
      new EncryptCommand({ KeyId: first.keyId, Plaintext: Buffer.from('kept'), EncryptionContext: { merchant_id: 'mer_1' } }),
    );
    firstClient.destroy();
    await first.close();

    const restarted = await startKmsEndpoint({ dataDir });
    const restartedClient = clientFor(restarted);
    const decrypted = await restartedClient.send(
      new DecryptCommand({ CiphertextBlob, EncryptionContext: { merchant_id: 'mer_1' } }),
    );
    restartedClient.destroy();
    await restarted.close();

    expect(Buffer.from(decrypted.Plaintext ?? []).toString()).toBe('kept');
    expect(restarted.keyId).toBe(first.keyId);
    const keyFile = await stat(join(dataDir, 'kms-master.key'));
    expect(keyFile.mode & 0o777).toBe(0o600);
    expect(keyFile.size).toBe(32);
  });

  it('cannot decrypt ciphertext made by an endpoint with another key', async () => {
    const ours = await startKmsEndpoint({ dataDir });
    const other = await startKmsEndpoint({});
    const ourClient = clientFor(ours);
    const otherClient = clientFor(other);
    const { CiphertextBlob } = await otherClient.send(
      new EncryptCommand({ KeyId: other.keyId, Plaintext: Buffer.from('foreign') }),
    );

    const withoutKeyId = ourClient.send(new DecryptCommand({ CiphertextBlob }));
    const withOurKeyId = ourClient.send(new DecryptCommand({ CiphertextBlob, KeyId: ours.keyId }));

    await expect(withoutKeyId).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(withOurKeyId).rejects.toBeInstanceOf(IncorrectKeyException);
    ourClient.destroy();
    otherClient.destroy();
    await Promise.all([ours.close(), other.close()]);
  });
});
