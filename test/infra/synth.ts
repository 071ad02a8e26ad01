/**
 * Synthesizes the gateway stack the way `cdk synth` does (the feature flags of cdk.json included), but
 * without bundling the functions: assertion tests read the template, not the code, and synthesis is
 * about ten times faster. test/infra/bundle-for-real.ts bundles one function for the tests that need its code.
 */
import { readFileSync } from 'node:fs';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { applyComplianceChecks } from '../../lib/nag.ts';
import { GatewayStack, type StageName } from '../../lib/stack.ts';

interface CdkJson {
  readonly context: Record<string, unknown>;
}

export const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as CdkJson;

/** A CloudFormation resource as it appears in the synthesized template. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string[];
}

export interface Synthesized {
  readonly app: App;
  readonly stack: GatewayStack;
  readonly template: Template;
  readonly resources: Readonly<Record<string, CfnResourceJson>>;
}

export function synthesize(stage: StageName, options: { complianceChecks?: boolean } = {}): Synthesized {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new GatewayStack(app, `PaymentGateway-${stage}`, { stage });
  if (options.complianceChecks === true) applyComplianceChecks(app);
  app.synth();
  const template = Template.fromStack(stack);
  const { Resources } = template.toJSON() as { Resources: Record<string, CfnResourceJson> };
  return { app, stack, template, resources: Resources };
}

/** The template's logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (resource === undefined) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource as CfnElement);
}

export function ofType(
  resources: Readonly<Record<string, CfnResourceJson>>,
  type: string,
): [logicalId: string, resource: CfnResourceJson][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` as the template writes a reference to a resource's ARN. */
export const arnOf = (logicalId: string): unknown => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** True when the JSON of `value` references the resource with `logicalId` (Ref, GetAtt, or inside a Join). */
export function references(value: unknown, logicalId: string): boolean {
  return JSON.stringify(value).includes(`"${logicalId}"`);
}
