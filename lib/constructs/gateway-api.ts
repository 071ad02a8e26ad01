import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { problemType } from '../../functions/http/problem.ts';
import { gatewayProblems } from '../gateway-problems.ts';
import { acknowledge } from '../nag.ts';
import { routes } from '../routes.ts';
import type { FunctionName } from '../topology.ts';
import type { GatewayFunction } from './gateway-function.ts';

/**
 * How long API Gateway reuses an authorizer answer for the same `Authorization` header: repeated calls
 * with one key cost no authorizer invocation, and a revoked key keeps working for up to this long. The
 * cached policy is reused for every route, so the authorizer must allow the whole API for a valid key
 * (functions/merchants/authorizer.ts does) and the handlers check which principal may call which route.
 */
export const authorizerCacheTtl = Duration.seconds(60);

/**
 * TLS 1.3 and TLS 1.2 only: TLS 1.0 and 1.1 are refused at the handshake. One of API Gateway's "enhanced"
 * security policies for regional REST APIs; without one, the endpoint uses the legacy TLS_1_0 policy.
 */
export const apiSecurityPolicy = 'SecurityPolicy_TLS13_1_2_2021_06';

export interface ApiThrottle {
  /** Steady-state requests per second across the stage. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface GatewayApiProps {
  /** The API's name, also the `ApiName` dimension of its metrics. */
  readonly name: string;
  readonly stageName: string;
  readonly functions: Readonly<Record<FunctionName, GatewayFunction>>;
  readonly authorizer: GatewayFunction;
  readonly throttle: ApiThrottle;
  /**
   * Each merchant's own token bucket: the usage plan's per-key throttle, applied to the API Gateway API key
   * the authorizer names for the merchant (`usageIdentifierKey`). Over it, the THROTTLED response (429).
   */
  readonly merchantThrottle: ApiThrottle;
  /** Requests one client IP may make in five minutes before the web ACL blocks it. */
  readonly requestsPerIpPer5Minutes: number;
  /**
   * Requests one API key (one `Authorization` header) may make in a minute before the web ACL answers 429:
   * a coarse outer guard above `merchantThrottle`, which is the per-merchant limit clients meet first.
   * (Locally, the token bucket per key, lib/local/rate-limit.ts, stands in for both.)
   */
  readonly requestsPerKeyPerMinute: number;
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The public HTTPS API: one resource and method per topology route (no `{proxy+}`: a route that is
 * not in the topology does not exist), a REQUEST Lambda authorizer on 'admin' and 'merchant' routes,
 * API Gateway's own errors as RFC 9457 problem details, access and execution logs, stage throttling,
 * a usage plan that throttles each merchant on its own, and a WAF web ACL in front of the stage. No CORS: the API takes secret keys and is for servers, never
 * browsers, so no `Access-Control-Allow-Origin` is ever sent.
 *
 * TLS: the execute-api endpoint answers HTTPS only, and only TLS 1.2 or 1.3 (`apiSecurityPolicy`; the default
 * endpoint policy would accept TLS 1.0, which PCI DSS 4.2.1 forbids). A custom domain, when one is added, must
 * use the same policy.
 */
export class GatewayApi extends Construct {
  readonly api: apigw.RestApi;
  readonly webAcl: wafv2.CfnWebACL;
  readonly accessLogs: logs.LogGroup;
  /** One API key per merchant joins it (functions/adapters/usage-plan.ts), which finds it by `usagePlanName`. */
  readonly usagePlan: apigw.UsagePlan;
  readonly usagePlanName: string;

  constructor(scope: Construct, id: string, props: GatewayApiProps) {
    super(scope, id);
    const logGroupDefaults = {
      encryptionKey: props.logKey,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    };

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', logGroupDefaults);

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: props.name,
      description: 'Card-payment gateway',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      // The usage plan's key comes from the authorizer's `usageIdentifierKey`, never from a client header:
      // merchants authenticate with their `sk_` keys only and never see their API Gateway key.
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
      // The API Gateway logging role is an account-wide setting; other APIs in the account may rely on it.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Data tracing logs whole request bodies, card numbers included: it must stay off.
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });
    // The L2 has no prop for it yet; CloudFormation's RestApi does. An enhanced policy requires an endpoint
    // access mode: STRICT also refuses requests whose TLS server name is not this API's own host.
    const cfnApi = this.api.node.defaultChild as apigw.CfnRestApi;
    cfnApi.securityPolicy = apiSecurityPolicy;
    cfnApi.endpointAccessMode = 'STRICT';
    const cloudWatchRole = this.api.node.findChild('CloudWatchRole').node.defaultChild as iam.CfnRole;
    acknowledge(
      cloudWatchRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway assumes to write execution logs. AWS maintains this policy for ' +
        'exactly that purpose; the role is assumable by apigateway.amazonaws.com only.',
    );

    // API Gateway would otherwise create this group itself, unencrypted and kept forever.
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      ...logGroupDefaults,
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${props.stageName}`,
    });
    this.api.deploymentStage.node.addDependency(executionLogs);

    const stage = this.api.deploymentStage.node.defaultChild as apigw.CfnStage;
    acknowledge(
      stage,
      'PCI.DSS.321-APIGWCacheEnabledAndEncrypted',
      'Response caching is off: every response is specific to one merchant and most are writes, so there is ' +
        'no cached data at rest to encrypt.',
    );
    acknowledge(
      stage,
      'PCI.DSS.321-APIGWSSLEnabled',
      'A client certificate authenticates API Gateway to HTTP backends. Every integration here is a Lambda ' +
        'proxy integration, invoked through the Lambda API with SigV4 under a resource policy scoped to this API.',
    );

    this.addRoutes(props);
    this.addProblemResponses();
    this.usagePlanName = `${props.name}-merchants`;
    this.usagePlan = this.api.addUsagePlan('MerchantUsagePlan', {
      name: this.usagePlanName,
      description: 'One API key per merchant, named by the merchant id: each merchant throttled on its own',
      // Applies to each API key in the plan, i.e. to each merchant; no quota, only a rate.
      throttle: props.merchantThrottle,
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    this.webAcl = this.addWebAcl(props);
  }

  private addRoutes(props: GatewayApiProps): void {
    const authorizer = new apigw.RequestAuthorizer(this, 'Authorizer', {
      handler: props.authorizer.function,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: authorizerCacheTtl,
    });
    // Body validation is switched on but no method carries a model, so bodies reach the handlers as
    // sent: they check them against the zod schemas that also generate openapi.yaml, and a schema is
    // defined once. The gateway checks what needs no copy of a schema: the required path parameters.
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const integrations = new Map<FunctionName, apigw.LambdaIntegration>();
    const integrationOf = (name: FunctionName): apigw.LambdaIntegration => {
      let integration = integrations.get(name);
      if (integration === undefined) {
        // No test-invoke permission: the console's test button is not a way to reach payment handlers.
        integration = new apigw.LambdaIntegration(props.functions[name].function, { allowTestInvoke: false });
        integrations.set(name, integration);
      }
      return integration;
    };

    for (const route of routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => `method.request.path.${match[1]}`);
      const method = resource.addMethod(route.method, integrationOf(route.function), {
        ...(route.auth === 'none'
          ? { authorizationType: apigw.AuthorizationType.NONE }
          : { authorizationType: apigw.AuthorizationType.CUSTOM, authorizer }),
        requestValidator: validator,
        requestParameters: Object.fromEntries(pathParameters.map((parameter) => [parameter, true])),
        // Puts the merchant's requests through its usage plan key. Admin, session and public routes have
        // no merchant key to count against, so they require none (the stage throttle and the WAF cover them).
        apiKeyRequired: route.auth === 'merchant',
      });
      const cfnMethod = method.node.defaultChild as apigw.CfnMethod;
      acknowledge(
        cfnMethod,
        'AwsSolutions-COG4',
        'Merchants and operators authenticate with secret API keys (Authorization: Bearer sk_...), and hosted ' +
          'pages with short-lived session tokens (cs_/ps_/cons_...), both checked by the Lambda REQUEST authorizer ' +
          'against SHA-256 hashes in the table; there are no Cognito users.',
      );
      if (route.auth === 'none') {
        acknowledge(
          cfnMethod,
          'AwsSolutions-APIG4',
          route.function === 'pages'
            ? `${route.method} ${route.path} serves a hosted page's static file: it takes no input and holds no ` +
                'merchant data; the page reads its data through session-token routes, which the authorizer guards.'
            : `${route.method} ${route.path} is the public liveness probe: it takes no input and returns no ` +
                'merchant data, so load balancers and uptime checks can call it without a key.',
        );
      }
    }
  }

  private addProblemResponses(): void {
    for (const response of problemResponses) {
      this.api.addGatewayResponse(response.type.responseType, {
        type: response.type,
        ...(response.status === undefined ? {} : { statusCode: String(response.status) }),
        responseHeaders: {
          'Content-Type': "'application/problem+json'",
          'Cache-Control': "'no-store'",
          ...(response.retryAfterSeconds === undefined ? {} : { 'Retry-After': `'${response.retryAfterSeconds}'` }),
        },
        templates: { 'application/json': problemTemplate(response) },
      });
    }
  }

  private addWebAcl(props: GatewayApiProps): wafv2.CfnWebACL {
    const metricName = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: name,
    });
    const managedRuleGroup = (
      name: string,
      priority: number,
      countOnly: readonly string[] = [],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: countOnly.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
        },
      },
      visibilityConfig: metricName(name),
    });

    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: metricName('PaymentGatewayWebAcl'),
      customResponseBodies: {
        rateLimitedKey: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: problemType('rate_limited'),
            title: 'Too Many Requests',
            status: 429,
            detail: 'Too many requests for this API key; slow down and retry after the given delay.',
            code: 'rate_limited',
          }),
        },
        rateLimited: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: problemType('rate_limited'),
            title: 'Too Many Requests',
            status: 429,
            detail: 'Too many requests from this address; slow down and retry after the given delay.',
            code: 'rate_limited',
          }),
        },
      },
      rules: [
        {
          name: 'RequestsPerIp',
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'rateLimited',
                responseHeaders: [{ name: 'Retry-After', value: '60' }],
              },
            },
          },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
              limit: props.requestsPerIpPer5Minutes,
            },
          },
          visibilityConfig: metricName('RequestsPerIp'),
        },
        {
          // Per merchant key, coarse: WAF keys the count on the Authorization header (redacted from its logs
          // below). The usage plan throttles each merchant first; this guard, set above it, blocks a key that
          // keeps hammering past its 429s (and any bearer token, before the authorizer is even invoked).
          name: 'RequestsPerKey',
          priority: 3,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'rateLimitedKey',
                responseHeaders: [{ name: 'Retry-After', value: '60' }],
              },
            },
          },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'CUSTOM_KEYS',
              customKeys: [{ header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } }],
              evaluationWindowSec: 60,
              limit: props.requestsPerKeyPerMinute,
            },
          },
          visibilityConfig: metricName('RequestsPerKey'),
        },
        // Counted, not blocked: merchants call from servers, whose HTTP clients do not always send a
        // User-Agent; and the handlers answer a body over their own 64 KiB limit with the contract's 413,
        // where this group would refuse anything over 8 KB with a bare 403.
        managedRuleGroup('AWSManagedRulesCommonRuleSet', 1, ['NoUserAgent_HEADER', 'SizeRestrictions_BODY']),
        managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 2),
      ],
    });

    // WAF requires the `aws-waf-logs-` prefix for a log group destination.
    const wafLogs = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-${this.api.restApiId}`,
      encryptionKey: props.logKey,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: webAcl.attrArn,
      // WAF wants the log group ARN without the `:*` suffix that `logGroupArn` carries.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: wafLogs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // The bearer key is a credential: it must never reach a log.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });

    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    // The stage ARN is built from names, not a reference, so CloudFormation would not wait for the stage.
    association.node.addDependency(this.api.deploymentStage);
    return webAcl;
  }
}

/**
 * Access log line: who called what, how it ended, and how long each leg took. Never a header or a body
 * (the bearer key and card data live there). Every value is quoted because API Gateway writes `-` for
 * a missing one, which would not be valid JSON unquoted.
 */
const accessLogFields = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTimeEpoch: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  integrationError: '$context.integration.error',
  principal: '$context.authorizer.principal',
  merchantId: '$context.authorizer.merchantId',
  keyId: '$context.authorizer.keyId',
  authorizerStatus: '$context.authorizer.status',
  authorizerLatency: '$context.authorizer.latency',
  authorizerError: '$context.authorizer.error',
  errorType: '$context.error.responseType',
  wafResponseCode: '$context.wafResponseCode',
};

interface ProblemResponse {
  readonly type: apigw.ResponseType;
  /** Undefined keeps the status API Gateway chose (the DEFAULT_* catch-alls cover several). */
  readonly status?: number;
  readonly title: string;
  readonly code: string;
  /** Undefined uses API Gateway's own message for the error. */
  readonly detail?: string;
  readonly retryAfterSeconds?: number;
}

/**
 * Every error API Gateway itself can produce for this API, in the contract's problem shape. Codes match
 * the ones the handlers use for the same situation (functions/core/errors.ts).
 */
const problemResponses: readonly ProblemResponse[] = [
  { type: apigw.ResponseType.UNAUTHORIZED, ...gatewayProblems.unauthorized },
  { type: apigw.ResponseType.ACCESS_DENIED, ...gatewayProblems.accessDenied },
  {
    // A merchant route called by a principal with no usage plan key (the admin, a session, or a merchant
    // not yet enrolled): API Gateway's InvalidKeyParameter 403. The same answer as ACCESS_DENIED above and
    // as the handlers give a wrong principal.
    type: apigw.ResponseType.INVALID_API_KEY,
    ...gatewayProblems.accessDenied,
  },
  // API Gateway's answer to a method or path that has no route.
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, ...gatewayProblems.routeNotFound },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, status: 400, title: 'Bad Request', code: 'invalid_request' },
  { type: apigw.ResponseType.BAD_REQUEST_BODY, status: 400, title: 'Bad Request', code: 'invalid_request' },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, ...gatewayProblems.requestTooLarge },
  {
    type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
    status: 415,
    title: 'Unsupported Media Type',
    code: 'unsupported_media_type',
    detail: 'Send the body as application/json.',
  },
  {
    type: apigw.ResponseType.THROTTLED,
    status: 429,
    title: 'Too Many Requests',
    code: 'rate_limited',
    detail: 'Too many requests; slow down and retry after the given delay.',
    retryAfterSeconds: 1,
  },
  {
    type: apigw.ResponseType.WAF_FILTERED,
    status: 403,
    title: 'Forbidden',
    code: 'request_blocked',
    detail: 'The request was blocked by the web application firewall.',
  },
  ...[
    apigw.ResponseType.AUTHORIZER_FAILURE,
    apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    apigw.ResponseType.API_CONFIGURATION_ERROR,
  ].map((type) => ({ type, ...gatewayProblems.authorizerFailure })),
  {
    type: apigw.ResponseType.INTEGRATION_TIMEOUT,
    status: 504,
    title: 'Gateway Timeout',
    code: 'upstream_timeout',
    detail: 'The request did not complete in time; retry with the same Idempotency-Key.',
  },
  { type: apigw.ResponseType.DEFAULT_4XX, title: 'Client Error', code: 'invalid_request' },
  // Also what a handler that threw or returned a malformed result produces (502). INTEGRATION_FAILURE is
  // deliberately not customised: once customised, API Gateway answers it with one fixed status for
  // causes it otherwise tells apart (500 when Lambda refuses the invocation, 502 for a function error).
  { type: apigw.ResponseType.DEFAULT_5XX, title: 'Server Error', code: 'internal_error' },
];

/**
 * A gateway response body. Templates here are plain substitution, not VTL: `$context.requestId` is
 * replaced, and `$context.error.messageString` is API Gateway's message already quoted as a JSON string.
 */
function problemTemplate(response: ProblemResponse): string {
  const fields = [
    `"type":${JSON.stringify(problemType(response.code))}`,
    `"title":${JSON.stringify(response.title)}`,
    // The catch-alls keep several statuses and no template variable tells which, so they omit `status`
    // (optional in RFC 9457); the HTTP status line still carries it.
    ...(response.status === undefined ? [] : [`"status":${response.status}`]),
    `"detail":${response.detail === undefined ? '$context.error.messageString' : JSON.stringify(response.detail)}`,
    `"code":${JSON.stringify(response.code)}`,
    `"request_id":"$context.requestId"`,
  ];
  return `{${fields.join(',')}}`;
}
