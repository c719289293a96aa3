locals {
  function_dimensions = { FunctionName = aws_lambda_function.this.function_name }

  # Every alarm fires on one breaching period, ignores missing data and notifies the alert topic.
  alarms = merge(
    {
      errors = {
        description = "netutil-detector failed invocations: events may be waiting in the DLQ ${aws_sqs_queue.dlq.name}."
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = local.function_dimensions
        statistic   = "Sum"
        comparison  = "GreaterThanOrEqualToThreshold"
        threshold   = 1
      }
      throttles = {
        description = "netutil-detector throttled: detection is delayed (raise reserved_concurrency or switch to delivery = \"kinesis\")."
        namespace   = "AWS/Lambda"
        metric      = "Throttles"
        dimensions  = local.function_dimensions
        statistic   = "Sum"
        comparison  = "GreaterThanOrEqualToThreshold"
        threshold   = 1
      }
      dlq-not-empty = {
        description = "Log batches the detector could not process are in ${aws_sqs_queue.dlq.name}: inspect and replay them."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = aws_sqs_queue.dlq.name }
        statistic   = "Maximum"
        comparison  = "GreaterThanThreshold"
        threshold   = 0
      }
    },
    # Kinesis path: the function falling behind the stream delays every alert.
    local.use_kinesis ? {
      iterator-age = {
        description = "netutil-detector is behind its Kinesis stream: alerts are delayed."
        namespace   = "AWS/Lambda"
        metric      = "IteratorAge"
        dimensions  = local.function_dimensions
        statistic   = "Maximum"
        comparison  = "GreaterThanThreshold"
        threshold   = var.kinesis.iterator_age_alarm_ms
      }
    } : {},
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alert_topic_arn]
  ok_actions          = [local.alert_topic_arn]
  tags                = local.tags
}
