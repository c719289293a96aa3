# High-volume path: log groups -> on-demand stream -> event source mapping -> function.
resource "aws_kinesis_stream" "this" {
  count            = local.use_kinesis ? 1 : 0
  name             = var.name
  retention_period = var.kinesis.retention_hours
  encryption_type  = "KMS"
  kms_key_id       = "alias/aws/kinesis"

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }

  tags = local.tags
}

data "aws_iam_policy_document" "logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com"]
    }
    # Only CloudWatch Logs acting for this account may use the role (confused deputy).
    condition {
      test     = "StringLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "logs_to_kinesis" {
  count                = local.use_kinesis ? 1 : 0
  name                 = "${var.name}-logs-to-kinesis"
  assume_role_policy   = data.aws_iam_policy_document.logs_assume.json
  permissions_boundary = var.permissions_boundary
  tags                 = local.tags
}

data "aws_iam_policy_document" "logs_to_kinesis" {
  count = local.use_kinesis ? 1 : 0
  statement {
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords"]
    resources = [aws_kinesis_stream.this[0].arn]
  }
}

resource "aws_iam_role_policy" "logs_to_kinesis" {
  count  = local.use_kinesis ? 1 : 0
  name   = "put-records"
  role   = aws_iam_role.logs_to_kinesis[0].id
  policy = data.aws_iam_policy_document.logs_to_kinesis[0].json
}

# The handler returns batchItemFailures; bisecting isolates a poison record, retries are bounded and
# what still fails is described in the DLQ (shard, sequence numbers) so it can be replayed.
resource "aws_lambda_event_source_mapping" "kinesis" {
  count                              = local.use_kinesis ? 1 : 0
  event_source_arn                   = aws_kinesis_stream.this[0].arn
  function_name                      = aws_lambda_function.this.arn
  starting_position                  = "LATEST"
  batch_size                         = var.kinesis.batch_size
  maximum_batching_window_in_seconds = var.kinesis.maximum_batching_window_in_seconds
  parallelization_factor             = var.kinesis.parallelization_factor
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.kinesis.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.kinesis.maximum_record_age_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  tags                               = local.tags

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.dlq.arn
    }
  }

  # The role must be able to read the stream before Lambda validates the mapping.
  depends_on = [aws_iam_role_policy.function]
}
