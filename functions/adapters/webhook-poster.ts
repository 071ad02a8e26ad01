/**
 * One webhook POST: to a vetted address only (webhooks/url-policy.ts), under a timeout, never following a
 * redirect (a 3xx is a failed attempt: a redirect could point anywhere, including inside the network).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PostOutcome, WebhookPoster } from '../webhooks/ports.ts';
import { guardedLookup, TargetRefusedError, vetTarget, type Resolver, type UrlPolicy } from '../webhooks/url-policy.ts';

const USER_AGENT = 'payment-gateway-webhooks/1';

export class GuardedPoster implements WebhookPoster {
  constructor(
    private readonly policy: UrlPolicy,
    private readonly resolver: Resolver,
    private readonly timeoutMs: number,
  ) {}

  async post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<PostOutcome> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      // Literal IP hosts never reach `lookup`, so they are checked here; names are checked again at connect.
      await vetTarget(url, this.policy, this.resolver);
    } catch (error) {
      return { statusCode: null, latencyMs: elapsed(), error: `refused target: ${messageOf(error)}` };
    }
    return new Promise<PostOutcome>((resolve) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(
        target,
        {
          method: 'POST',
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
            'user-agent': USER_AGENT,
          },
          lookup: guardedLookup(this.policy, this.resolver),
          // One connection per attempt: a pooled socket would skip the lookup, and with it the check.
          agent: false,
        },
        (response) => {
          // The body is not kept: only the status decides, and a receiver's body may hold anything.
          response.resume();
          response.on('end', () => resolve({ statusCode: response.statusCode ?? null, latencyMs: elapsed(), error: null }));
          response.on('error', () => resolve({ statusCode: response.statusCode ?? null, latencyMs: elapsed(), error: 'response aborted' }));
        },
      );
      // One deadline for the whole attempt (lookup, connect, response), not a socket idle timeout.
      const deadline = setTimeout(() => request.destroy(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      request.on('error', (error) => {
        clearTimeout(deadline);
        const refused = (error as NodeJS.ErrnoException).code === 'EWEBHOOKTARGET' || error instanceof TargetRefusedError;
        resolve({ statusCode: null, latencyMs: elapsed(), error: refused ? `refused target: ${error.message}` : error.message });
      });
      request.on('close', () => clearTimeout(deadline));
      request.end(body);
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
