import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { StoredItemShapeError, parseItem } from '../../../functions/adapters/item-schema.ts';

const storedCard = z.object({
  id: z.string(),
  status: z.enum(['active', 'detached']),
  card: z.object({ fingerprint: z.string(), expYear: z.number().int() }),
  sealed_number: z.string(),
});

const FINGERPRINT = 'fp_9f86d081884c7d659a2feaa0c55ad015';
const SEALED = 'v2.20261201.AbCdEfGhIj.aXY.Y2lwaGVy.dGFn';

function thrownBy(read: () => unknown): unknown {
  try {
    read();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('parseItem', () => {
  it('returns the item as the schema reads it, without the attributes the schema does not name', () => {
    // Arrange
    const item = { pk: 'PM#pm_1', sk: 'PM', id: 'pm_1', status: 'active', card: { fingerprint: FINGERPRINT, expYear: 2030 }, sealed_number: SEALED };

    // Act
    const parsed = parseItem(storedCard, item, 'saved card');

    // Assert
    expect(parsed).toEqual({ id: 'pm_1', status: 'active', card: { fingerprint: FINGERPRINT, expYear: 2030 }, sealed_number: SEALED });
  });

  it('throws a StoredItemShapeError naming the item kind and every failing field path', () => {
    // Arrange: an older shape, with the expiry year as a string and no sealed number.
    const item = { id: 'pm_1', status: 'active', card: { fingerprint: FINGERPRINT, expYear: '2030' } };

    // Act
    const error = thrownBy(() => parseItem(storedCard, item, 'saved card'));

    // Assert
    expect(error).toBeInstanceOf(StoredItemShapeError);
    expect(error).toMatchObject({ name: 'StoredItemShapeError', itemKind: 'saved card', paths: ['card.expYear', 'sealed_number'] });
    expect((error as Error).message).toBe(
      'A stored saved card item does not have the expected shape: card.expYear (expected number); sealed_number (expected string)',
    );
  });

  it('never quotes a value of the item in its message, whatever field fails', () => {
    // Arrange: card data where other types are expected, and a status that is not one of the known ones.
    const item = { id: 'pm_1', status: FINGERPRINT, card: { fingerprint: 4_242_424_242, expYear: SEALED }, sealed_number: { value: SEALED } };

    // Act
    const error = thrownBy(() => parseItem(storedCard, item, 'saved card'));

    // Assert
    expect(error).toBeInstanceOf(StoredItemShapeError);
    const message = (error as Error).message;
    expect(message).toContain('status (not one of the expected values)');
    for (const value of [FINGERPRINT, '4242424242', SEALED, 'active', 'detached']) expect(message).not.toContain(value);
  });

  it('shows a key of a record as * in the path, never the key itself', () => {
    // Arrange: a metadata key a merchant chose (it may carry anything) with a value that is not text.
    const storedPayment = z.object({ id: z.string(), metadata: z.record(z.string(), z.string()) });
    const merchantKey = 'customer_email_jane.doe@example.com';
    const item = { id: 'txn_1', metadata: { [merchantKey]: 42 } };

    // Act
    const error = thrownBy(() => parseItem(storedPayment, item, 'transaction'));

    // Assert
    expect(error).toMatchObject({ paths: ['metadata.*'] });
    expect((error as Error).message).toBe('A stored transaction item does not have the expected shape: metadata.* (expected string)');
    expect((error as Error).message).not.toContain(merchantKey);
  });

  it('still names the declared fields below and around a record key, through optional and transformed schemas', () => {
    // Arrange: entries kept under generated ids, in an optional record, with a transformed field inside.
    const storedOutbox = z.object({
      outbox: z
        .record(z.string(), z.object({ queue: z.enum(['settle', 'webhook']), attempts: z.array(z.number().int()) }))
        .optional(),
      note: z.string().optional().transform((value) => value ?? ''),
    });
    const item = { outbox: { evt_entry_7: { queue: 'settle', attempts: [1, 'two'] } }, note: 3 };

    // Act
    const error = thrownBy(() => parseItem(storedOutbox, item, 'outbox record'));

    // Assert
    expect(error).toMatchObject({ paths: ['outbox.*.attempts.1', 'note'] });
    expect((error as Error).message).not.toContain('evt_entry_7');
  });

  it('names the item as a whole when it is not an object', () => {
    // Act
    const error = thrownBy(() => parseItem(storedCard, 'pm_1', 'saved card'));

    // Assert
    expect(error).toMatchObject({ paths: ['(item)'] });
  });
});
