import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSigningSecret, signedHeaders } from '../../../functions/webhooks/signing.ts';

describe('Standard Webhooks signing', () => {
  const body = JSON.stringify({ type: 'payment.captured', timestamp: '2030-01-01T00:00:00.000Z', data: { amount: 1050 } });

  it('signs so that the standardwebhooks package verifies it with the same secret', () => {
    const secret = generateSigningSecret();

    const headers = signedHeaders(secret, 'evt_1', new Date(), body);

    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('does not verify with another secret or an altered body', () => {
    const secret = generateSigningSecret();
    const headers = signedHeaders(secret, 'evt_1', new Date(), body);

    expect(() => new Webhook(generateSigningSecret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('1050', '9999'), { ...headers })).toThrow();
  });

  it('makes whsec_ secrets of 32 random bytes, different each time', () => {
    const secrets = [generateSigningSecret(), generateSigningSecret()];

    expect(Buffer.from(secrets[0]?.slice(6) ?? '', 'base64')).toHaveLength(32);
    expect(secrets[0]).not.toBe(secrets[1]);
  });
});
