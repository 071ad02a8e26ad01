/**
 * Each function's role grants exactly what its topology `access` lists (DESIGN "Card data": only the
 * authorize worker can decrypt cards). Read from the synthesized template, i.e. what IAM will enforce.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { functionNames, functions, queueNames, queues, type FunctionAccess, type FunctionName } from '../../lib/topology.ts';
import { cardKeyPurposes } from '../../lib/constructs/gateway-function.ts';
import { logicalIdOf, ofType, references, synthesize, type Synthesized } from './synth.ts';

interface Statement {
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: unknown[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

let synthesized: Synthesized;
let statementsOf: (name: FunctionName) => Statement[];

beforeAll(() => {
  synthesized = synthesize('dev');
  const { resources, stack } = synthesized;
  const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

  statementsOf = (name) => {
    const roleId = logicalIdOf(stack.functions[name].role);
    const attached = [...ofType(resources, 'AWS::IAM::ManagedPolicy'), ...ofType(resources, 'AWS::IAM::Policy')].filter(
      ([, policy]) => asArray(policy.Properties?.Roles).some((role) => references(role, roleId)),
    );
    const document = (policy: Record<string, unknown> | undefined): Record<string, unknown>[] =>
      (policy?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    return attached.flatMap(([, policy]) =>
      document(policy.Properties).map((statement) => ({
        Effect: String(statement.Effect),
        Action: asArray(statement.Action).map(String),
        Resource: asArray(statement.Resource),
        ...(statement.Condition === undefined
          ? {}
          : { Condition: statement.Condition as Record<string, Record<string, unknown>> }),
      })),
    );
  };
});

const allows = (statements: Statement[], action: string, resourceId?: string): Statement[] =>
  statements.filter(
    (statement) =>
      statement.Effect === 'Allow' &&
      statement.Action.includes(action) &&
      (resourceId === undefined || statement.Resource.some((resource) => references(resource, resourceId))),
  );

describe('function roles', () => {
  it('are built only from the function policy: no inline policy, no AWS-managed policy', () => {
    for (const name of functionNames) {
      const role = synthesized.resources[logicalIdOf(synthesized.stack.functions[name].role)];

      expect(role?.Properties?.Policies, name).toBeUndefined();
      expect(role?.Properties?.ManagedPolicyArns, name).toBeUndefined();
      expect(statementsOf(name).length, name).toBeGreaterThan(0);
    }
  });

  it('name every resource, except the X-Ray actions, which have no resource-level permissions', () => {
    for (const name of functionNames) {
      for (const statement of statementsOf(name)) {
        expect(statement.Action.every((action) => !action.includes('*')), `${name}: ${statement.Action}`).toBe(true);
        if (statement.Resource.includes('*')) {
          expect(statement.Action.every((action) => action.startsWith('xray:')), name).toBe(true);
        }
      }
    }
  });
});

describe('card key', () => {
  /** What each kind of sealed value carries as its KMS encryption context (the adapters that seal them). */
  const contexts = {
    cardData: { merchant_id: 'mer_1' },
    newCardData: { merchant_id: 'mer_1', data_key_period: '20300101' },
    fingerprint: { purpose: 'fingerprint' },
    webhookSecret: { purpose: 'webhook_secret', merchant_id: 'mer_1', endpoint_id: 'we_1' },
    idempotentResponse: { purpose: 'idempotent_response', scope: 'mer_1', key: 'c0ffee' },
  } as const satisfies Record<keyof typeof cardKeyPurposes, Record<string, string>>;

  /** IAM's evaluation of the condition operators these statements use, for a request with this context. */
  const admits = (condition: Statement['Condition'], context: Readonly<Record<string, string>>): boolean =>
    Object.entries(condition ?? {}).every(([operator, tests]) =>
      Object.entries(tests).every(([conditionKey, expected]) => {
        const contextKey = conditionKey.replace(/^kms:EncryptionContext:/, '');
        if (contextKey === conditionKey) throw new Error(`unexpected condition key ${conditionKey}`);
        const actual = context[contextKey];
        if (operator === 'Null') return String(expected) === String(actual === undefined);
        if (operator === 'StringEquals') return actual === expected;
        throw new Error(`unexpected condition operator ${operator}`);
      }),
    );
  const canUse = (statements: Statement[], action: string, context: Readonly<Record<string, string>>, keyId: string): boolean =>
    allows(statements, action, keyId).some((statement) => admits(statement.Condition, context));

  it('decrypts each kind of sealed value only from the functions whose access lists it', () => {
    const cardKeyId = logicalIdOf(synthesized.stack.cardKey);
    const decrypters = (context: Readonly<Record<string, string>>): FunctionName[] =>
      functionNames.filter((name) => canUse(statementsOf(name), 'kms:Decrypt', context, cardKeyId));

    expect(decrypters(contexts.cardData)).toEqual(['authorizeWorker']);
    expect(decrypters(contexts.newCardData)).toEqual(['authorizeWorker']);
    // The authorize worker's card-data grant does not open a webhook signing secret, which also names a merchant.
    expect(decrypters(contexts.webhookSecret)).toEqual(['webhookDelivery']);
    expect(decrypters(contexts.fingerprint)).toEqual(functionNames.filter((name) => functions[name].access.fingerprintKey === true));
    expect(decrypters(contexts.idempotentResponse)).toEqual(['merchants', 'sessions']);
  });

  it('makes card data keys only from the functions that seal cards, and only bound to a merchant and a day', () => {
    const cardKeyId = logicalIdOf(synthesized.stack.cardKey);
    const makers = functionNames.filter((name) => canUse(statementsOf(name), 'kms:GenerateDataKey', contexts.newCardData, cardKeyId));

    expect(makers).toEqual(functionNames.filter((name) => functions[name].access.cardKey?.includes('encrypt') === true));
    for (const name of makers) {
      expect(canUse(statementsOf(name), 'kms:GenerateDataKey', {}, cardKeyId), name).toBe(false);
      expect(canUse(statementsOf(name), 'kms:GenerateDataKey', contexts.cardData, cardKeyId), name).toBe(false);
    }
  });

  it('is used only under one of the purposes\' conditions, and only by functions whose access uses it', () => {
    const cardKeyId = logicalIdOf(synthesized.stack.cardKey);

    for (const name of functionNames) {
      const uses = statementsOf(name).filter((statement) =>
        statement.Resource.some((resource) => references(resource, cardKeyId)),
      );
      for (const statement of uses) expect(Object.values(cardKeyPurposes), name).toContainEqual(statement.Condition);
      const access: FunctionAccess = functions[name].access;
      const expectsUse =
        access.cardKey !== undefined ||
        access.fingerprintKey === true ||
        access.webhookSecrets !== undefined ||
        access.idempotentResponses === true;
      expect(uses.length > 0, name).toBe(expectsUse);
    }
  });

  describe('its key policy', () => {
    const keyPolicy = (): Statement[] => {
      const key = synthesized.resources[logicalIdOf(synthesized.stack.cardKey)];
      const statements = (key?.Properties?.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
      return statements.map((statement) => ({
        Effect: String(statement.Effect),
        Action: (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).map(String),
        Resource: [statement.Resource],
        Principal: statement.Principal,
        ...(statement.Condition === undefined ? {} : { Condition: statement.Condition as Record<string, Record<string, unknown>> }),
      }));
    };
    const roleOf = (name: FunctionName): unknown => ({ AWS: { 'Fn::GetAtt': [logicalIdOf(synthesized.stack.functions[name].role), 'Arn'] } });
    const isAccountRoot = (principal: unknown): boolean => JSON.stringify(principal).includes(':root');
    const cryptographic = /^kms:(\*|Decrypt|Encrypt|GenerateDataKey|ReEncrypt|CreateGrant|GenerateMac|Sign|Derive)/;

    it('lets the account administer the key but not use it: no kms:*, no decrypt, no grant', () => {
      const rootStatements = keyPolicy().filter((statement) => isAccountRoot(statement.Principal));

      expect(rootStatements).toHaveLength(1);
      expect(rootStatements[0]?.Action).toContain('kms:PutKeyPolicy');
      expect(rootStatements[0]?.Action.filter((action) => cryptographic.test(action) || action.includes('*'))).toEqual([]);
    });

    it('names the roles that may decrypt card data, and no other: the authorize worker\'s', () => {
      const decrypters = keyPolicy()
        .filter((statement) => statement.Action.includes('kms:Decrypt') && admits(statement.Condition, contexts.cardData))
        .map((statement) => statement.Principal);

      expect(decrypters).toEqual([roleOf('authorizeWorker')]);
    });

    it('names each role for exactly what its IAM policy allows on the key, under the same conditions', () => {
      const cardKeyId = logicalIdOf(synthesized.stack.cardKey);
      const uses = keyPolicy().filter((statement) => !isAccountRoot(statement.Principal));

      for (const statement of uses) {
        expect(statement.Effect).toBe('Allow');
        expect(functionNames.some((name) => JSON.stringify(statement.Principal) === JSON.stringify(roleOf(name))), JSON.stringify(statement)).toBe(true);
      }
      for (const name of functionNames) {
        const inKeyPolicy = uses
          .filter((statement) => JSON.stringify(statement.Principal) === JSON.stringify(roleOf(name)))
          .map(({ Action, Condition }) => ({ Action: [...Action].sort(), Condition }));
        const inIam = statementsOf(name)
          .filter((statement) => statement.Resource.some((resource) => references(resource, cardKeyId)))
          .map(({ Action, Condition }) => ({ Action: [...Action].sort(), Condition }));

        expect(inKeyPolicy, name).toEqual(inIam);
      }
    });
  });
});

describe('table', () => {
  const writeActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

  it('cannot be written by functions the topology gives read access only', () => {
    const tableId = logicalIdOf(synthesized.stack.table);

    for (const name of functionNames) {
      const canWrite = writeActions.some((action) => allows(statementsOf(name), action, tableId).length > 0);

      expect(canWrite, name).toBe(functions[name].access.table === 'readwrite');
    }
  });

  it('is granted only on named partitions: every table and index grant carries a dynamodb:LeadingKeys condition', () => {
    const tableId = logicalIdOf(synthesized.stack.table);

    for (const name of functionNames) {
      const grants = statementsOf(name).filter((statement) => statement.Resource.some((resource) => references(resource, tableId)));
      for (const grant of grants) {
        const onOutboxIndex = JSON.stringify(grant.Resource).includes('/index/outbox');
        if (onOutboxIndex) {
          // The sparse outbox index holds keys and an age only; only the outbox relay reads it.
          expect(name).toBe('outboxRelay');
          expect(grant.Action).toEqual(['dynamodb:Query']);
          continue;
        }
        const patterns = grant.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
        expect(Object.keys(grant.Condition ?? {}), `${name} ${grant.Action.join()}`).toEqual(['ForAllValues:StringLike']);
        expect(Array.isArray(patterns) && patterns.length > 0, `${name} ${grant.Action.join()}`).toBe(true);
        expect((patterns as string[]).filter((pattern) => pattern === '*' || pattern.startsWith('*')), name).toEqual([]);
      }
    }
  });

  const writablePartitions = (name: FunctionName): string[] => {
    const tableId = logicalIdOf(synthesized.stack.table);
    return allows(statementsOf(name), 'dynamodb:PutItem', tableId).flatMap(
      (statement) => (statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[] | undefined) ?? ['(any)'],
    );
  };

  it('lets the read-only console write only its own session, and the browser-facing pages nothing of a merchant\'s setup', () => {
    expect(writablePartitions('console')).toEqual(['SESSION#*']);
    for (const name of ['checkout', 'wallet'] as const) {
      expect(writablePartitions(name).filter((pattern) => /^(MERCHANT|APIKEY|WHE|AUTH)#/.test(pattern)), name).toEqual([]);
    }
  });

  it('keeps each kind of record to the functions that own it', () => {
    const writers = (prefix: string): FunctionName[] =>
      functionNames.filter((name) => writablePartitions(name).some((pattern) => pattern.startsWith(prefix)));

    expect(writers('MERCHANT#')).toEqual(['merchants']);
    expect(writers('APIKEY#')).toEqual(['merchants']);
    // Events and their deliveries: only the webhook workers; every other function publishes through the fan-out.
    expect(writers('MER#*#EVT#')).toEqual(['webhookFanout', 'webhookDelivery']);
    expect(writers('WHE#')).toEqual(['webhooks', 'webhookDelivery']);
    expect(writers('TXN#')).toEqual(['payments', 'authorizeWorker', 'settleWorker', 'outboxRelay', 'checkout']);
  });

  it('is never scanned: no function may Scan', () => {
    for (const name of functionNames) expect(allows(statementsOf(name), 'dynamodb:Scan'), name).toEqual([]);
  });
});

describe('queues', () => {
  const queueIdsIn = (statements: Statement[]): string[] =>
    queueNames
      .filter((queue) =>
        statements.some((statement) =>
          statement.Resource.some((resource) => references(resource, logicalIdOf(synthesized.stack.queues[queue].queue))),
        ),
      )
      .sort();

  it('take messages from a function only if the topology lists the queue in its sendTo', () => {
    for (const name of functionNames) {
      expect(queueIdsIn(allows(statementsOf(name), 'sqs:SendMessage')), name).toEqual(
        [...(functions[name].access.sendTo ?? [])].sort(),
      );
    }
  });

  it('are read only by their consumer', () => {
    for (const name of functionNames) {
      const consumed = queueNames.filter((queue) => queues[queue].consumer === name).sort();

      expect(queueIdsIn(allows(statementsOf(name), 'sqs:ReceiveMessage')), name).toEqual(consumed);
    }
  });

  it('dead-letter queues receive nothing from any function', () => {
    for (const name of functionNames) {
      for (const queue of queueNames) {
        const deadLetterId = logicalIdOf(synthesized.stack.queues[queue].deadLetterQueue);
        expect(
          statementsOf(name).filter((statement) => statement.Resource.some((resource) => references(resource, deadLetterId))),
          `${name} / ${queue}`,
        ).toEqual([]);
      }
    }
  });
});

describe('admin key secret', () => {
  it('is readable only by functions whose access lists adminKey', () => {
    const secretId = logicalIdOf(synthesized.stack.adminKeySecret);
    const readers = functionNames.filter(
      (name) => allows(statementsOf(name), 'secretsmanager:GetSecretValue', secretId).length > 0,
    );

    expect(readers).toEqual(functionNames.filter((name) => functions[name].access.adminKey === true));
  });
});

describe('customers and orders', () => {
  it('the customers function seals saved cards but cannot open them; the orders function touches no key and no queue', () => {
    const cardKeyId = logicalIdOf(synthesized.stack.cardKey);
    const customers = statementsOf('customers');
    const orders = statementsOf('orders');
    const fingerprintOnly = (statement: Statement): boolean =>
      statement.Condition?.StringEquals?.['kms:EncryptionContext:purpose'] === 'fingerprint';

    expect(allows(customers, 'kms:GenerateDataKey', cardKeyId).some((statement) => !fingerprintOnly(statement))).toBe(true);
    expect(allows(customers, 'kms:Decrypt', cardKeyId).every(fingerprintOnly)).toBe(true);
    expect(orders.filter((statement) => statement.Resource.some((resource) => references(resource, cardKeyId)))).toEqual([]);
    expect(allows(orders, 'sqs:SendMessage')).toEqual([]);
  });
});

describe('the hosted checkout', () => {
  it('sends only what creating a payment sends: the authorization command and events, never a settlement', () => {
    const queueIds = (['authorization', 'settlement', 'webhookFanout'] as const).map((queue) => logicalIdOf(synthesized.stack.queues[queue].queue));
    const [authorization, settlement, webhookFanout] = queueIds.map((id) => allows(statementsOf('checkout'), 'sqs:SendMessage', id).length > 0);

    expect({ authorization, settlement, webhookFanout }).toEqual({ authorization: true, settlement: false, webhookFanout: true });
  });
});

describe('webhook signing secrets', () => {
  const webhookSecretOnly = (statement: Statement): boolean =>
    statement.Condition?.StringEquals?.['kms:EncryptionContext:purpose'] === 'webhook_secret';

  it('are encrypted only by the webhooks function and decrypted only by the delivery worker, under purpose=webhook_secret', () => {
    const cardKeyId = logicalIdOf(synthesized.stack.cardKey);
    const encrypters = functionNames.filter((name) =>
      allows(statementsOf(name), 'kms:Encrypt', cardKeyId).some(webhookSecretOnly),
    );
    const secretDecrypters = functionNames.filter((name) =>
      allows(statementsOf(name), 'kms:Decrypt', cardKeyId).some(webhookSecretOnly),
    );

    expect(encrypters).toEqual(['webhooks']);
    expect(allows(statementsOf('webhooks'), 'kms:Encrypt', cardKeyId).every(webhookSecretOnly)).toBe(true);
    expect(secretDecrypters).toEqual(['webhookDelivery']);
    expect(allows(statementsOf('webhookDelivery'), 'kms:Decrypt', cardKeyId).every(webhookSecretOnly)).toBe(true);
  });

  it('go with the strict URL policy: the functions that register or call webhook URLs get public-https', () => {
    for (const name of ['webhooks', 'webhookDelivery'] as const) {
      const fn = synthesized.resources[logicalIdOf(synthesized.stack.functions[name].function)];
      const variables = (fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

      expect(variables.WEBHOOK_URL_POLICY, name).toBe('public-https');
    }
  });
});

describe('stored Idempotency-Key responses that hold a secret', () => {
  const idempotentResponseOnly = (statement: Statement): boolean =>
    statement.Condition?.StringEquals?.['kms:EncryptionContext:purpose'] === 'idempotent_response';

  it('are sealed and opened only by the merchants and sessions functions, under purpose=idempotent_response', () => {
    const cardKeyId = logicalIdOf(synthesized.stack.cardKey);
    const sealers = functionNames.filter((name) =>
      allows(statementsOf(name), 'kms:Encrypt', cardKeyId).some(idempotentResponseOnly),
    );
    const openers = functionNames.filter((name) =>
      allows(statementsOf(name), 'kms:Decrypt', cardKeyId).some(idempotentResponseOnly),
    );

    expect(sealers).toEqual(['merchants', 'sessions']);
    expect(openers).toEqual(['merchants', 'sessions']);
    expect(sealers).toEqual(functionNames.filter((name) => functions[name].access.idempotentResponses === true));
  });

  it('give those functions no other use of the card key', () => {
    const cardKeyId = logicalIdOf(synthesized.stack.cardKey);

    for (const name of ['merchants', 'sessions'] as const) {
      const uses = statementsOf(name).filter((statement) =>
        statement.Resource.some((resource) => references(resource, cardKeyId)),
      );
      expect(uses.map(({ Action, Condition }) => ({ Action, Condition })), name).toEqual([
        {
          Action: ['kms:Decrypt', 'kms:Encrypt'],
          Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'idempotent_response' } },
        },
      ]);
    }
  });
});

describe('API Gateway management (usage plan enrolment)', () => {
  const apiGatewayArn = (resourcePath: string): unknown => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, `::${resourcePath}`]],
  });
  const apiGatewayStatements = (name: FunctionName): Statement[] =>
    statementsOf(name).filter((statement) => statement.Action.some((action) => action.startsWith('apigateway:')));

  it('lets only the merchants function find the plan, find and create API keys, and add them to its plan', () => {
    const planId = logicalIdOf(synthesized.stack.api.usagePlan);
    const statements = apiGatewayStatements('merchants').map(({ Action, Resource }) => ({ Action, Resource }));

    expect(statements).toEqual([
      { Action: ['apigateway:GET'], Resource: [apiGatewayArn('/apikeys'), apiGatewayArn('/usageplans')] },
      {
        Action: ['apigateway:POST'],
        Resource: [
          apiGatewayArn('/apikeys'),
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, '::/usageplans/', { Ref: planId }, '/keys']] },
        ],
      },
    ]);
  });

  it('is granted to no other function', () => {
    const holders = functionNames.filter((name) => apiGatewayStatements(name).length > 0);

    expect(holders).toEqual(functionNames.filter((name) => functions[name].access.usagePlanKeys === true));
    expect(holders).toEqual(['merchants']);
  });
});
