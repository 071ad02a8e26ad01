import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { CardKeyUse } from './gateway-function.ts';

/**
 * What the account may do with the card key: administer it, never use it. No decrypt, encrypt, data key,
 * re-encrypt or grant (a grant would let an administrator hand themselves Decrypt); and no `kms:*`, which
 * CDK's default key policy gives the account and which would let any IAM policy of the account open cards.
 * `PutKeyPolicy` stays, as KMS requires of every key (an administrator who rewrites the policy to use the key
 * does so in CloudTrail, where an ambient permission would leave no trace).
 */
export const cardKeyAdministration = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/**
 * The card key's policy before any function is named in it: the account may administer the key, never use it.
 *
 * The card key protects card data (envelope keys of card numbers and CVCs), the fingerprint HMAC key, webhook
 * signing secrets and sealed idempotent responses, each under its own encryption context. Its key policy, not IAM
 * alone, decides who may use it: each function role gets, by name, exactly the uses its topology access lists,
 * under the same conditions as its IAM policy (`allowCardKeyUses`). So "only the authorize worker can decrypt
 * card data" is enforced by the key itself: no other role, user or administrator of the account is named,
 * whatever IAM policy they hold.
 */
export function cardKeyPolicy(): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AccountAdministersButNeverUsesTheKey',
        principals: [new iam.AccountRootPrincipal()],
        actions: cardKeyAdministration,
        // In a key policy, "*" is this key.
        resources: ['*'],
      }),
    ],
  });
}

/** Names `role` in the card key's policy for exactly `uses` (from its topology access). */
export function allowCardKeyUses(key: kms.Key, role: iam.IRole, statementPrefix: string, uses: readonly CardKeyUse[]): void {
  for (const use of uses) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `${statementPrefix}${use.sid}`,
        principals: [role],
        actions: [...use.actions],
        resources: ['*'],
        conditions: use.conditions,
      }),
    );
  }
}
