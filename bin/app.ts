import { App } from 'aws-cdk-lib';
import { applyComplianceChecks } from '../lib/nag.ts';
import { GatewayStack, parseStage } from '../lib/stack.ts';

// `cdk synth|deploy -c stage=dev|prod`. The stack is environment-agnostic unless the operator passes
// `-c account=... -c region=...`: synthesis never looks anything up, so it works offline without credentials.
const app = new App();
const stage = parseStage(app.node.tryGetContext('stage'));
const account: unknown = app.node.tryGetContext('account');
const region: unknown = app.node.tryGetContext('region');

new GatewayStack(app, `PaymentGateway-${stage}`, {
  stage,
  description: `Card-payment gateway (${stage})`,
  ...(typeof account === 'string' && typeof region === 'string' ? { env: { account, region } } : {}),
  tags: { project: 'payment-gateway', stage },
});

applyComplianceChecks(app);
