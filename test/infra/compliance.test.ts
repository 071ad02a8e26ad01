/**
 * cdk-nag's AWS Solutions and PCI DSS 3.2.1 packs find nothing that is not acknowledged, and every
 * acknowledgement is narrow: one rule (one finding, for multi-finding rules) on one CloudFormation
 * resource, with a reason. The CDK app itself (bin/app.ts) runs both packs and refuses to synthesize
 * otherwise, as `cdk synth` and `cdk deploy` do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, PCIDSS321Checks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import type { StageName } from '../../lib/stack.ts';
import { functionNames } from '../../lib/topology.ts';
import { cdkJson, synthesize, type Synthesized } from './synth.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Each stage synthesized once with both rule packs (which throws on any finding), shared by the tests that read it. */
const checked = new Map<StageName, Synthesized>();
const synthesizeChecked = (stage: StageName): Synthesized => {
  const synthesized = checked.get(stage) ?? synthesize(stage, { complianceChecks: true });
  checked.set(stage, synthesized);
  return synthesized;
};

describe.each<StageName>(['dev', 'prod'])('the %s stack', (stage) => {
  it('synthesizes with both rule packs and has no unacknowledged finding', () => {
    // With the packs registered, synthesis itself throws on any finding (ValidationFailed).
    const { app } = synthesizeChecked(stage);

    for (const pack of [new AwsSolutionsChecks(), new PCIDSS321Checks()]) {
      const findings = pack
        .validateScope(app)
        .violations.flatMap((violation) =>
          violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
        );
      expect(findings, pack.readPackName).toEqual([]);
    }
  });

  it('acknowledges findings only on single CloudFormation resources, each with a reason', () => {
    const { app } = synthesizeChecked(stage);
    const acknowledged = app.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
          .map(([rule, reason]) => ({ construct, rule, reason })),
      );

    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { construct, rule, reason } of acknowledged) {
      expect(CfnResource.isCfnResource(construct), `${rule} on ${construct.node.path}`).toBe(true);
      expect(reason.length, `${rule} on ${construct.node.path}`).toBeGreaterThanOrEqual(80);
      // A multi-finding rule (IAM4, IAM5) must name the one finding it accepts.
      if (/AwsSolutions-IAM[45]/.test(rule)) expect(rule, construct.node.path).toMatch(/\[.+\]$/);
    }
  });
});

describe('acknowledgements that make a claim about the function', () => {
  const lambdaInsideVpcReasons = (): Map<string, string> => {
    const { stack } = synthesizeChecked('prod');
    return new Map(
      functionNames.map((name) => {
        const acknowledged = Object.assign(
          {},
          ...(stack.functions[name].function.node.defaultChild?.node.metadata ?? [])
            .filter((metadata) => metadata.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
            .map((metadata) => metadata.data as Record<string, string>),
        ) as Record<string, string>;
        const rule = Object.keys(acknowledged).find((key) => key.endsWith('PCI.DSS.321-LambdaInsideVPC'));
        return [name, rule === undefined ? '' : String(acknowledged[rule])];
      }),
    );
  };

  it('say the webhook delivery worker reaches the internet, and only the functions that reach nothing but AWS say so', () => {
    const reasons = lambdaInsideVpcReasons();

    expect(reasons.get('webhookDelivery')).toContain('connects to the internet');
    expect(reasons.get('webhookDelivery')).not.toContain('only AWS service endpoints');
    // It resolves the names of the URLs merchants register: a DNS lookup, no connection.
    expect(reasons.get('webhooks')).toContain('DNS lookup');
    for (const name of functionNames.filter((candidate) => !['webhookDelivery', 'webhooks'].includes(candidate))) {
      expect(reasons.get(name), name).toContain('reaches only AWS service endpoints');
    }
  });
});

describe('the CDK app (bin/app.ts)', () => {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
  });

  /** Runs the app as the CDK CLI does: context from cdk.json plus `-c` flags, output to CDK_OUTDIR. */
  const runApp = (context: Record<string, unknown>): { status: number | null; stderr: string; outdir: string } => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'gateway-cdk-app-'));
    outdirs.push(outdir);
    const result = spawnSync(path.join(projectRoot, 'node_modules/.bin/tsx'), ['bin/app.ts'], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: {
        // No credentials and no profile: synthesis must not need an AWS account.
        ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'))),
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context }),
      },
    });
    return { status: result.status, stderr: result.stderr, outdir };
  };

  it('synthesizes the prod stack offline, without credentials, and every rule pack passes', () => {
    const { status, stderr, outdir } = runApp({ stage: 'prod' });

    expect(status, stderr).toBe(0);
    expect(existsSync(path.join(outdir, 'PaymentGateway-prod.template.json'))).toBe(true);
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  });

  it('refuses an unknown stage instead of deploying something half-configured', () => {
    const { status, stderr } = runApp({ stage: 'staging' });

    expect(status).not.toBe(0);
    expect(stderr).toContain('Unknown stage "staging"');
  });
});
