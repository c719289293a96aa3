# Many accounts, one detector: member accounts' log groups subscribe to a CloudWatch Logs destination
# in the detector account, which feeds the module's Kinesis stream (delivery = "kinesis"). The
# destination's policy admits the whole organization (aws:PrincipalOrgID) or listed accounts.
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 7.0.0"
    }
  }
}

# The detector (security tooling) account.
provider "aws" {
  region = var.region

  default_tags {
    tags = { project = "netutil-detector" }
  }
}

# One member account whose log groups are watched. Repeat this provider and source-account.tf per
# account, or apply source-account.tf from each account's own pipeline with the destination ARN.
provider "aws" {
  alias  = "source"
  region = var.region

  dynamic "assume_role" {
    for_each = var.source_account_role_arn == null ? [] : [var.source_account_role_arn]
    content {
      role_arn = assume_role.value
    }
  }

  default_tags {
    tags = { project = "netutil-detector" }
  }
}

data "aws_caller_identity" "detector" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.detector.account_id
  partition  = data.aws_partition.current.partition
  by_org     = var.organization_id != null
}

module "netutil_detector" {
  source = "../../modules/netutil-detector"

  name       = var.name
  lambda_zip = coalesce(var.lambda_zip, "${path.module}/../../../../dist/lambda.zip")
  runtime    = var.lambda_runtime
  # A destination delivers to Kinesis (or Firehose), not to a function.
  delivery = "kinesis"

  # The detector account's own groups, if any, subscribe directly as usual.
  extra_log_group_names = var.detector_log_group_names
  alert_emails          = var.alert_emails

  tags = { owner = "platform-security" }
}

# CloudWatch Logs assumes this role to put the member accounts' events into the stream. It may be
# assumed only for the member accounts (or the organization) and this one (confused deputy).
data "aws_iam_policy_document" "destination_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "aws:SourceArn"
      values = local.by_org ? ["arn:${local.partition}:logs:${var.region}:*:*"] : [
        for account in distinct(concat([local.account_id], var.source_account_ids)) :
        "arn:${local.partition}:logs:${var.region}:${account}:*"
      ]
    }
    dynamic "condition" {
      for_each = local.by_org ? [var.organization_id] : []
      content {
        test     = "StringEquals"
        variable = "aws:SourceOrgID"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "destination" {
  name                 = "${var.name}-destination-to-kinesis"
  assume_role_policy   = data.aws_iam_policy_document.destination_assume.json
  permissions_boundary = var.permissions_boundary
}

resource "aws_iam_role_policy" "destination" {
  name = "put-records"
  role = aws_iam_role.destination.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kinesis:PutRecord", "kinesis:PutRecords"]
      Resource = module.netutil_detector.kinesis_stream_arn
    }]
  })
}

resource "aws_cloudwatch_log_destination" "this" {
  name       = "${var.name}-destination"
  role_arn   = aws_iam_role.destination.arn
  target_arn = module.netutil_detector.kinesis_stream_arn

  depends_on = [aws_iam_role_policy.destination]
}

# Who may subscribe to the destination: every account of the organization, or the listed ones.
# logs:PutAccountPolicy lets a member account use one account-level subscription policy instead.
data "aws_iam_policy_document" "destination" {
  statement {
    sid       = local.by_org ? "OrganizationSubscribes" : "ListedAccountsSubscribe"
    actions   = ["logs:PutSubscriptionFilter", "logs:PutAccountPolicy"]
    resources = [aws_cloudwatch_log_destination.this.arn]
    principals {
      type        = "AWS"
      identifiers = local.by_org ? ["*"] : var.source_account_ids
    }
    dynamic "condition" {
      for_each = local.by_org ? [var.organization_id] : []
      content {
        test     = "StringEquals"
        variable = "aws:PrincipalOrgID"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_cloudwatch_log_destination_policy" "this" {
  destination_name = aws_cloudwatch_log_destination.this.name
  access_policy    = data.aws_iam_policy_document.destination.json
  force_update     = true
}
