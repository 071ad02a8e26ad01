/**
 * Per-merchant throttling in the cloud: every merchant has one API Gateway API key, attached to the stage's
 * usage plan, whose per-key throttle then applies to all of that merchant's requests. The authorizer names
 * the key (`usageIdentifierKey`) for merchant principals, so clients never send it: its value is a random
 * identifier API Gateway generates, unrelated to the merchant's `sk_` keys, stored on the merchant record
 * and never shown or logged.
 *
 * Locally there is no usage plan: the local runtime's token bucket per key (lib/local/rate-limit.ts) stands in.
 */
import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
  type CreateApiKeyCommandOutput,
  type CreateUsagePlanKeyCommandOutput,
  type GetApiKeysCommandOutput,
  type GetUsagePlansCommandOutput,
} from '@aws-sdk/client-api-gateway';
import * as z from 'zod';
import { env } from '../../lib/topology.ts';
import { loadConfig } from '../config.ts';
import type { UsagePlanEnrollment } from '../merchants/ports.ts';

/** The four API Gateway calls the cloud adapter makes; `APIGatewayClient` fits, and so does a test fake. */
export interface ApiGatewayCommands {
  send(command: GetUsagePlansCommand): Promise<GetUsagePlansCommandOutput>;
  send(command: GetApiKeysCommand): Promise<GetApiKeysCommandOutput>;
  send(command: CreateApiKeyCommand): Promise<CreateApiKeyCommandOutput>;
  send(command: CreateUsagePlanKeyCommand): Promise<CreateUsagePlanKeyCommandOutput>;
}

/** API Gateway's largest page: one call finds a key by its (exact, unique per merchant) name. */
const PAGE_SIZE = 500;

interface ApiGatewayKey {
  readonly id: string;
  readonly value: string;
}

/**
 * One API Gateway API key per merchant, named after the merchant id, attached to the usage plan.
 *
 * Idempotent across retries: a POST /merchants retried after a crash (same merchant id, see
 * idempotency/execute-idempotently.ts) finds the key it created by name and reuses it, and attaching a key that is
 * attached already (ConflictException) counts as done. A crash between the calls therefore leaves at
 * most an unattached key, which the retry attaches.
 *
 * The usage plan is found by name, not handed over by id: the plan references the stage, which depends on
 * every method, which depend on this function, so the function's environment cannot reference the plan
 * without a dependency cycle in the template (lib/constructs/gateway-function.ts `enrolInUsagePlan`).
 */
export class ApiGatewayUsagePlanEnrollment implements UsagePlanEnrollment {
  private usagePlanId: Promise<string> | undefined;

  constructor(
    private readonly apiGateway: ApiGatewayCommands,
    private readonly usagePlanName: string,
  ) {}

  async enroll(merchantId: string): Promise<{ apiKeyValue: string }> {
    const usagePlanId = await this.findUsagePlanId();
    const key = (await this.findKeyNamed(merchantId)) ?? (await this.createKey(merchantId));
    await this.attach(usagePlanId, key.id);
    return { apiKeyValue: key.value };
  }

  /** Looked up once per container; a failed lookup is retried by the next request. */
  private findUsagePlanId(): Promise<string> {
    this.usagePlanId ??= this.lookUpUsagePlanId().catch((error: unknown) => {
      this.usagePlanId = undefined;
      throw error;
    });
    return this.usagePlanId;
  }

  private async lookUpUsagePlanId(): Promise<string> {
    const ids: string[] = [];
    let position: string | undefined;
    do {
      const page = await this.apiGateway.send(new GetUsagePlansCommand({ limit: PAGE_SIZE, position }));
      for (const plan of page.items ?? []) {
        if (plan.name === this.usagePlanName && plan.id !== undefined) ids.push(plan.id);
      }
      position = page.position;
    } while (position !== undefined);
    // Two plans of one name would make which one throttles a merchant a matter of chance: refuse loudly.
    const [id, ...others] = ids;
    if (id === undefined || others.length > 0) {
      throw new Error(`Expected one usage plan named '${this.usagePlanName}', found ${ids.length}`);
    }
    return id;
  }

  private async findKeyNamed(name: string): Promise<ApiGatewayKey | undefined> {
    const page = await this.apiGateway.send(
      new GetApiKeysCommand({ nameQuery: name, includeValues: true, limit: PAGE_SIZE }),
    );
    // The name query matches by prefix: keep the exact name only. Should two exist (two concurrent first
    // attempts), the oldest wins, so that every retry settles on the same one.
    const oldest = (page.items ?? [])
      .filter((key) => key.name === name)
      .sort((a, b) => (a.createdDate?.getTime() ?? 0) - (b.createdDate?.getTime() ?? 0))[0];
    if (oldest?.id === undefined || oldest.value === undefined) return undefined;
    return { id: oldest.id, value: oldest.value };
  }

  private async createKey(name: string): Promise<ApiGatewayKey> {
    // No `value`: API Gateway generates a random one. Keys are created disabled unless told otherwise.
    const created = await this.apiGateway.send(
      new CreateApiKeyCommand({ name, enabled: true, description: 'Per-merchant throttling key; clients never send it' }),
    );
    if (created.id === undefined || created.value === undefined) {
      throw new Error(`API Gateway created key '${name}' without an id or value`);
    }
    return { id: created.id, value: created.value };
  }

  private async attach(usagePlanId: string, keyId: string): Promise<void> {
    try {
      await this.apiGateway.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
    } catch (error) {
      // The key is in the plan already: an earlier attempt got this far.
      if (!(error instanceof ConflictException)) throw error;
    }
  }
}

/**
 * The local runtime has no usage plan; its token bucket per key throttles instead. The value only has to
 * be stable for a merchant, so that a retried creation stores the same one.
 */
export const localUsagePlanEnrollment: UsagePlanEnrollment = {
  enroll: async (merchantId) => ({ apiKeyValue: `local_${merchantId}` }),
};

/**
 * The cloud adapter when the stack set the usage plan's name (`USAGE_PLAN_NAME`), else the local one.
 * Read once at start-up, like the rest of a function's configuration.
 */
export function usagePlanEnrollmentFromEnv(
  source: NodeJS.ProcessEnv = process.env,
  client: () => ApiGatewayCommands = () => new APIGatewayClient({}),
): UsagePlanEnrollment {
  const usagePlanName = loadConfig({ [env.usagePlanName]: z.string().min(1).optional() }, source)[env.usagePlanName];
  return usagePlanName === undefined ? localUsagePlanEnrollment : new ApiGatewayUsagePlanEnrollment(client(), usagePlanName);
}
