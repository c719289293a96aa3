data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name                 = var.name
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  permissions_boundary = var.permissions_boundary
  tags                 = local.tags
}

# Least privilege: its own log group, its topics, its DLQ, the key of both, and (Kinesis path) its stream.
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  statement {
    sid       = "PublishSignals"
    actions   = ["sns:Publish"]
    resources = local.publish_topic_arns
  }

  statement {
    sid       = "SendFailuresToDlq"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "UseKeyOnlyThroughSnsAndSqs"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [local.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com", "sqs.${local.region}.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = local.use_kinesis ? [1] : []
    content {
      sid = "ReadOwnStream"
      # AWSLambdaKinesisExecutionRole's stream actions, scoped to the one stream (ListStreams is not needed).
      actions = [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
        "kinesis:SubscribeToShard",
      ]
      resources = [aws_kinesis_stream.this[0].arn]
    }
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "netutil-detector"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

# In a VPC: the network-interface actions of AWSLambdaVPCAccessExecutionRole, without its logs:* on
# every group (the function writes only its own, above). EC2 does not scope these to resources.
resource "aws_iam_role_policy" "vpc" {
  count = local.has_vpc ? 1 : 0
  name  = "netutil-detector-vpc"
  role  = aws_iam_role.function.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "ManageVpcNetworkInterfaces"
      Effect = "Allow"
      Action = [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ]
      Resource = "*"
    }]
  })
}
