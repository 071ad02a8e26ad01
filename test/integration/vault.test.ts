import { createCipheriv, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { KmsCardVault, type KmsCardVaultOptions } from '../../functions/adapters/card-vault.ts';
import { cardVaultFromEnv } from '../../functions/wiring/card-data.ts';
import { keys } from '../../functions/adapters/keys.ts';
import { SealedCardUnreadableError, type SealBinding } from '../../functions/core/vault.ts';
import { ensureTable, localCredentials, startDynamo, type EmbeddedDynamo } from '../../lib/local/dynamo.ts';
import { startKmsEndpoint, type LocalKms } from '../../lib/local/kms-endpoint.ts';

const PAN = '4242424242424242';
const binding: SealBinding = { merchantId: 'mer_A', recordId: 'txn_1', field: 'number' };
/** Noon UTC on 2026-11-22: the data key day `20261122`. */
const NOON = Date.UTC(2026, 10, 22, 12);
const HOUR = 3_600_000;
const SEALED_V2 = /^v2\.(\d{8})\.([A-Za-z0-9_-]{10})\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/;

/** Flips one character of a base64url part of a sealed value, keeping it well-formed base64url. */
function tamper(sealed: string, partIndex: number): string {
  const parts = sealed.split('.');
  const part = parts[partIndex] ?? '';
  const flipped = part[0] === 'A' ? 'B' : 'A';
  parts[partIndex] = flipped + part.slice(1);
  return parts.join('.');
}

/** The day and the reference of the data key a v2 value names. */
const keyOf = (sealed: string): { day: string; ref: string } => {
  const [, day = '', ref = ''] = sealed.split('.');
  return { day, ref };
};
const withPart = (sealed: string, partIndex: number, value: string): string => {
  const parts = sealed.split('.');
  parts[partIndex] = value;
  return parts.join('.');
};

describe('KmsCardVault against the local KMS endpoint and dynalite', () => {
  let kms: LocalKms;
  let client: KMSClient;
  let dynamo: EmbeddedDynamo;
  let db: DynamoDBDocumentClient;
  /** A KMS client and a table client for sealing containers, which record (and refuse) what a sealer must never do. */
  let sealerKms: KMSClient;
  let sealerDb: DynamoDBDocumentClient;
  let forbidden: string[] = [];
  let tables = 0;
  /** A table of its own per test, so each test starts with no stored data key. */
  let tableName: string;

  /** A container of a function that only seals (payments, checkout, customers, wallet): no Decrypt, no reads. */
  const sealer = (options: Partial<Omit<KmsCardVaultOptions, 'keyId' | 'kms' | 'db'>> = {}) =>
    new KmsCardVault({ kms: sealerKms, keyId: kms.keyId, db: sealerDb, tableName, ...options });
  /** A container of the function that opens card data (the authorize worker). */
  const opener = (options: Partial<Omit<KmsCardVaultOptions, 'keyId'>> = {}) => new KmsCardVault({ kms: client, keyId: kms.keyId, db, tableName, ...options });

  /** Counts KMS operations, and table reads and writes, made while `run` runs. */
  const callsDuring = async (run: () => Promise<unknown>) => {
    const counts = () => ({
      generate: kms.requestCount('GenerateDataKey'),
      decrypt: kms.requestCount('Decrypt'),
      getItem: dynamo.requestCounts().GetItem ?? 0,
      putItem: dynamo.requestCounts().PutItem ?? 0,
    });
    const before = counts();
    await run();
    const after = counts();
    return {
      generate: after.generate - before.generate,
      decrypt: after.decrypt - before.decrypt,
      getItem: after.getItem - before.getItem,
      putItem: after.putItem - before.putItem,
    };
  };
  const storedItem = async (merchantId: string, day: string, ref: string) =>
    (await db.send(new GetCommand({ TableName: tableName, Key: keys.cardDataKey(merchantId, day, ref), ConsistentRead: true }))).Item;
  /** The stored data key items, by pk. */
  const storedKeys = async (): Promise<string[]> => {
    const { Items = [] } = await db.send(new ScanCommand({ TableName: tableName, FilterExpression: 'begins_with(pk, :dkey)', ExpressionAttributeValues: { ':dkey': 'DKEY#' } }));
    return Items.map((item) => String(item.pk)).sort();
  };

  /**
   * A value in the v1 format that the vault wrote before data keys were stored in the table (and that the
   * table still holds): a data key of its own, encrypted under the merchant alone, embedded in the value.
   */
  const sealV1 = async (plaintext: string, at: SealBinding): Promise<string> => {
    const { Plaintext, CiphertextBlob } = await client.send(
      new GenerateDataKeyCommand({ KeyId: kms.keyId, KeySpec: 'AES_256', EncryptionContext: { merchant_id: at.merchantId } }),
    );
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(Plaintext ?? []), iv);
    cipher.setAAD(Buffer.from(`${at.merchantId}|${at.recordId}|${at.field}`, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', Buffer.from(CiphertextBlob ?? []), iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  };

  beforeAll(async () => {
    kms = await startKmsEndpoint({});
    dynamo = await startDynamo();
    const kmsClientOf = () => new KMSClient({ endpoint: kms.url, region: 'local', credentials: localCredentials, maxAttempts: 1 });
    const dbOf = () =>
      DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: localCredentials, maxAttempts: 1 }));
    client = kmsClientOf();
    db = dbOf();
    sealerKms = kmsClientOf();
    sealerDb = dbOf();
    // What the sealing functions' roles do not allow: KMS Decrypt, and reading the table's data key items.
    const refuse = (operations: readonly string[]) =>
      (next: (args: { request: unknown }) => Promise<unknown>) =>
      async (args: { request: unknown }) => {
        const target = (args.request as { headers: Record<string, string | undefined> }).headers['x-amz-target'] ?? '';
        const operation = operations.find((name) => target.endsWith(`.${name}`));
        if (operation !== undefined) {
          forbidden.push(operation);
          throw new Error(`A sealing container called ${operation}`);
        }
        return next(args);
      };
    sealerKms.middlewareStack.add(refuse(['Decrypt']) as never, { step: 'finalizeRequest', name: 'refuseDecrypt' });
    sealerDb.middlewareStack.add(refuse(['GetItem', 'BatchGetItem', 'Query', 'Scan']) as never, { step: 'finalizeRequest', name: 'refuseReads' });
  });
  beforeEach(async () => {
    tables += 1;
    tableName = `vault-test-${tables}`;
    forbidden = [];
    await ensureTable(dynamo.endpoint, tableName);
  });
  afterAll(async () => {
    for (const each of [client, sealerKms, db, sealerDb]) each.destroy();
    await Promise.all([kms.close(), dynamo.close()]);
  });
  afterEach(() => {
    // Every test: no sealing container ever asked KMS to Decrypt or read the table.
    expect(forbidden).toEqual([]);
  });

  it('opens, in the opening container, what a sealing container sealed', async () => {
    const sealing = sealer();
    const sealedNumber = await sealing.seal(PAN, binding);
    const sealedCvc = await sealing.seal('123', { ...binding, field: 'cvc' });

    const reader = opener();

    expect(await reader.open(sealedNumber, binding)).toBe(PAN);
    expect(await reader.open(sealedCvc, { ...binding, field: 'cvc' })).toBe('123');
  });

  it('seals to the compact v2 format naming the day and reference of its data key, with neither the number nor its last digits in clear', async () => {
    const subject = sealer({ clock: () => NOON });

    const first = await subject.seal(PAN, binding);
    const second = await subject.seal(PAN, binding);

    expect(first).toMatch(/^v2\.20261122\.[A-Za-z0-9_-]{10}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    // The ~200-byte encrypted data key stays in the table, not in every value.
    expect(first.length).toBe(85);
    expect(keyOf(second)).toEqual(keyOf(first));
    // A fresh IV per seal: the same number never seals to the same text.
    expect(second).not.toBe(first);
    expect(first).not.toContain(PAN);
    expect(first).not.toContain(PAN.slice(-6));
    for (const part of first.split('.').slice(3)) {
      const bytes = Buffer.from(part, 'base64url').toString('latin1');
      expect(bytes).not.toContain(PAN);
      expect(bytes).not.toContain(PAN.slice(-4));
    }
  });

  it('stores its data key once, encrypted, under the reference the values name, which KMS opens only for that merchant and day', async () => {
    const sealed = await sealer({ clock: () => NOON }).seal(PAN, binding);
    const { day, ref } = keyOf(sealed);

    const item = await storedItem('mer_A', day, ref);

    expect(await storedKeys()).toEqual([`DKEY#mer_A#20261122#${ref}`]);
    expect(Object.keys(item ?? {}).sort()).toEqual(['created_at', 'encrypted_key', 'pk', 'sk']);
    expect(item).toMatchObject({ pk: `DKEY#mer_A#20261122#${ref}`, sk: 'DKEY', created_at: new Date(NOON).toISOString() });
    const encrypted = Buffer.from(String(item?.encrypted_key), 'base64url');
    const { Plaintext } = await client.send(
      new DecryptCommand({ CiphertextBlob: encrypted, EncryptionContext: { merchant_id: 'mer_A', data_key_period: '20261122' } }),
    );
    const plaintext = Buffer.from(Plaintext ?? []);
    expect(plaintext).toHaveLength(32);
    const stored = JSON.stringify(item);
    for (const encoding of ['base64', 'base64url', 'hex', 'latin1'] as const) {
      expect(stored).not.toContain(plaintext.toString(encoding));
    }
    const otherContexts: Record<string, string>[] = [
      { merchant_id: 'mer_B', data_key_period: '20261122' },
      { merchant_id: 'mer_A', data_key_period: '20261123' },
      { merchant_id: 'mer_A' },
    ];
    for (const context of otherContexts) {
      await expect(client.send(new DecryptCommand({ CiphertextBlob: encrypted, EncryptionContext: context }))).rejects.toMatchObject({
        name: 'InvalidCiphertextException',
      });
    }
  });

  it('gives two sealing containers a key each, stored once each, with no Decrypt and no read; an opener unwraps each once, then no more', async () => {
    const first = sealer({ clock: () => NOON });
    const second = sealer({ clock: () => NOON });
    const sealed: { value: string; at: SealBinding; number: string }[] = [];
    const sealSome = async (container: KmsCardVault, count: number) => {
      for (let i = 0; i < count; i += 1) {
        const at = { ...binding, recordId: `txn_${sealed.length}` };
        const number = `40000000000000${String(sealed.length).padStart(2, '0')}`;
        sealed.push({ value: await container.seal(number, at), at, number });
      }
    };

    const firstCalls = await callsDuring(() => sealSome(first, 3));
    const secondCalls = await callsDuring(() => sealSome(second, 3));

    expect(firstCalls).toEqual({ generate: 1, decrypt: 0, getItem: 0, putItem: 1 });
    expect(secondCalls).toEqual({ generate: 1, decrypt: 0, getItem: 0, putItem: 1 });
    const refs = [...new Set(sealed.map(({ value }) => keyOf(value).ref))];
    expect(refs).toHaveLength(2);
    expect(await storedKeys()).toEqual(refs.map((ref) => `DKEY#mer_A#20261122#${ref}`).sort());

    const reader = opener({ clock: () => NOON });
    const openAll = async (values: typeof sealed) => {
      for (const { value, at, number } of values) expect(await reader.open(value, at)).toBe(number);
    };
    const opening = await callsDuring(() => openAll(sealed));
    expect(opening).toEqual({ generate: 0, decrypt: 2, getItem: 2, putItem: 0 });

    // Further values from both sealers: under the same two keys, which the opener holds.
    const before = sealed.length;
    const more = await callsDuring(async () => {
      await sealSome(first, 2);
      await sealSome(second, 2);
    });
    const reopening = await callsDuring(() => openAll(sealed.slice(before)));
    expect(more).toEqual({ generate: 0, decrypt: 0, getItem: 0, putItem: 0 });
    expect(reopening).toEqual({ generate: 0, decrypt: 0, getItem: 0, putItem: 0 });
  });

  it.each<[string, SealBinding]>([
    ['another merchant', { ...binding, merchantId: 'mer_B' }],
    ['another record', { ...binding, recordId: 'txn_2' }],
    ['another field', { ...binding, field: 'cvc' }],
  ])('refuses to open a value moved to %s', async (_name, elsewhere) => {
    const sealing = sealer();
    const sealed = await sealing.seal(PAN, binding);
    // The other merchant has a data key of the same day too.
    await sealing.seal(PAN, { ...binding, merchantId: 'mer_B' });

    const opened = opener().open(sealed, elsewhere);

    await expect(opened).rejects.toBeInstanceOf(SealedCardUnreadableError);
    await expect(opened).rejects.not.toThrow(PAN.slice(-4));
  });

  it.each([
    ['iv', 3],
    ['ciphertext', 4],
    ['tag', 5],
  ])('refuses to open a value whose %s was altered', async (_name, partIndex) => {
    const sealed = await sealer().seal(PAN, binding);

    await expect(opener().open(tamper(sealed, partIndex), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
  });

  it('refuses a value whose reference was altered: to no stored key, to another container\'s key of the same day, or to no reference at all', async () => {
    const sealed = await sealer({ clock: () => NOON }).seal(PAN, binding);
    const other = await sealer({ clock: () => NOON }).seal(PAN, { ...binding, recordId: 'txn_other' });
    const reader = opener();

    const toNoKey = reader.open(tamper(sealed, 2), binding);
    // That key exists and unwraps, for this merchant and day: the associated data still refuses it.
    const toAnotherKey = reader.open(withPart(sealed, 2, keyOf(other).ref), binding);

    await expect(toNoKey).rejects.toBeInstanceOf(SealedCardUnreadableError);
    await expect(toAnotherKey).rejects.toBeInstanceOf(SealedCardUnreadableError);
    for (const ref of ['', 'short', `${keyOf(sealed).ref}A`, `${keyOf(sealed).ref.slice(0, 9)}#`]) {
      await expect(reader.open(withPart(sealed, 2, ref), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    }
    expect(await reader.open(sealed, binding)).toBe(PAN);
  });

  it('refuses a value whose day was altered, even when its key is copied to that day', async () => {
    const sealed = await sealer({ clock: () => NOON }).seal(PAN, binding);
    const { ref } = keyOf(sealed);
    const reader = opener();

    await expect(reader.open(withPart(sealed, 1, '20261123'), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    // Someone who can write the table copies the stored key to the other day: KMS refuses it there.
    const item = await storedItem('mer_A', '20261122', ref);
    await db.send(new PutCommand({ TableName: tableName, Item: { ...item, ...keys.cardDataKey('mer_A', '20261123', ref) } }));
    const toCopiedDay = opener().open(withPart(sealed, 1, '20261123'), binding);

    await expect(toCopiedDay).rejects.toBeInstanceOf(SealedCardUnreadableError);
    await expect(toCopiedDay).rejects.toThrow(/another merchant or day/);
    for (const day of ['20261332', '2026112', '202611220', 'A0261122', '']) {
      await expect(reader.open(withPart(sealed, 1, day), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    }
    expect(await reader.open(sealed, binding)).toBe(PAN);
  });

  it.each([
    ['another version', (sealed: string) => sealed.replace(/^v2\./, 'v3.')],
    ['the v1 version on a v2 value', (sealed: string) => sealed.replace(/^v2\./, 'v1.')],
    ['a missing part', (sealed: string) => sealed.split('.').slice(0, 5).join('.')],
    ['an extra part', (sealed: string) => `${sealed}.AAAA`],
    ['a short tag', (sealed: string) => sealed.slice(0, -4)],
    ['characters outside base64url', (sealed: string) => `${sealed.slice(0, -1)}=`],
    ['not a sealed value at all', () => PAN],
  ])('refuses a malformed value (%s) without echoing it', async (_name, mangle) => {
    const sealed = await sealer().seal(PAN, binding);

    const opened = opener().open(mangle(sealed), binding);

    await expect(opened).rejects.toBeInstanceOf(SealedCardUnreadableError);
    await expect(opened).rejects.not.toThrow(PAN);
  });

  it('refuses to use a stored key that was replaced by another key of the merchant, by another merchant\'s, or by something malformed', async () => {
    const sealed = await sealer({ clock: () => NOON }).seal(PAN, binding);
    const sibling = await sealer({ clock: () => NOON }).seal(PAN, { ...binding, recordId: 'txn_sibling' });
    const foreign = await sealer({ clock: () => NOON }).seal(PAN, { ...binding, merchantId: 'mer_B' });
    const mine = keys.cardDataKey('mer_A', '20261122', keyOf(sealed).ref);
    const encryptedKeyOf = async (merchantId: string, value: string) => (await storedItem(merchantId, '20261122', keyOf(value).ref))?.encrypted_key;
    const replacements = [
      { ...mine, encrypted_key: await encryptedKeyOf('mer_A', sibling), created_at: 'x' },
      { ...mine, encrypted_key: await encryptedKeyOf('mer_B', foreign), created_at: 'x' },
      { ...mine, encrypted_key: 'not base64url!', created_at: 'x' },
      { ...mine, encrypted_key: await encryptedKeyOf('mer_A', sibling) },
      { ...mine, sk: 'OTHER' },
    ];

    for (const item of replacements) {
      await db.send(new PutCommand({ TableName: tableName, Item: item }));

      await expect(opener().open(sealed, binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    }
    expect(await opener().open(sibling, { ...binding, recordId: 'txn_sibling' })).toBe(PAN);
    expect(await opener().open(foreign, { ...binding, merchantId: 'mer_B' })).toBe(PAN);
  });

  describe('values sealed in the v1 format, before data keys were stored in the table', () => {
    it('still opens them, one Decrypt per data key', async () => {
      const sealedNumber = await sealV1(PAN, binding);
      const reader = opener();

      const calls = await callsDuring(async () => {
        expect(await reader.open(sealedNumber, binding)).toBe(PAN);
        expect(await reader.open(sealedNumber, binding)).toBe(PAN);
      });

      expect(calls).toEqual({ generate: 0, decrypt: 1, getItem: 0, putItem: 0 });
    });

    it.each<[string, SealBinding]>([
      ['another merchant', { ...binding, merchantId: 'mer_B' }],
      ['another record', { ...binding, recordId: 'txn_2' }],
      ['another field', { ...binding, field: 'cvc' }],
    ])('refuses one moved to %s', async (_name, elsewhere) => {
      const sealed = await sealV1(PAN, binding);

      await expect(opener().open(sealed, elsewhere)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    });

    it.each([
      ['encrypted data key', 1],
      ['tag', 4],
    ])('refuses one whose %s was altered', async (_name, partIndex) => {
      const sealed = await sealV1(PAN, binding);

      await expect(opener().open(tamper(sealed, partIndex), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    });
  });

  it('asks KMS for one data key for 1,000 seals of one merchant in one container, and one unwrap to open them all', async () => {
    const sealing = sealer();
    const reader = opener();
    const merchant = { ...binding, merchantId: 'mer_busy' };
    let sealed: string[] = [];

    const sealingCalls = await callsDuring(async () => {
      sealed = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) => sealing.seal(`4000000000000${String(i).padStart(3, '0')}`, { ...merchant, recordId: `txn_${i}` })),
      );
    });
    let opened: string[] = [];
    const openingCalls = await callsDuring(async () => {
      opened = await Promise.all(sealed.map((value, i) => reader.open(value, { ...merchant, recordId: `txn_${i}` })));
    });

    expect(sealingCalls).toEqual({ generate: 1, decrypt: 0, getItem: 0, putItem: 1 });
    expect(openingCalls).toEqual({ generate: 0, decrypt: 1, getItem: 1, putItem: 0 });
    expect(opened[999]).toBe('4000000000000999');
    expect(new Set(sealed.map((value) => keyOf(value).ref)).size).toBe(1);
  });

  it('uses a separate data key per merchant', async () => {
    const subject = sealer({ clock: () => NOON });

    const calls = await callsDuring(async () => {
      await subject.seal(PAN, { ...binding, merchantId: 'mer_one' });
      await subject.seal(PAN, { ...binding, merchantId: 'mer_two' });
      await subject.seal(PAN, { ...binding, merchantId: 'mer_one' });
    });

    expect(calls.generate).toBe(2);
    expect((await storedKeys()).map((pk) => pk.split('#').slice(0, 3).join('#'))).toEqual(['DKEY#mer_one#20261122', 'DKEY#mer_two#20261122']);
  });

  it('seals under a new data key from the first moment of the next UTC day, and still opens the previous day\'s values', async () => {
    let now = Date.UTC(2026, 10, 22, 23, 59, 59, 999);
    const subject = sealer({ clock: () => now });
    const sealed: string[] = [];

    const calls = await callsDuring(async () => {
      sealed.push(await subject.seal(PAN, binding));
      now += 1;
      sealed.push(await subject.seal(PAN, binding));
      sealed.push(await subject.seal(PAN, binding));
    });

    expect(calls).toEqual({ generate: 2, decrypt: 0, getItem: 0, putItem: 2 });
    const [yesterday, today, later] = sealed.map(keyOf);
    expect([yesterday?.day, today?.day, later?.day]).toEqual(['20261122', '20261123', '20261123']);
    expect(today?.ref).not.toBe(yesterday?.ref);
    expect(later).toEqual(today);
    expect(await storedKeys()).toEqual([`DKEY#mer_A#20261122#${yesterday?.ref}`, `DKEY#mer_A#20261123#${today?.ref}`]);
    const reader = opener({ clock: () => now });
    for (const value of sealed) expect(await reader.open(value, binding)).toBe(PAN);
  });

  it('makes a new sealing key once the cached one reaches its maximum age, without unwrapping anything', async () => {
    let now = NOON;
    const subject = sealer({ clock: () => now, cache: { maxAgeMs: HOUR } });
    const sealed: string[] = [];

    const calls = await callsDuring(async () => {
      sealed.push(await subject.seal(PAN, binding));
      now += HOUR - 1;
      sealed.push(await subject.seal(PAN, binding));
      now += 1;
      sealed.push(await subject.seal(PAN, binding));
    });

    expect(calls).toEqual({ generate: 2, decrypt: 0, getItem: 0, putItem: 2 });
    expect(sealed.map((value) => keyOf(value).ref)).toEqual([keyOf(sealed[0] ?? '').ref, keyOf(sealed[0] ?? '').ref, keyOf(sealed[2] ?? '').ref]);
    expect(keyOf(sealed[2] ?? '').ref).not.toBe(keyOf(sealed[0] ?? '').ref);
    const reader = opener();
    for (const value of sealed) expect(await reader.open(value, binding)).toBe(PAN);
  });

  it('makes a new sealing key after the maximum uses, and unwraps an opening key again after them', async () => {
    const sealing = sealer({ cache: { maxUses: 3 } });
    const reader = opener({ cache: { maxUses: 3 } });
    const sealed: string[] = [];

    const sealingCalls = await callsDuring(async () => {
      for (let i = 0; i < 7; i += 1) sealed.push(await sealing.seal(PAN, binding));
    });
    const openingCalls = await callsDuring(async () => {
      for (let i = 0; i < 4; i += 1) await reader.open(sealed[0] ?? '', binding);
    });

    // Keys for seals 1-3, 4-6 and 7.
    expect(sealingCalls).toEqual({ generate: 3, decrypt: 0, getItem: 0, putItem: 3 });
    expect(new Set(sealed.map((value) => keyOf(value).ref)).size).toBe(3);
    // Opens 1-3 with one copy, the 4th with the same key unwrapped again.
    expect(openingCalls).toEqual({ generate: 0, decrypt: 2, getItem: 2, putItem: 0 });
  });

  it('expires an unwrapped key used for opening after its maximum age', async () => {
    let now = 0;
    const sealed = await sealer().seal(PAN, binding);
    const reader = opener({ clock: () => now, cache: { maxAgeMs: 1_000 } });

    const calls = await callsDuring(async () => {
      await reader.open(sealed, binding);
      now = 999;
      await reader.open(sealed, binding);
      now = 1_000;
      await reader.open(sealed, binding);
    });

    expect(calls.decrypt).toBe(2);
  });

  it('passes a KMS failure on as retryable, stores no key, and does not remember the failure', async () => {
    const subject = new KmsCardVault({ kms: sealerKms, keyId: '00000000-0000-4000-8000-000000000000', db: sealerDb, tableName });

    const calls = await callsDuring(async () => {
      await expect(subject.seal(PAN, binding)).rejects.toBeInstanceOf(NotFoundException);
      await expect(subject.seal(PAN, binding)).rejects.not.toBeInstanceOf(SealedCardUnreadableError);
    });

    expect(calls).toEqual({ generate: 2, decrypt: 0, getItem: 0, putItem: 0 });
    expect(await storedKeys()).toEqual([]);
    expect(await sealer().seal(PAN, binding)).toMatch(SEALED_V2);
  });

  it('seals nothing under a key it could not store, and makes a new one on the next try', async () => {
    const unstored = sealer({ tableName: 'no-such-table' });

    const calls = await callsDuring(async () => {
      await expect(unstored.seal(PAN, binding)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      await expect(unstored.seal(PAN, binding)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });

    expect(calls).toEqual({ generate: 2, decrypt: 0, getItem: 0, putItem: 2 });
  });

  it('passes a table failure on as retryable when opening', async () => {
    const sealed = await sealer().seal(PAN, binding);

    const opened = opener({ tableName: 'no-such-table' }).open(sealed, binding);

    await expect(opened).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(opened).rejects.not.toBeInstanceOf(SealedCardUnreadableError);
  });

  it('runs its sealers on clients that refuse KMS Decrypt and table reads, as their roles would', async () => {
    const sealed = await sealer().seal(PAN, binding);
    const legacy = await sealV1(PAN, binding);

    await expect(sealer().open(sealed, binding)).rejects.toThrow(/A sealing container called GetItem/);
    await expect(sealer().open(legacy, binding)).rejects.toThrow(/A sealing container called Decrypt/);
    expect(forbidden).toEqual(['GetItem', 'Decrypt']);
    forbidden = [];
  });

  it('is not built by its wiring, which names the variable, when CARD_KEY_ID or TABLE_NAME is not set', () => {
    // Arrange
    const configured = { CARD_KEY_ID: kms.keyId, TABLE_NAME: tableName };
    const { CARD_KEY_ID: _keyId, ...withoutKeyId } = configured;
    const { TABLE_NAME: _tableName, ...withoutTableName } = configured;

    // Act
    const build = (source: NodeJS.ProcessEnv) => () => cardVaultFromEnv(source);

    // Assert
    expect(build(withoutKeyId)).toThrow(/CARD_KEY_ID/);
    expect(build(withoutTableName)).toThrow(/TABLE_NAME/);
    expect(build(configured)()).toBeInstanceOf(KmsCardVault);
  });
});
