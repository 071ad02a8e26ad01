/** The system's resolver for webhook targets, under the policy's resolve timeout (webhooks/url-policy.ts checks what it answers). */
import { lookup as dnsLookup } from 'node:dns';
import { RESOLVE_TIMEOUT_MS, resolverWithTimeout, type Resolver } from '../webhooks/url-policy.ts';

// dns.lookup (getaddrinfo, which reads /etc/hosts) rather than dns.Resolver, so `localhost` resolves locally.
export const systemResolver: Resolver = resolverWithTimeout(
  (hostname) =>
    new Promise((resolve, reject) => {
      dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
    }),
  RESOLVE_TIMEOUT_MS,
);
