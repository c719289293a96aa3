# Standard topics (FIFO topics cannot deliver to email or HTTPS), encrypted with the module's key.
# Each is created only when no existing topic is given (alert_topic_arn, pager_topic_arn,
# email_topic_arn); an existing topic keeps its own policy and encryption.
resource "aws_sns_topic" "alerts" {
  count             = local.create_alert_topic ? 1 : 0
  name              = "${var.name}-alerts"
  display_name      = "netutil-detector"
  kms_master_key_id = local.kms_key_arn
  tags              = local.tags
}

resource "aws_sns_topic" "pager" {
  count             = local.create_pager_topic ? 1 : 0
  name              = "${var.name}-pager"
  display_name      = "netutil-detector pager"
  kms_master_key_id = local.kms_key_arn
  tags              = local.tags
}

data "aws_iam_policy_document" "alerts_topic" {
  count = local.create_alert_topic ? 1 : 0

  statement {
    sid       = "OwnerAccountManagesAndPublishes"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:DeleteTopic", "sns:AddPermission", "sns:RemovePermission"]
    resources = [aws_sns_topic.alerts[0].arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsOfThisAccountPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts[0].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
    }
  }

  statement {
    sid       = "DenyPublishWithoutTls"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts[0].arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  count  = local.create_alert_topic ? 1 : 0
  arn    = aws_sns_topic.alerts[0].arn
  policy = data.aws_iam_policy_document.alerts_topic[0].json
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alert_emails)
  topic_arn = local.alert_topic_arn
  protocol  = "email"
  endpoint  = each.value
}

# Keyed by label so that removing one endpoint does not recreate the others.
resource "aws_sns_topic_subscription" "pager" {
  for_each               = nonsensitive(toset(keys(var.pager_https_endpoints)))
  topic_arn              = local.pager_topic_arn
  protocol               = "https"
  endpoint               = var.pager_https_endpoints[each.key]
  endpoint_auto_confirms = var.pager_endpoints_auto_confirm
}

# The email topic: what people read. The function sends each signal while a minute stays at or below
# email_digest_per_minute, then one digest, so a burst does not trip SNS's email rate limit.
resource "aws_sns_topic" "email" {
  count             = local.create_email_topic ? 1 : 0
  name              = "${var.name}-email"
  display_name      = "netutil-detector email"
  kms_master_key_id = local.kms_key_arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "email_topic" {
  for_each  = toset(var.email_topic_subscribers)
  topic_arn = local.email_topic_arn
  protocol  = "email"
  endpoint  = each.value
}
