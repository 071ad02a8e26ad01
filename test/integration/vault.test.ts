import { createCipheriv, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { KmsCardVault, type KmsCardVaultOptions } from '../../functions/adapters/card-vault.ts';
import { keys } from '../../functions/adapters/keys.ts';
import { SealedCardUnreadableError, type SealBinding } from '../../functions/core/vault.ts';
import { ensureTable, localCredentials, startDynamo, type EmbeddedDynamo } from '../../lib/local/dynamo.ts';
import { startKmsEndpoint, type LocalKms } from '../../lib/local/kms-endpoint.ts';

const PAN = '4242424242424242';
const binding: SealBinding = { merchantId: 'mer_A', recordId: 'txn_1', field: 'number' };
/** Noon UTC on 2026-11-22: the data key period `20261122`. */
const NOON = Date.UTC(2026, 10, 22, 12);
const HOUR = 3_600_000;

/** Flips one character of a base64url part of a sealed value, keeping it well-formed base64url. */
function tamper(sealed: string, partIndex: number): string {
  const parts = sealed.split('.');
  const part = parts[partIndex] ?? '';
  const flipped = part[0] === 'A' ? 'B' : 'A';
  parts[partIndex] = flipped + part.slice(1);
  return parts.join('.');
}

const keyRefOf = (sealed: string): string => sealed.split('.')[1] ?? '';
const withKeyRef = (sealed: string, keyRef: string): string => {
  const parts = sealed.split('.');
  parts[1] = keyRef;
  return parts.join('.');
};

describe('KmsCardVault against the local KMS endpoint and dynalite', () => {
  let kms: LocalKms;
  let client: KMSClient;
  let dynamo: EmbeddedDynamo;
  let db: DynamoDBDocumentClient;
  let tables = 0;
  /** A table of its own per test, so each test starts with no stored data key. */
  let tableName: string;

  const vault = (options: Omit<KmsCardVaultOptions, 'keyId'> = {}) =>
    new KmsCardVault({ kms: client, keyId: kms.keyId, db, tableName, ...options });
  /** Counts KMS operations, and reads of the table, made while `run` runs. */
  const callsDuring = async (run: () => Promise<unknown>) => {
    const before = { generate: kms.requestCount('GenerateDataKey'), decrypt: kms.requestCount('Decrypt'), getItem: dynamo.requestCounts().GetItem ?? 0 };
    await run();
    return {
      generate: kms.requestCount('GenerateDataKey') - before.generate,
      decrypt: kms.requestCount('Decrypt') - before.decrypt,
      getItem: (dynamo.requestCounts().GetItem ?? 0) - before.getItem,
    };
  };
  const storedItem = async (merchantId: string, period: string) =>
    (await db.send(new GetCommand({ TableName: tableName, Key: keys.cardDataKey(merchantId, period), ConsistentRead: true }))).Item;

  /**
   * A value in the v1 format that the vault wrote before data keys were shared (and that the table still
   * holds): a data key of its own, encrypted under the merchant alone, embedded in the value.
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
    client = new KMSClient({ endpoint: kms.url, region: 'local', credentials: localCredentials, maxAttempts: 1 });
    dynamo = await startDynamo();
    db = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: localCredentials, maxAttempts: 1 }),
    );
  });
  beforeEach(async () => {
    tables += 1;
    tableName = `vault-test-${tables}`;
    await ensureTable(dynamo.endpoint, tableName);
  });
  afterAll(async () => {
    client.destroy();
    db.destroy();
    await Promise.all([kms.close(), dynamo.close()]);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('opens what it sealed, in a container that did not seal it', async () => {
    const sealedNumber = await vault().seal(PAN, binding);
    const sealedCvc = await vault().seal('123', { ...binding, field: 'cvc' });

    const reader = vault();

    expect(await reader.open(sealedNumber, binding)).toBe(PAN);
    expect(await reader.open(sealedCvc, { ...binding, field: 'cvc' })).toBe('123');
  });

  it('seals to the compact v2 format naming the day of its data key, with neither the number nor its last digits in clear', async () => {
    const subject = vault({ clock: () => NOON });

    const first = await subject.seal(PAN, binding);
    const second = await subject.seal(PAN, binding);

    expect(first).toMatch(/^v2\.20261122\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    // The ~200-byte encrypted data key stays in the table, not in every value.
    expect(first.length).toBeLessThan(80);
    // A fresh IV per seal: the same number never seals to the same text.
    expect(second).not.toBe(first);
    expect(first).not.toContain(PAN);
    expect(first).not.toContain(PAN.slice(-6));
    for (const part of first.split('.').slice(2)) {
      const bytes = Buffer.from(part, 'base64url').toString('latin1');
      expect(bytes).not.toContain(PAN);
      expect(bytes).not.toContain(PAN.slice(-4));
    }
  });

  it('stores one encrypted data key per merchant and day, which KMS opens only for that merchant and day, and never its plaintext', async () => {
    await vault({ clock: () => NOON }).seal(PAN, binding);

    const item = await storedItem('mer_A', '20261122');

    expect(Object.keys(item ?? {}).sort()).toEqual(['created_at', 'encrypted_key', 'pk', 'sk']);
    expect(item).toMatchObject({ pk: 'DKEY#mer_A#20261122', sk: 'DKEY' });
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

  it('shares one data key between two containers: one GenerateDataKey for the first, one read and one Decrypt for the second', async () => {
    const first = vault();
    const second = vault();
    const sealed: string[] = [];

    const firstCalls = await callsDuring(async () => {
      for (let i = 0; i < 3; i += 1) sealed.push(await first.seal(PAN, { ...binding, recordId: `txn_first_${i}` }));
    });
    const secondCalls = await callsDuring(async () => {
      for (let i = 0; i < 3; i += 1) sealed.push(await second.seal(PAN, { ...binding, recordId: `txn_second_${i}` }));
    });
    const opener = vault();
    const openerCalls = await callsDuring(async () => {
      for (const [i, value] of sealed.entries()) {
        expect(await opener.open(value, { ...binding, recordId: i < 3 ? `txn_first_${i}` : `txn_second_${i - 3}` })).toBe(PAN);
      }
    });

    // The first reads the table once (nothing there), makes the key and stores it.
    expect(firstCalls).toEqual({ generate: 1, decrypt: 0, getItem: 1 });
    expect(secondCalls).toEqual({ generate: 0, decrypt: 1, getItem: 1 });
    expect(openerCalls).toEqual({ generate: 0, decrypt: 1, getItem: 1 });
    expect(new Set(sealed.map(keyRefOf)).size).toBe(1);
  });

  it('ends a race of two containers making the day\'s key at once with both sealing under the one stored key', async () => {
    // Holds each GenerateDataKey until both containers have asked, so both have found no stored key.
    const racing = new KMSClient({ endpoint: kms.url, region: 'local', credentials: localCredentials, maxAttempts: 1 });
    let asked = 0;
    let bothAsked: () => void = () => undefined;
    const bothHaveAsked = new Promise<void>((resolve) => {
      bothAsked = resolve;
    });
    racing.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GenerateDataKeyCommand') {
          asked += 1;
          if (asked === 2) bothAsked();
          // A bound, so that a vault that does not race fails the assertions below instead of hanging.
          await Promise.race([bothHaveAsked, delay(10_000)]);
        }
        return next(args);
      },
      { step: 'initialize', name: 'holdGenerateDataKeyUntilBothAsk' },
    );
    const one = vault({ kms: racing });
    const other = vault({ kms: racing });
    let sealed: string[] = [];

    const calls = await callsDuring(async () => {
      sealed = await Promise.all([one.seal(PAN, { ...binding, recordId: 'txn_one' }), other.seal('5555555555554444', { ...binding, recordId: 'txn_other' })]);
    });
    // Each container keeps sealing under the key it ended with, without asking KMS again.
    const again = await callsDuring(async () => {
      sealed.push(await one.seal(PAN, { ...binding, recordId: 'txn_one_again' }));
      sealed.push(await other.seal(PAN, { ...binding, recordId: 'txn_other_again' }));
    });
    const opener = vault();
    const opening = await callsDuring(async () => {
      expect(await opener.open(sealed[0] ?? '', { ...binding, recordId: 'txn_one' })).toBe(PAN);
      expect(await opener.open(sealed[1] ?? '', { ...binding, recordId: 'txn_other' })).toBe('5555555555554444');
      expect(await opener.open(sealed[2] ?? '', { ...binding, recordId: 'txn_one_again' })).toBe(PAN);
      expect(await opener.open(sealed[3] ?? '', { ...binding, recordId: 'txn_other_again' })).toBe(PAN);
    });
    racing.destroy();

    // Both made a key; the one that lost the conditional put dropped its own and unwrapped the winner's.
    expect(calls.generate).toBe(2);
    expect(calls.decrypt).toBe(1);
    expect(again).toEqual({ generate: 0, decrypt: 0, getItem: 0 });
    // One stored key opens every value: the loser sealed nothing under the key it threw away.
    expect(opening.decrypt).toBe(1);
    expect(new Set(sealed.map(keyRefOf)).size).toBe(1);
  });

  it.each<[string, SealBinding]>([
    ['another merchant', { ...binding, merchantId: 'mer_B' }],
    ['another record', { ...binding, recordId: 'txn_2' }],
    ['another field', { ...binding, field: 'cvc' }],
  ])('refuses to open a value moved to %s', async (_name, elsewhere) => {
    const sealed = await vault().seal(PAN, binding);
    // The other merchant has a data key of the same day too.
    await vault().seal(PAN, { ...binding, merchantId: 'mer_B' });

    const opened = vault().open(sealed, elsewhere);

    await expect(opened).rejects.toBeInstanceOf(SealedCardUnreadableError);
    await expect(opened).rejects.not.toThrow(PAN.slice(-4));
  });

  it.each([
    ['iv', 2],
    ['ciphertext', 3],
    ['tag', 4],
  ])('refuses to open a value whose %s was altered', async (_name, partIndex) => {
    const sealed = await vault().seal(PAN, binding);

    await expect(vault().open(tamper(sealed, partIndex), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
  });

  it('refuses a value whose key reference was altered: to a day without a key, to a day with another key, or to no day at all', async () => {
    let now = NOON;
    const sealer = vault({ clock: () => now });
    const sealed = await sealer.seal(PAN, binding);
    now += 24 * HOUR;
    await sealer.seal(PAN, { ...binding, recordId: 'txn_next_day' });
    const opener = vault();

    const toDayWithoutKey = opener.open(withKeyRef(sealed, '20261121'), binding);
    const toDayWithAnotherKey = opener.open(withKeyRef(sealed, '20261123'), binding);

    await expect(toDayWithoutKey).rejects.toBeInstanceOf(SealedCardUnreadableError);
    await expect(toDayWithAnotherKey).rejects.toBeInstanceOf(SealedCardUnreadableError);
    for (const keyRef of ['20261332', '2026112', '202611220', 'A0261122', '']) {
      await expect(opener.open(withKeyRef(sealed, keyRef), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    }
    expect(await opener.open(sealed, binding)).toBe(PAN);
  });

  it.each([
    ['another version', (sealed: string) => sealed.replace(/^v2\./, 'v3.')],
    ['a missing part', (sealed: string) => sealed.split('.').slice(0, 4).join('.')],
    ['a short tag', (sealed: string) => sealed.slice(0, -4)],
    ['characters outside base64url', (sealed: string) => `${sealed.slice(0, -1)}=`],
    ['not a sealed value at all', () => PAN],
  ])('refuses a malformed value (%s) without echoing it', async (_name, mangle) => {
    const sealed = await vault().seal(PAN, binding);

    const opened = vault().open(mangle(sealed), binding);

    await expect(opened).rejects.toBeInstanceOf(SealedCardUnreadableError);
    await expect(opened).rejects.not.toThrow(PAN);
  });

  describe('values sealed in the v1 format, before data keys were shared', () => {
    it('still opens them, one Decrypt per data key', async () => {
      const sealedNumber = await sealV1(PAN, binding);
      const opener = vault();

      const calls = await callsDuring(async () => {
        expect(await opener.open(sealedNumber, binding)).toBe(PAN);
        expect(await opener.open(sealedNumber, binding)).toBe(PAN);
      });

      expect(calls).toEqual({ generate: 0, decrypt: 1, getItem: 0 });
    });

    it.each<[string, SealBinding]>([
      ['another merchant', { ...binding, merchantId: 'mer_B' }],
      ['another record', { ...binding, recordId: 'txn_2' }],
      ['another field', { ...binding, field: 'cvc' }],
    ])('refuses one moved to %s', async (_name, elsewhere) => {
      const sealed = await sealV1(PAN, binding);

      await expect(vault().open(sealed, elsewhere)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    });

    it.each([
      ['encrypted data key', 1],
      ['tag', 4],
    ])('refuses one whose %s was altered', async (_name, partIndex) => {
      const sealed = await sealV1(PAN, binding);

      await expect(vault().open(tamper(sealed, partIndex), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
    });
  });

  it('refuses to use a stored data key that is malformed, or that KMS issued for another merchant', async () => {
    const sealed = await vault({ clock: () => NOON }).seal(PAN, binding);
    const foreign = await vault({ clock: () => NOON }).seal(PAN, { ...binding, merchantId: 'mer_B' });
    const mine = keys.cardDataKey('mer_A', '20261122');
    const copied = { ...mine, encrypted_key: (await storedItem('mer_B', '20261122'))?.encrypted_key, created_at: 'x' };
    const malformed = { ...mine, encrypted_key: 'not base64url!', created_at: 'x' };

    for (const item of [copied, malformed]) {
      await db.send(new PutCommand({ TableName: tableName, Item: item }));
      const opening = vault().open(sealed, binding);
      const sealing = vault({ clock: () => NOON }).seal(PAN, binding);

      await expect(opening).rejects.toBeInstanceOf(SealedCardUnreadableError);
      // Sealing cannot go on, but nothing about a stored value is unreadable: a plain server error.
      await expect(sealing).rejects.toThrow(/DKEY#mer_A#20261122/);
      await expect(sealing).rejects.not.toBeInstanceOf(SealedCardUnreadableError);
    }
    expect(await vault().open(foreign, { ...binding, merchantId: 'mer_B' })).toBe(PAN);
  });

  it('asks KMS for one data key for 1,000 seals of one merchant, and one unwrap to open them all', async () => {
    const sealer = vault();
    const opener = vault();
    const merchant = { ...binding, merchantId: 'mer_busy' };
    let sealed: string[] = [];

    const sealing = await callsDuring(async () => {
      sealed = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) => sealer.seal(`4000000000000${String(i).padStart(3, '0')}`, { ...merchant, recordId: `txn_${i}` })),
      );
    });
    let opened: string[] = [];
    const opening = await callsDuring(async () => {
      opened = await Promise.all(sealed.map((value, i) => opener.open(value, { ...merchant, recordId: `txn_${i}` })));
    });

    expect(sealing).toEqual({ generate: 1, decrypt: 0, getItem: 1 });
    expect(opening).toEqual({ generate: 0, decrypt: 1, getItem: 1 });
    expect(opened[999]).toBe('4000000000000999');
    expect(new Set(sealed.map(keyRefOf)).size).toBe(1);
  });

  it('uses a separate data key per merchant', async () => {
    const subject = vault();

    const calls = await callsDuring(async () => {
      await subject.seal(PAN, { ...binding, merchantId: 'mer_one' });
      await subject.seal(PAN, { ...binding, merchantId: 'mer_two' });
      await subject.seal(PAN, { ...binding, merchantId: 'mer_one' });
    });

    expect(calls.generate).toBe(2);
  });

  it('seals under a new data key from the first moment of the next UTC day, and still opens the previous day\'s values', async () => {
    let now = Date.UTC(2026, 10, 22, 23, 59, 59, 999);
    const subject = vault({ clock: () => now });
    const sealed: string[] = [];

    const calls = await callsDuring(async () => {
      sealed.push(await subject.seal(PAN, binding));
      now += 1;
      sealed.push(await subject.seal(PAN, binding));
      sealed.push(await subject.seal(PAN, binding));
    });

    expect(calls.generate).toBe(2);
    expect(sealed.map(keyRefOf)).toEqual(['20261122', '20261123', '20261123']);
    expect(await vault({ clock: () => now }).open(sealed[0] ?? '', binding)).toBe(PAN);
  });

  it('unwraps the same stored key again once the cached copy reaches its maximum age', async () => {
    let now = NOON;
    const subject = vault({ clock: () => now, cache: { maxAgeMs: 60_000 } });
    const sealed: string[] = [];

    const calls = await callsDuring(async () => {
      sealed.push(await subject.seal(PAN, binding));
      now += 59_999;
      sealed.push(await subject.seal(PAN, binding));
      now += 1;
      sealed.push(await subject.seal(PAN, binding));
    });

    expect(calls).toEqual({ generate: 1, decrypt: 1, getItem: 2 });
    expect(new Set(sealed.map(keyRefOf)).size).toBe(1);
    expect(await vault().open(sealed[0] ?? '', binding)).toBe(PAN);
  });

  it('unwraps the key again once the cached copy reaches its maximum uses, sealing and opening', async () => {
    const sealer = vault({ cache: { maxUses: 3 } });
    const opener = vault({ cache: { maxUses: 3 } });
    const sealed: string[] = [];

    const sealing = await callsDuring(async () => {
      for (let i = 0; i < 7; i += 1) sealed.push(await sealer.seal(PAN, binding));
    });
    const opening = await callsDuring(async () => {
      for (let i = 0; i < 3; i += 1) await opener.open(sealed[0] ?? '', binding);
      await opener.open(sealed[0] ?? '', binding);
    });

    // Copies for seals 1-3, 4-6 and 7: the first made, the next two unwrapped from the table.
    expect(sealing).toEqual({ generate: 1, decrypt: 2, getItem: 3 });
    expect(opening.decrypt).toBe(2);
    expect(new Set(sealed.map(keyRefOf)).size).toBe(1);
  });

  it('expires an unwrapped key used for opening after its maximum age', async () => {
    let now = 0;
    const sealed = await vault().seal(PAN, binding);
    const opener = vault({ clock: () => now, cache: { maxAgeMs: 1_000 } });

    const calls = await callsDuring(async () => {
      await opener.open(sealed, binding);
      now = 999;
      await opener.open(sealed, binding);
      now = 1_000;
      await opener.open(sealed, binding);
    });

    expect(calls.decrypt).toBe(2);
  });

  it('passes a KMS failure on as retryable, stores no key, and does not remember the failure', async () => {
    const subject = new KmsCardVault({ kms: client, keyId: '00000000-0000-4000-8000-000000000000', db, tableName });

    const calls = await callsDuring(async () => {
      await expect(subject.seal(PAN, binding)).rejects.toBeInstanceOf(NotFoundException);
      await expect(subject.seal(PAN, binding)).rejects.not.toBeInstanceOf(SealedCardUnreadableError);
    });

    expect(calls.generate).toBe(2);
    expect(await vault().seal(PAN, binding)).toMatch(/^v2\./);
  });

  it('passes a table failure on as retryable when opening', async () => {
    const sealed = await vault().seal(PAN, binding);

    const opened = vault({ tableName: 'no-such-table' }).open(sealed, binding);

    await expect(opened).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(opened).rejects.not.toBeInstanceOf(SealedCardUnreadableError);
  });

  it('fails at construction, naming the variable, when CARD_KEY_ID or TABLE_NAME is not set', () => {
    vi.stubEnv('CARD_KEY_ID', undefined);
    vi.stubEnv('TABLE_NAME', undefined);

    expect(() => new KmsCardVault({ kms: client, db, tableName })).toThrow(/CARD_KEY_ID/);
    expect(() => new KmsCardVault({ kms: client, keyId: kms.keyId, db })).toThrow(/TABLE_NAME/);
  });
});
