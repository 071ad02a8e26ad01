import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GuardedPoster } from '../../../functions/adapters/webhook-poster.ts';
import type { Resolver } from '../../../functions/webhooks/url-policy.ts';

const servers: (HttpServer | TcpServer)[] = [];

async function listen<S extends HttpServer | TcpServer>(server: S): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const noResolver: Resolver = async (hostname) => {
  throw new Error(`unexpected lookup of ${hostname}`);
};

describe('GuardedPoster', () => {
  it('does not follow a redirect: a 3xx is the outcome, and its target gets no request', async () => {
    let targetHits = 0;
    const targetPort = await listen(
      createHttpServer((_request, response) => {
        targetHits += 1;
        response.end();
      }),
    );
    const redirectorPort = await listen(
      createHttpServer((request, response) => {
        request.resume();
        response.writeHead(302, { location: `http://127.0.0.1:${targetPort}/internal` }).end();
      }),
    );
    const poster = new GuardedPoster('allow-loopback', noResolver, 5_000);

    const outcome = await poster.post(`http://127.0.0.1:${redirectorPort}/hook`, '{}', {});

    expect(outcome.statusCode).toBe(302);
    expect(targetHits).toBe(0);
  });

  it('refuses at connect time a name that resolved public when checked and private when connecting (DNS rebinding)', async () => {
    let connections = 0;
    const privatePort = await listen(createTcpServer((socket) => {
      connections += 1;
      socket.destroy();
    }));
    const answers = ['93.184.215.14', '127.0.0.1'];
    const lookups: string[] = [];
    const rebinding: Resolver = async (hostname) => {
      const address = answers[Math.min(lookups.length, answers.length - 1)] ?? '127.0.0.1';
      lookups.push(hostname);
      return [{ address, family: 4 }];
    };
    const poster = new GuardedPoster('public-https', rebinding, 5_000);

    const outcome = await poster.post(`https://rebind.example.com:${privatePort}/hook`, '{}', {});

    expect(lookups).toEqual(['rebind.example.com', 'rebind.example.com']);
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toMatch(/^refused target: .*loopback/);
    expect(connections).toBe(0);
  });
});
