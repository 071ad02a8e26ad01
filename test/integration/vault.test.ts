import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { KmsCardVault, type KmsCardVaultOptions } from '../../functions/adapters/card-vault.ts';
import { SealedCardUnreadableError, type SealBinding } from '../../functions/core/vault.ts';
import { localCredentials } from '../../lib/local/dynamo.ts';
import { startKmsEndpoint, type LocalKms } from '../../lib/local/kms-endpoint.ts';

const PAN = '4242424242424242';
const binding: SealBinding = { merchantId: 'mer_A', recordId: 'txn_1', field: 'number' };

/** Flips one character of a base64url part of a sealed value, keeping it well-formed base64url. */
function tamper(sealed: string, partIndex: number): string {
  const parts = sealed.split('.');
  const part = parts[partIndex] ?? '';
  const flipped = part[0] === 'A' ? 'B' : 'A';
  parts[partIndex] = flipped + part.slice(1);
  return parts.join('.');
}

describe('KmsCardVault against the local KMS endpoint', () => {
  let kms: LocalKms;
  let client: KMSClient;
  const vault = (options: Omit<KmsCardVaultOptions, 'kms' | 'keyId'> = {}) =>
    new KmsCardVault({ kms: client, keyId: kms.keyId, ...options });
  /** Counts KMS operations made while `run` runs. */
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
    client = new KMSClient({ endpoint: kms.url, region: 'local', credentials: localCredentials, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await kms.close();
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

  it('seals to the versioned compact format, with neither the number nor its last digits in clear', async () => {
    const subject = vault();

    const first = await subject.seal(PAN, binding);
    const second = await subject.seal(PAN, binding);

    expect(first).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    // A fresh IV per seal: the same number never seals to the same text.
    expect(second).not.toBe(first);
    expect(first).not.toContain(PAN);
    expect(first).not.toContain(PAN.slice(-6));
    for (const part of first.split('.').slice(1)) {
      const bytes = Buffer.from(part, 'base64url').toString('latin1');
      expect(bytes).not.toContain(PAN);
      expect(bytes).not.toContain(PAN.slice(-4));
    }
  });

  it.each<[string, SealBinding]>([
    ['another merchant', { ...binding, merchantId: 'mer_B' }],
    ['another record', { ...binding, recordId: 'txn_2' }],
    ['another field', { ...binding, field: 'cvc' }],
  ])('refuses to open a value moved to %s', async (_name, elsewhere) => {
    const sealed = await vault().seal(PAN, binding);

    const opened = vault().open(sealed, elsewhere);

    await expect(opened).rejects.toBeInstanceOf(SealedCardUnreadableError);
    await expect(opened).rejects.not.toThrow(PAN.slice(-4));
  });

  it.each([
    ['encrypted data key', 1],
    ['iv', 2],
    ['ciphertext', 3],
    ['tag', 4],
  ])('refuses to open a value whose %s was altered', async (_name, partIndex) => {
    const sealed = await vault().seal(PAN, binding);

    await expect(vault().open(tamper(sealed, partIndex), binding)).rejects.toBeInstanceOf(SealedCardUnreadableError);
  });

  it.each([
    ['another version', (sealed: string) => sealed.replace(/^v1\./, 'v2.')],
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

  it('asks KMS for one data key for 1,000 seals of one merchant, and one unwrap to open them all', async () => {
    const sealer = vault();
    const opener = vault();
    const merchant = { ...binding, merchantId: 'mer_busy' };
    let sealed: string[] = [];

    const sealing = await kmsCallsDuring(async () => {
      sealed = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) => sealer.seal(`4000000000000${String(i).padStart(3, '0')}`, { ...merchant, recordId: `txn_${i}` })),
      );
    });
    let opened: string[] = [];
    const opening = await kmsCallsDuring(async () => {
      opened = await Promise.all(sealed.map((value, i) => opener.open(value, { ...merchant, recordId: `txn_${i}` })));
    });

    expect(sealing).toEqual({ generate: 1, decrypt: 0 });
    expect(opening).toEqual({ generate: 0, decrypt: 1 });
    expect(opened[999]).toBe('4000000000000999');
    expect(new Set(sealed.map((value) => value.split('.')[1])).size).toBe(1);
  });

  it('uses a separate data key per merchant', async () => {
    const subject = vault();

    const calls = await kmsCallsDuring(async () => {
      await subject.seal(PAN, { ...binding, merchantId: 'mer_one' });
      await subject.seal(PAN, { ...binding, merchantId: 'mer_two' });
      await subject.seal(PAN, { ...binding, merchantId: 'mer_one' });
    });

    expect(calls.generate).toBe(2);
  });

  it('asks KMS for a new data key once the cached one reaches its maximum age', async () => {
    let now = 1_000_000;
    const subject = vault({ clock: () => now, cache: { maxAgeMs: 60_000 } });
    const sealed: string[] = [];

    const calls = await kmsCallsDuring(async () => {
      sealed.push(await subject.seal(PAN, binding));
      now += 59_999;
      sealed.push(await subject.seal(PAN, binding));
      now += 1;
      sealed.push(await subject.seal(PAN, binding));
    });

    expect(calls.generate).toBe(2);
    const dataKeys = sealed.map((value) => value.split('.')[1]);
    expect(dataKeys[1]).toBe(dataKeys[0]);
    expect(dataKeys[2]).not.toBe(dataKeys[0]);
    // Values sealed under the retired key still open.
    expect(await vault().open(sealed[0] ?? '', binding)).toBe(PAN);
  });

  it('asks KMS for a new data key once the cached one reaches its maximum uses, sealing and opening', async () => {
    const sealer = vault({ cache: { maxUses: 3 } });
    const opener = vault({ cache: { maxUses: 3 } });
    const sealed: string[] = [];

    const sealing = await kmsCallsDuring(async () => {
      for (let i = 0; i < 7; i += 1) sealed.push(await sealer.seal(PAN, binding));
    });
    const opening = await kmsCallsDuring(async () => {
      for (let i = 0; i < 3; i += 1) await opener.open(sealed[0] ?? '', binding);
      await opener.open(sealed[0] ?? '', binding);
    });

    expect(sealing.generate).toBe(3);
    expect(opening.decrypt).toBe(2);
  });

  it('expires an unwrapped key used for opening after its maximum age', async () => {
    let now = 0;
    const sealed = await vault().seal(PAN, binding);
    const opener = vault({ clock: () => now, cache: { maxAgeMs: 1_000 } });

    const calls = await kmsCallsDuring(async () => {
      await opener.open(sealed, binding);
      now = 999;
      await opener.open(sealed, binding);
      now = 1_000;
      await opener.open(sealed, binding);
    });

    expect(calls.decrypt).toBe(2);
  });

  it('passes a KMS failure on as retryable, and does not remember it', async () => {
    const subject = new KmsCardVault({ kms: client, keyId: '00000000-0000-4000-8000-000000000000' });

    const calls = await kmsCallsDuring(async () => {
      await expect(subject.seal(PAN, binding)).rejects.toBeInstanceOf(NotFoundException);
      await expect(subject.seal(PAN, binding)).rejects.not.toBeInstanceOf(SealedCardUnreadableError);
    });

    expect(calls.generate).toBe(2);
  });

  it('fails at construction, naming the variable, when CARD_KEY_ID is not set', () => {
    vi.stubEnv('CARD_KEY_ID', undefined);

    expect(() => new KmsCardVault({ kms: client })).toThrow(/CARD_KEY_ID/);
  });
});
