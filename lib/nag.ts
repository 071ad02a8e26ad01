import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * The compliance rule packs every synthesis runs. A finding nobody acknowledged fails `cdk synth`.
 * Acknowledgements are also written into the template's metadata (`cdk_nag.rules_to_suppress`), so an
 * auditor reading the deployed template sees each exception and its reason next to the resource.
 */
export function complianceChecks(app: App): [AwsSolutionsChecks, PCIDSS321Checks] {
  return [
    new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }),
    new PCIDSS321Checks(app, { writeSuppressionsToCloudFormation: true }),
  ];
}

export function applyComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(...complianceChecks(app));
}

/**
 * Accepts one finding of one rule on one resource, with the reason. Pass the CloudFormation resource
 * itself (an L2's `node.defaultChild`), not a parent, so the acknowledgement cannot cover anything else.
 */
export function acknowledge(resource: IConstruct, ruleId: string, reason: string): void {
  Validations.of(resource).acknowledge({ id: ruleId, reason });
}
