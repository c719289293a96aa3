output "function_arn" {
  value = module.netutil_detector.function_arn
}

output "alert_topic_arn" {
  value = module.netutil_detector.alert_topic_arn
}

output "pager_topic_arn" {
  value = module.netutil_detector.pager_topic_arn
}

output "email_topic_arn" {
  value = module.netutil_detector.email_topic_arn
}

output "kms_key_arn" {
  value = module.netutil_detector.kms_key_arn
}

output "dlq_url" {
  value = module.netutil_detector.dlq_url
}

output "subscribed_log_groups" {
  value = module.netutil_detector.subscribed_log_groups
}

output "lambda_permission_source_arns" {
  value = module.netutil_detector.lambda_permission_source_arns
}

output "kinesis_stream_arn" {
  value = module.netutil_detector.kinesis_stream_arn
}

output "ledger_table_name" {
  value = module.netutil_detector.ledger_table_name
}

output "pagerduty_rule_arns" {
  value = module.netutil_detector.pagerduty_rule_arns
}
