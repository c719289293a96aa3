output "function_arn" {
  description = "ARN of the detector function."
  value       = aws_lambda_function.this.arn
}

output "function_name" {
  description = "Name of the detector function."
  value       = aws_lambda_function.this.function_name
}

output "function_role_name" {
  description = "Name of the function's role (to grant it more, e.g. the key of a topic you bring)."
  value       = aws_iam_role.function.name
}

output "function_role_arn" {
  description = "ARN of the function's role."
  value       = aws_iam_role.function.arn
}

output "alert_topic_arn" {
  description = "Alert topic (every signal at or above min_severity; alarms too)."
  value       = local.alert_topic_arn
}

output "pager_topic_arn" {
  description = "Pager topic (signals at or above pager_min_severity), or null."
  value       = local.pager_topic_arn
}

output "email_topic_arn" {
  description = "Email topic (EMAIL_TOPIC_ARN: digests above email_digest_per_minute), or null."
  value       = local.email_topic_arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue (failed invocations, failed Kinesis batches)."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "kms_key_arn" {
  description = "Key encrypting the topics, the queue and the ledger (created, or kms_key_arn)."
  value       = local.kms_key_arn
}

output "log_group_name" {
  description = "The function's own log group."
  value       = aws_cloudwatch_log_group.function.name
}

output "subscribed_log_groups" {
  description = "Log groups with a subscription filter to the detector (empty with the account policy)."
  value       = local.subscribed_log_groups
}

output "lambda_permission_source_arns" {
  description = "Source ARN patterns CloudWatch Logs may invoke the function for (one per prefix)."
  value       = values(local.permission_source_arns)
}

output "kinesis_stream_arn" {
  description = "The stream log groups write to when delivery = \"kinesis\", else null."
  value       = one(aws_kinesis_stream.this[*].arn)
}

# Signal ledger (ledger.tf)

output "ledger_table_name" {
  description = "The signal ledger's DynamoDB table (LEDGER_TABLE), or null when ledger_enabled is false."
  value       = one(aws_dynamodb_table.ledger[*].name)
}

output "ledger_table_arn" {
  description = "ARN of the signal ledger's table, or null."
  value       = one(aws_dynamodb_table.ledger[*].arn)
}

# --- Sinks beyond SNS ---

output "pagerduty_rule_arns" {
  description = "EventBridge rules that page PagerDuty, by severity (empty when PagerDuty is off)."
  value       = { for level, rule in aws_cloudwatch_event_rule.pagerduty : level => rule.arn }
}
