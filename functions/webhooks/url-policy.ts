/**
 * Which URLs a webhook may target: the guard against server-side request forgery. A merchant chooses the
 * URL, so without it the gateway could be made to POST into its own network (the instance metadata
 * service at 169.254.169.254, a VPC's 10.x hosts, loopback admin ports).
 *
 * - `public-https` (the cloud): `https` only, and every address the name resolves to must be public
 *   unicast. Private, loopback, link-local (metadata), CGNAT, multicast, reserved, unique-local,
 *   IPv4-mapped forms of those, and IPv6 forms that embed an IPv4 address (IPv4-compatible `::/96`, NAT64
 *   `64:ff9b::/96`, 6to4, Teredo) are refused.
 * - `allow-loopback` (the local runtime): the same, except that loopback addresses are allowed, over
 *   `http` or `https`, so a receiver on this machine can be tested.
 *
 * The check runs at registration and again at each delivery; a delivery connects to the very address
 * that was checked (see `guardedLookup`), so a name that resolves to a public address for the check and
 * to a private one for the connection (DNS rebinding) cannot get through.
 */
import type { LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig } from '../config.ts';

export const urlPolicies = ['public-https', 'allow-loopback'] as const;
export type UrlPolicy = (typeof urlPolicies)[number];

/**
 * Resolves a host name to every address it has, as `dns.lookup(name, { all: true })` does
 * (functions/adapters/webhook-dns-resolver.ts is the system's).
 */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** How long a name may take to resolve: a slow DNS server is a refused target, not a Lambda timeout. */
export const RESOLVE_TIMEOUT_MS = 2_000;

/** The resolver did not answer in time. */
export class ResolveTimeoutError extends Error {
  constructor(hostname: string, timeoutMs: number) {
    super(`The host ${hostname} did not resolve within ${timeoutMs} ms.`);
    this.name = 'ResolveTimeoutError';
  }
}

/** The resolver, failing with `ResolveTimeoutError` when it has not answered within `timeoutMs`. */
export function resolverWithTimeout(resolver: Resolver, timeoutMs: number): Resolver {
  return (hostname) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ResolveTimeoutError(hostname, timeoutMs)), timeoutMs);
    });
    return Promise.race([resolver(hostname), timeout]).finally(() => clearTimeout(timer));
  };
}

/** Why a target is refused; safe to show the merchant. */
export class TargetRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TargetRefusedError';
  }
}

/** `WEBHOOK_URL_POLICY`, read once at start-up; unset means the strict cloud policy. */
export function urlPolicyFromEnv(source: NodeJS.ProcessEnv = process.env): UrlPolicy {
  return loadConfig({ [env.webhookUrlPolicy]: z.enum(urlPolicies).default('public-https') }, source)[
    env.webhookUrlPolicy
  ] as UrlPolicy;
}

/** Checks the URL's form and scheme, without resolving it. */
export function parseTargetUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefusedError('The URL is not a valid absolute URL.');
  }
  if (url.username !== '' || url.password !== '') throw new TargetRefusedError('The URL may not carry credentials.');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && policy === 'allow-loopback') return url;
  throw new TargetRefusedError(policy === 'allow-loopback' ? 'The URL must use https or http.' : 'The URL must use https.');
}

const IPV4_COMPATIBLE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 96];

/** The range name of an address if the policy refuses it, else undefined. */
export function refusedRange(address: string, policy: UrlPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  // ipaddr.process turns ::ffff:10.0.0.1 into 10.0.0.1, so a mapped private address is judged as what it is.
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  // ipaddr.js calls the deprecated IPv4-compatible form (::a9fe:a9fe = ::169.254.169.254) unicast, yet
  // some stacks route it to the IPv4 address it embeds.
  if (range === 'unicast' && parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return 'ipv4Compatible';
  if (range === 'unicast') return undefined;
  if (range === 'loopback' && policy === 'allow-loopback') return undefined;
  return range;
}

/** The host part of a URL as an address, when it is a literal one (`[::1]` loses its brackets). */
function literalAddress(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return ipaddr.isValid(host) && (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host)) ? host : undefined;
}

/**
 * Resolves the URL's host and checks every address: all must be allowed, because a client may connect to
 * any of them. Returns the checked addresses.
 */
export async function vetTarget(raw: string, policy: UrlPolicy, resolver: Resolver): Promise<readonly LookupAddress[]> {
  const url = parseTargetUrl(raw, policy);
  const literal = literalAddress(url);
  let addresses: readonly LookupAddress[];
  if (literal !== undefined) {
    addresses = [{ address: literal, family: literal.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await resolver(url.hostname);
    } catch (error) {
      if (error instanceof ResolveTimeoutError) throw new TargetRefusedError(error.message);
      throw new TargetRefusedError(`The host ${url.hostname} does not resolve.`);
    }
    if (addresses.length === 0) throw new TargetRefusedError(`The host ${url.hostname} does not resolve.`);
  }
  for (const { address } of addresses) {
    const range = refusedRange(address, policy);
    if (range !== undefined) {
      throw new TargetRefusedError(`The URL's host resolves to a ${range} address; webhooks go to public addresses only.`);
    }
  }
  return addresses;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http(s) requests that resolves with the resolver, refuses the connection unless
 * every address passes the policy, and hands the socket exactly those addresses: the connection goes to
 * what was checked. (Literal IP hosts skip `lookup` in Node, so `vetTarget` checks them before the request.)
 */
export function guardedLookup(policy: UrlPolicy, resolver: Resolver) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    vetTarget(`https://${hostname.includes(':') ? `[${hostname}]` : hostname}/`, policy, resolver).then(
      (addresses) => {
        if (options.all === true) callback(null, [...addresses]);
        else callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4);
      },
      (error: unknown) => {
        const refused: NodeJS.ErrnoException = error instanceof Error ? error : new Error(String(error));
        refused.code = 'EWEBHOOKTARGET';
        callback(refused, '');
      },
    );
  };
}
