import { describe, expect, it } from 'vitest';
import {
  resolverWithTimeout,
  TargetRefusedError,
  vetTarget,
  type Resolver,
} from '../../../functions/webhooks/url-policy.ts';

const PUBLIC_ADDRESS = '93.184.215.14';

/**
 * A resolver that answers from a table and never touches the network. A host it does not know resolves to
 * a public address, so a literal IP the policy failed to recognise as one would be accepted, not refused
 * for not resolving.
 */
const resolverOf =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) => {
    if (hostname === 'nowhere.example.com') throw new Error(`ENOTFOUND ${hostname}`);
    const addresses = table[hostname] ?? [PUBLIC_ADDRESS];
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const resolver = resolverOf({
  'internal.example.com': ['10.1.2.3'],
  'mixed.example.com': [PUBLIC_ADDRESS, '192.168.1.10'],
  'metadata.example.com': ['169.254.169.254'],
  'v6-private.example.com': ['fd00:ec2::254'],
  'mapped.example.com': ['::ffff:10.0.0.1'],
  'cgnat.example.com': ['100.64.0.1'],
  localhost: ['127.0.0.1'],
});

describe('webhook target policy in the cloud (public-https)', () => {
  it.each([
    ['https://169.254.169.254/latest/meta-data/', 'the metadata address', /linkLocal/],
    ['https://10.0.0.1/', 'a private address', /private/],
    ['https://internal.example.com/hook', 'a name that resolves to a private address', /private/],
    ['https://mixed.example.com/hook', 'a name with one private address among public ones', /private/],
    ['https://metadata.example.com/', 'a name that resolves to the metadata address', /linkLocal/],
    ['https://v6-private.example.com/', 'a name that resolves to a unique-local IPv6 address', /uniqueLocal/],
    ['https://mapped.example.com/', 'an IPv4-mapped private address', /private/],
    ['https://[::ffff:a9fe:a9fe]/', 'the metadata address, IPv4-mapped', /linkLocal/],
    ['https://[::a9fe:a9fe]/', 'the metadata address, IPv4-compatible', /ipv4Compatible/],
    ['https://[64:ff9b::a9fe:a9fe]/', 'the metadata address through NAT64', /rfc6052/],
    ['https://cgnat.example.com/', 'a CGNAT address', /carrierGradeNat/],
    ['https://localhost/', 'loopback by name', /loopback/],
    ['https://127.0.0.1/', 'loopback', /loopback/],
    ['https://[::1]/', 'IPv6 loopback', /loopback/],
    ['https://224.0.0.1/', 'multicast', /multicast/],
    ['https://2130706433/', 'loopback written as one number', /loopback/],
    ['https://0x7f.1/', 'loopback in hex', /loopback/],
    ['http://hooks.example.com/', 'plain http to a public name', /must use https/],
    ['http://169.254.169.254/', 'plain http, whatever the address', /must use https/],
    ['https://nowhere.example.com/', 'a name that does not resolve', /does not resolve/],
    ['ftp://hooks.example.com/', 'another scheme', /must use https/],
    ['https://user:pass@hooks.example.com/', 'credentials in the URL', /credentials/],
  ])('refuses %s (%s)', async (url, _case, reason) => {
    const refusal = vetTarget(url, 'public-https', resolver);

    await expect(refusal).rejects.toBeInstanceOf(TargetRefusedError);
    await expect(refusal).rejects.toThrow(reason);
  });

  it('accepts https to a name that resolves to public addresses only', async () => {
    const addresses = await vetTarget('https://hooks.example.com/hook', 'public-https', resolver);

    expect(addresses.map((entry) => entry.address)).toEqual([PUBLIC_ADDRESS]);
  });

  it('accepts a public IPv6 address', async () => {
    await expect(vetTarget('https://[2606:4700::1111]/', 'public-https', resolver)).resolves.toBeDefined();
  });

  it('refuses, as a bad target, a name whose resolver does not answer in time', async () => {
    const silent: Resolver = () => new Promise(() => undefined);

    const refusal = vetTarget('https://slow.example.com/', 'public-https', resolverWithTimeout(silent, 10));

    await expect(refusal).rejects.toBeInstanceOf(TargetRefusedError);
    await expect(refusal).rejects.toThrow(/did not resolve within 10 ms/);
  });
});

describe('webhook target policy on the local runtime (allow-loopback)', () => {
  it.each(['http://127.0.0.1:4000/hook', 'http://localhost:4000/', 'http://[::1]:4000/'])('accepts loopback %s', async (url) => {
    await expect(vetTarget(url, 'allow-loopback', resolver)).resolves.toBeDefined();
  });

  it.each([
    ['http://10.0.0.1/', /private/],
    ['http://169.254.169.254/', /linkLocal/],
    ['https://internal.example.com/', /private/],
  ])('still refuses %s', async (url, reason) => {
    const refusal = vetTarget(url, 'allow-loopback', resolver);

    await expect(refusal).rejects.toBeInstanceOf(TargetRefusedError);
    await expect(refusal).rejects.toThrow(reason);
  });
});
