// Serverless Framework v3 variable resolvers for serverless.yml: turn comma-separated params into
// lists, so `--param="logGroups=/ecs/a,/ecs/b"` subscribes any number of groups without editing YAML.
// CommonJS (.cjs) because serverless v3 loads variable files with require().
"use strict";

const list = (raw) =>
  String(raw ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

/** One cloudwatchLog event per configured log group (at most two filters may exist per group). */
async function events({ resolveVariable }) {
  const groups = list(await resolveVariable("param:logGroups"));
  const filter = (await resolveVariable("param:filterPattern")) ?? "";
  if (groups.length === 0) throw new Error('param "logGroups" is empty: name at least one log group');
  const own = `/aws/lambda/${await resolveVariable("self:service")}-${await resolveVariable("sls:stage")}`;
  if (groups.includes(own)) throw new Error(`param "logGroups" contains the function's own log group ${own}`);
  return groups.map((logGroup) => ({ cloudwatchLog: { logGroup, filter } }));
}

const logicalId = (prefix, value, index) => `${prefix}${index}${value.replace(/[^A-Za-z0-9]/g, "").slice(0, 40)}`;

/** Email subscriptions to the alert topic and HTTPS subscriptions to the pager topic. */
async function subscriptions({ resolveVariable }) {
  const resources = {};
  const emails = list(await resolveVariable("param:alertEmails"));
  for (const [index, email] of emails.entries()) {
    resources[logicalId("AlertEmail", email, index)] = {
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: { Ref: "AlertTopic" }, Protocol: "email", Endpoint: email },
    };
  }
  // Pager URLs often embed an integration key: keep them out of logical ids.
  const pagers = list(await resolveVariable("param:pagerEndpoints"));
  for (const [index, url] of pagers.entries()) {
    if (!url.startsWith("https://")) throw new Error(`pager endpoint #${index + 1} must start with https://`);
    resources[`PagerEndpoint${index}`] = {
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: { Ref: "PagerTopic" }, Protocol: "https", Endpoint: url },
    };
  }
  return resources;
}

/**
 * IAM for the sinks beyond SNS, each only when its param is set: one policy on the function's role
 * (events:PutEvents on the bus, securityhub:BatchImportFindings on the account's default product,
 * sns:Publish on the chat topic). No resource at all when none is set.
 */
async function sinkPolicies({ resolveVariable }) {
  const bus = String((await resolveVariable("param:eventBusName")) ?? "").trim();
  const hub = String((await resolveVariable("param:securityHub")) ?? "").trim() === "true";
  const chat = String((await resolveVariable("param:chatTopicArn")) ?? "").trim();
  const statements = [];
  if (bus) {
    statements.push({
      Sid: "PutSignalEvents",
      Effect: "Allow",
      Action: "events:PutEvents",
      Resource: bus.startsWith("arn:")
        ? bus
        : { "Fn::Sub": `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/${bus}` },
    });
  }
  if (hub) {
    statements.push({
      Sid: "ImportFindings",
      Effect: "Allow",
      Action: "securityhub:BatchImportFindings",
      Resource: {
        "Fn::Sub": "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default",
      },
    });
  }
  if (chat) {
    if (!chat.startsWith("arn:")) throw new Error('param "chatTopicArn" must be an SNS topic ARN');
    statements.push({ Sid: "PublishChatCards", Effect: "Allow", Action: "sns:Publish", Resource: chat });
  }
  if (statements.length === 0) return {};
  return {
    DetectorSinksPolicy: {
      Type: "AWS::IAM::Policy",
      Properties: {
        PolicyName: "netutil-detector-sinks",
        Roles: [{ Ref: "IamRoleLambdaExecution" }],
        PolicyDocument: { Version: "2012-10-17", Statement: statements },
      },
    },
  };
}

/**
 * The email topic (EMAIL_TOPIC_ARN), which gets one digest a minute above EMAIL_DIGEST_PER_MINUTE
 * signals: an existing one (param emailTopicArn), or one created when emailTopicSubscribers names
 * anyone, encrypted and TLS-only like the other topics, with their subscriptions. Either way the
 * function may publish to it. No resource at all when neither is set.
 */
async function emailTopicParams(resolveVariable) {
  const existing = String((await resolveVariable("param:emailTopicArn")) ?? "").trim();
  const subscribers = list(await resolveVariable("param:emailTopicSubscribers"));
  if (existing && !existing.startsWith("arn:")) throw new Error('param "emailTopicArn" must be an SNS topic ARN');
  return { existing, subscribers, create: !existing && subscribers.length > 0 };
}

/** EMAIL_TOPIC_ARN: the existing topic, the created one, or "" (no email topic). */
async function emailTopicArn({ resolveVariable }) {
  const { existing, create } = await emailTopicParams(resolveVariable);
  return create ? { Ref: "EmailTopic" } : existing;
}

async function emailTopic({ resolveVariable }) {
  const { existing, subscribers, create } = await emailTopicParams(resolveVariable);
  if (!existing && !create) return {};
  const topic = create ? { Ref: "EmailTopic" } : existing;
  const resources = {
    DetectorEmailPolicy: {
      Type: "AWS::IAM::Policy",
      Properties: {
        PolicyName: "netutil-detector-email",
        Roles: [{ Ref: "IamRoleLambdaExecution" }],
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [{ Sid: "PublishEmailDigests", Effect: "Allow", Action: "sns:Publish", Resource: topic }],
        },
      },
    },
  };
  if (!create) return resources;
  const service = await resolveVariable("self:service");
  const stage = await resolveVariable("sls:stage");
  resources.EmailTopic = {
    Type: "AWS::SNS::Topic",
    Properties: {
      TopicName: `${service}-${stage}-email`,
      DisplayName: "netutil-detector email",
      KmsMasterKeyId: { "Fn::GetAtt": ["NotificationKey", "Arn"] },
    },
  };
  resources.EmailTopicPolicy = {
    Type: "AWS::SNS::TopicPolicy",
    Properties: {
      Topics: [{ Ref: "EmailTopic" }],
      PolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyPublishWithoutTls",
            Effect: "Deny",
            Principal: "*",
            Action: "sns:Publish",
            Resource: { Ref: "EmailTopic" },
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      },
    },
  };
  for (const [index, email] of subscribers.entries()) {
    resources[logicalId("EmailTopicSubscriber", email, index)] = {
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: { Ref: "EmailTopic" }, Protocol: "email", Endpoint: email },
    };
  }
  return resources;
}

module.exports = { events, subscriptions, sinkPolicies, emailTopic, emailTopicArn };
