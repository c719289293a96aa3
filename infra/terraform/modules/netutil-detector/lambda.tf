locals {
  # Every variable the handler reads (src/config.ts ENV); AWS_REGION is set by Lambda itself.
  # PAGER_TOPIC_ARN is left out, not empty, when there is no pager topic.
  environment_variables = merge(
    {
      SNS_TOPIC_ARN                = local.alert_topic_arn
      MIN_SEVERITY                 = var.min_severity
      PAGER_MIN_SEVERITY           = var.pager_min_severity
      ALLOWLIST                    = jsonencode(var.allowlist)
      DEDUP_TTL_SECONDS            = tostring(var.dedup_ttl_seconds)
      MAX_DECODED_BYTES            = tostring(var.max_decoded_bytes)
      POWERTOOLS_SERVICE_NAME      = "netutil-detector"
      NODE_OPTIONS                 = "--max-semi-space-size=2"
      POWERTOOLS_METRICS_NAMESPACE = "NetutilDetector"
      LOG_LEVEL                    = var.log_level
      DEDUP_WINDOW_SECONDS         = tostring(var.dedup_window_seconds)
      PAGER_MAX_PER_WINDOW         = tostring(var.pager_max_per_window)
      LEDGER_TABLE                 = var.ledger_enabled ? aws_dynamodb_table.ledger[0].name : ""
      CHANNEL_FAMILIES             = var.channel_families
      TRUSTED_SOURCES              = var.trusted_sources
      # Sinks beyond SNS (sinks.tf); "" is off.
      EVENT_BUS_NAME            = var.event_bus_name == null ? "" : var.event_bus_name
      EVENTBRIDGE_MIN_SEVERITY  = var.eventbridge_min_severity
      SECURITY_HUB              = tostring(var.security_hub)
      SECURITY_HUB_MIN_SEVERITY = var.security_hub_min_severity
      CHAT_TOPIC_ARN            = var.chat_topic_arn == null ? "" : var.chat_topic_arn
      CHAT_MIN_SEVERITY         = var.chat_min_severity
      # Email topic: one digest per minute above EMAIL_DIGEST_PER_MINUTE signals; "" is no email topic.
      EMAIL_TOPIC_ARN         = local.has_email_topic ? local.email_topic_arn : ""
      EMAIL_DIGEST_PER_MINUTE = tostring(var.email_digest_per_minute)
    },
    local.has_pager ? { PAGER_TOPIC_ARN = local.pager_topic_arn } : {},
  )
}

resource "aws_lambda_function" "this" {
  function_name = var.name
  description   = "Detects network utilities executed in containers (MITRE TA0011/T1105) from CloudWatch Logs"
  role          = aws_iam_role.function.arn
  # A local file (Node only on the machine that built it) or the release artifact in S3 (no Node at all).
  filename          = var.lambda_zip
  s3_bucket         = var.lambda_s3_bucket
  s3_key            = var.lambda_s3_key
  s3_object_version = var.lambda_s3_object_version
  source_code_hash  = var.lambda_zip != null ? filebase64sha256(var.lambda_zip) : var.lambda_source_code_hash
  # handler.js (ESM, next to a package.json of type module) exporting `handler`.
  handler       = "handler.handler"
  runtime       = var.runtime
  architectures = ["arm64"]
  memory_size   = var.memory_size
  timeout       = var.timeout

  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency

  environment {
    variables = local.environment_variables
  }

  dynamic "vpc_config" {
    for_each = local.has_vpc ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  tags = local.tags

  # The log group must exist first, or Lambda creates one without retention that Terraform does not own.
  # In a VPC, Lambda checks the role may create network interfaces when the function is created.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function, aws_iam_role_policy.vpc]
}

resource "aws_cloudwatch_log_group" "function" {
  name              = local.function_group
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name}-dlq"
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 3600
  tags                              = local.tags
}

# Asynchronous invocations (direct subscription filters): two retries, then the DLQ keeps the event.
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = var.async_max_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq.arn
    }
  }
}

locals {
  # One statement per distinct prefix ("/ecs/*", "/aws/eks/*") instead of one per group: the function
  # policy is limited to 20 KB, which one-statement-per-group exhausts at about 60 groups.
  named_groups_watched = [for g in local.named_groups : g if g != local.function_group]
  candidate_patterns = distinct(concat(
    [for p in var.ecs_log_group_prefixes : "${p}*"],
    [for g in local.named_groups_watched : try("${regex("^(/aws/[^/]+/|/[^/]+/)", g)[0]}*", "${g}:*")],
  ))
  # "/ecs/batch/*" adds nothing next to "/ecs/*".
  permission_patterns = local.use_kinesis ? [] : (local.account_wide ? ["*"] : [
    for p in local.candidate_patterns : p
    if !anytrue([for q in local.candidate_patterns : q != p && endswith(q, "*") && startswith(trimsuffix(p, "*"), trimsuffix(q, "*"))])
  ])
  permission_source_arns = {
    for p in local.permission_patterns :
    p => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${p}"
  }
}

resource "aws_lambda_permission" "logs" {
  for_each       = local.permission_source_arns
  statement_id   = "cwlogs-${substr(sha256(each.key), 0, 16)}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "logs.amazonaws.com"
  source_arn     = each.value
  source_account = local.account_id
}
