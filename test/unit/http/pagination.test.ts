import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../functions/core/errors.ts';
import { decodeCursor, encodeCursor, nextPageLink, pageResult } from '../../../functions/http/pagination.ts';

const partition = { gsi1pk: 'MER#mer_A#TXN' };
const lastKey = { pk: 'TXN#txn_9', sk: 'TXN', gsi1pk: 'MER#mer_A#TXN', gsi1sk: 'txn_9' };

describe('list cursors', () => {
  it('round-trips the last key through an opaque, URL-safe cursor', () => {
    const cursor = encodeCursor(lastKey);

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, partition)).toEqual(lastKey);
  });

  it('reads no cursor as the first page', () => {
    expect(decodeCursor(undefined, partition)).toBeUndefined();
  });

  it("refuses another list's cursor, so a crafted one cannot reach another merchant's items", () => {
    const foreign = encodeCursor({ ...lastKey, gsi1pk: 'MER#mer_B#TXN' });

    expect(() => decodeCursor(foreign, partition)).toThrow(
      expect.objectContaining({ code: 'parameter_invalid', param: 'starting_after' }),
    );
  });

  it.each([
    ['not base64 JSON', 'bm90IGpzb24'],
    ['a JSON array', Buffer.from('["a"]').toString('base64url')],
    ['non-string values', Buffer.from('{"gsi1pk":"MER#mer_A#TXN","n":1}').toString('base64url')],
    ['a __proto__ key', Buffer.from('{"gsi1pk":"MER#mer_A#TXN","__proto__":{"x":"1"}}').toString('base64url')],
  ])('refuses a cursor that is %s with a 400', (_, cursor) => {
    expect(() => decodeCursor(cursor, partition)).toThrow(InvalidRequestError);
  });
});

describe('the next-page Link', () => {
  it('repeats the request with starting_after replaced and the other parameters kept', () => {
    const link = nextPageLink(
      { origin: 'https://api.example.com', path: '/prod/transactions', query: { status: 'captured', starting_after: 'old', limit: '5' } },
      'NEW',
    );

    expect(link).toBe('<https://api.example.com/prod/transactions?status=captured&limit=5&starting_after=NEW>; rel="next"');
  });

  it('is relative when the request did not say how it was reached', () => {
    expect(nextPageLink({ origin: undefined, path: '/transactions', query: {} }, 'C')).toBe(
      '</transactions?starting_after=C>; rel="next"',
    );
  });

  it('is left out on the last page', () => {
    const result = pageResult({ origin: undefined, path: '/transactions', query: {} }, { items: [1, 2] });

    expect(result).toEqual({ status: 200, body: [1, 2], headers: {} });
  });
});
