import {
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
  type ApiKey,
  type CreateApiKeyCommandOutput,
  type CreateUsagePlanKeyCommandOutput,
  type GetApiKeysCommandOutput,
  type GetUsagePlansCommandOutput,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import { describe, expect, it } from 'vitest';
import {
  ApiGatewayUsagePlanEnrollment,
  localUsagePlanEnrollment,
  usagePlanEnrollmentFromEnv,
  type ApiGatewayCommands,
} from '../../../functions/adapters/usage-plan.ts';

const PLAN_NAME = 'payment-gateway-dev-merchants';
const MERCHANT = 'mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0E';

type Command = GetUsagePlansCommand | GetApiKeysCommand | CreateApiKeyCommand | CreateUsagePlanKeyCommand;
type Output = GetUsagePlansCommandOutput | GetApiKeysCommandOutput | CreateApiKeyCommandOutput | CreateUsagePlanKeyCommandOutput;

/**
 * API Gateway's key and usage plan bookkeeping, in memory: enough of GetUsagePlans (paged), GetApiKeys
 * (name query by prefix, as the service matches it), CreateApiKey and CreateUsagePlanKey (409 when attached).
 * `crashBefore` makes the next call of that command fail as a process dying there would.
 */
class FakeApiGateway implements ApiGatewayCommands {
  readonly calls: string[] = [];
  readonly keys: ApiKey[] = [];
  readonly planKeys = new Map<string, Set<string>>();
  crashBefore: string | undefined;
  private created = 0;

  constructor(readonly plans: UsagePlan[] = [{ id: 'plan1', name: PLAN_NAME }]) {
    for (const plan of plans) if (plan.id !== undefined) this.planKeys.set(plan.id, new Set());
  }

  send(command: GetUsagePlansCommand): Promise<GetUsagePlansCommandOutput>;
  send(command: GetApiKeysCommand): Promise<GetApiKeysCommandOutput>;
  send(command: CreateApiKeyCommand): Promise<CreateApiKeyCommandOutput>;
  send(command: CreateUsagePlanKeyCommand): Promise<CreateUsagePlanKeyCommandOutput>;
  async send(command: Command): Promise<Output> {
    const name = command.constructor.name;
    this.calls.push(name);
    if (this.crashBefore === name) {
      this.crashBefore = undefined;
      throw new Error(`crashed before ${name}`);
    }
    const $metadata = {};
    if (command instanceof GetUsagePlansCommand) {
      // One plan per page, so that a caller that ignores `position` misses plans.
      const index = Number(command.input.position ?? 0);
      const next = index + 1 < this.plans.length ? String(index + 1) : undefined;
      return { $metadata, items: this.plans.slice(index, index + 1), ...(next === undefined ? {} : { position: next }) };
    }
    if (command instanceof GetApiKeysCommand) {
      const matching = this.keys.filter((key) => key.name?.startsWith(command.input.nameQuery ?? '') === true);
      const withValues = command.input.includeValues === true;
      return { $metadata, items: matching.map((key) => (withValues ? key : { ...key, value: undefined })) };
    }
    if (command instanceof CreateApiKeyCommand) {
      this.created += 1;
      const key: ApiKey = {
        id: `key${this.created}`,
        name: command.input.name,
        value: `generated-value-${this.created}-0123456789abcdef`,
        enabled: command.input.enabled === true,
        createdDate: new Date(Date.UTC(2030, 0, 1, 0, 0, this.created)),
      };
      this.keys.push(key);
      return { $metadata, ...key };
    }
    const { usagePlanId = '', keyId = '' } = command.input;
    const attached = this.planKeys.get(usagePlanId);
    if (attached === undefined) throw new Error(`no usage plan ${usagePlanId}`);
    if (attached.has(keyId)) {
      throw new ConflictException({ message: 'Usage Plan Key already exists', $metadata });
    }
    attached.add(keyId);
    return { $metadata, id: keyId, type: 'API_KEY' };
  }
}

describe('usage plan enrollment (API Gateway)', () => {
  it('gives a new merchant an enabled key named after it, attached to the plan found by name', async () => {
    const apiGateway = new FakeApiGateway([{ id: 'other', name: 'another-plan' }, { id: 'plan1', name: PLAN_NAME }]);
    const enrollment = new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME);

    const { apiKeyValue } = await enrollment.enroll(MERCHANT);

    expect(apiGateway.keys).toEqual([expect.objectContaining({ name: MERCHANT, enabled: true, value: apiKeyValue })]);
    expect(apiGateway.planKeys.get('plan1')).toEqual(new Set(['key1']));
    expect(apiGateway.planKeys.get('other')).toEqual(new Set());
  });

  it('reuses the key a crashed attempt created before attaching it, and attaches it', async () => {
    const apiGateway = new FakeApiGateway();
    const enrollment = new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME);
    apiGateway.crashBefore = 'CreateUsagePlanKeyCommand';
    await expect(enrollment.enroll(MERCHANT)).rejects.toThrow(/crashed/);

    const { apiKeyValue } = await enrollment.enroll(MERCHANT);

    expect(apiGateway.keys).toHaveLength(1);
    expect(apiKeyValue).toBe(apiGateway.keys[0]?.value);
    expect(apiGateway.planKeys.get('plan1')).toEqual(new Set(['key1']));
  });

  it('treats a key already in the plan as enrolled: a retry after a full success returns the same value', async () => {
    const apiGateway = new FakeApiGateway();
    const first = await new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME).enroll(MERCHANT);

    // A new container, as a retried request may land in.
    const second = await new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME).enroll(MERCHANT);

    expect(second).toEqual(first);
    expect(apiGateway.keys).toHaveLength(1);
    expect(apiGateway.calls.filter((call) => call === 'CreateApiKeyCommand')).toHaveLength(1);
  });

  it("never takes another merchant's key whose name merely starts with this merchant's id", async () => {
    const apiGateway = new FakeApiGateway();
    apiGateway.keys.push({ id: 'longer', name: `${MERCHANT}X`, value: 'someone-elses-value-0123456789', enabled: true });
    const enrollment = new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME);

    const { apiKeyValue } = await enrollment.enroll(MERCHANT);

    expect(apiKeyValue).not.toBe('someone-elses-value-0123456789');
    expect(apiGateway.planKeys.get('plan1')).toEqual(new Set(['key1']));
  });

  it('settles on the oldest of two keys of one name, so every retry agrees', async () => {
    const apiGateway = new FakeApiGateway();
    apiGateway.keys.push(
      { id: 'newer', name: MERCHANT, value: 'newer-value-0123456789abcdef', createdDate: new Date('2030-01-02T00:00:00Z') },
      { id: 'older', name: MERCHANT, value: 'older-value-0123456789abcdef', createdDate: new Date('2030-01-01T00:00:00Z') },
    );

    const { apiKeyValue } = await new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME).enroll(MERCHANT);

    expect(apiKeyValue).toBe('older-value-0123456789abcdef');
    expect(apiGateway.planKeys.get('plan1')).toEqual(new Set(['older']));
  });

  it('looks the plan up once per container, paging through every plan', async () => {
    const apiGateway = new FakeApiGateway([
      { id: 'a', name: 'a' },
      { id: 'b', name: 'b' },
      { id: 'plan1', name: PLAN_NAME },
    ]);
    const enrollment = new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME);

    await enrollment.enroll(MERCHANT);
    await enrollment.enroll('mer_01JD2Z8Q7F3X4Y5Z6A7B8C9D0F');

    expect(apiGateway.calls.filter((call) => call === 'GetUsagePlansCommand')).toHaveLength(3);
    expect(apiGateway.planKeys.get('plan1')?.size).toBe(2);
  });

  it.each([
    ['no plan', [{ id: 'other', name: 'another-plan' }]],
    ['two plans', [{ id: 'p1', name: PLAN_NAME }, { id: 'p2', name: PLAN_NAME }]],
  ])('refuses to enroll when the name matches %s, and creates no key', async (_case, plans: UsagePlan[]) => {
    const apiGateway = new FakeApiGateway(plans);

    await expect(new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME).enroll(MERCHANT)).rejects.toThrow(
      /Expected one usage plan named/,
    );
    expect(apiGateway.keys).toEqual([]);
  });

  it('looks the plan up again after a failed lookup', async () => {
    const apiGateway = new FakeApiGateway();
    const enrollment = new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME);
    apiGateway.crashBefore = 'GetUsagePlansCommand';
    await expect(enrollment.enroll(MERCHANT)).rejects.toThrow(/crashed/);

    await enrollment.enroll(MERCHANT);

    expect(apiGateway.planKeys.get('plan1')).toEqual(new Set(['key1']));
  });

  it('passes on an attach failure other than a conflict', async () => {
    const apiGateway = new FakeApiGateway();
    apiGateway.planKeys.delete('plan1');

    await expect(new ApiGatewayUsagePlanEnrollment(apiGateway, PLAN_NAME).enroll(MERCHANT)).rejects.toThrow(/no usage plan/);
  });
});

describe('choosing the adapter', () => {
  it('is the local one, touching no API Gateway client, when USAGE_PLAN_NAME is unset', async () => {
    let clients = 0;
    const enrollment = usagePlanEnrollmentFromEnv({}, () => {
      clients += 1;
      return new FakeApiGateway();
    });

    expect(enrollment).toBe(localUsagePlanEnrollment);
    expect(await enrollment.enroll(MERCHANT)).toEqual({ apiKeyValue: `local_${MERCHANT}` });
    expect(clients).toBe(0);
  });

  it('is the API Gateway one, on the plan of that name, when USAGE_PLAN_NAME is set', async () => {
    const apiGateway = new FakeApiGateway();
    const enrollment = usagePlanEnrollmentFromEnv({ USAGE_PLAN_NAME: PLAN_NAME }, () => apiGateway);

    await enrollment.enroll(MERCHANT);

    expect(enrollment).toBeInstanceOf(ApiGatewayUsagePlanEnrollment);
    expect(apiGateway.planKeys.get('plan1')).toEqual(new Set(['key1']));
  });

  it('fails at start-up on an empty USAGE_PLAN_NAME', () => {
    expect(() => usagePlanEnrollmentFromEnv({ USAGE_PLAN_NAME: '' })).toThrow(/Invalid configuration: USAGE_PLAN_NAME/);
  });
});
