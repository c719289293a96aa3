# The pager topic's policy: no one publishes to it over plain HTTP (the alert topic's policy in sns.tf
# carries the same statement). Same-account publishers keep their IAM permissions.
data "aws_iam_policy_document" "pager_topic" {
  count = local.pager_enabled ? 1 : 0

  statement {
    sid       = "DenyPublishWithoutTls"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.pager[0].arn]
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

resource "aws_sns_topic_policy" "pager" {
  count  = local.pager_enabled ? 1 : 0
  arn    = aws_sns_topic.pager[0].arn
  policy = data.aws_iam_policy_document.pager_topic[0].json
}
