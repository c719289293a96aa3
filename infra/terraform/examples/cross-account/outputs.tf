output "destination_arn" {
  description = "Give this to the member accounts: their filters (or account policy) point at it."
  value       = aws_cloudwatch_log_destination.this.arn
}

output "kinesis_stream_arn" {
  value = module.netutil_detector.kinesis_stream_arn
}

output "function_arn" {
  value = module.netutil_detector.function_arn
}

output "alert_topic_arn" {
  value = module.netutil_detector.alert_topic_arn
}

output "destination_role_arn" {
  value = aws_iam_role.destination.arn
}

output "source_subscribed_log_groups" {
  value = sort(keys(aws_cloudwatch_log_subscription_filter.source))
}
