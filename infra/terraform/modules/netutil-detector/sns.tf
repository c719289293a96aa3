# Standard topics (FIFO topics cannot deliver to email or HTTPS), encrypted with the module's key.
resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  display_name      = "netutil-detector"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

resource "aws_sns_topic" "pager" {
  count             = local.pager_enabled ? 1 : 0
  name              = "${var.name}-pager"
  display_name      = "netutil-detector pager"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

data "aws_iam_policy_document" "alerts_topic" {
  statement {
    sid       = "OwnerAccountManagesAndPublishes"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:DeleteTopic", "sns:AddPermission", "sns:RemovePermission"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsOfThisAccountPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
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
    resources = [aws_sns_topic.alerts.arn]
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
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts_topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alert_emails)
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

# Keyed by label so that removing one endpoint does not recreate the others.
resource "aws_sns_topic_subscription" "pager" {
  for_each               = nonsensitive(toset(keys(var.pager_https_endpoints)))
  topic_arn              = aws_sns_topic.pager[0].arn
  protocol               = "https"
  endpoint               = var.pager_https_endpoints[each.key]
  endpoint_auto_confirms = var.pager_endpoints_auto_confirm
}
