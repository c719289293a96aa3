# The pager and email topics' policies: no one publishes to them over plain HTTP (the alert topic's
# policy in sns.tf carries the same statement). Same-account publishers keep their IAM permissions.
# Only on topics the module creates: an existing topic's policy is its owner's.
data "aws_iam_policy_document" "pager_topic" {
  count = local.create_pager_topic ? 1 : 0

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
  count  = local.create_pager_topic ? 1 : 0
  arn    = aws_sns_topic.pager[0].arn
  policy = data.aws_iam_policy_document.pager_topic[0].json
}

data "aws_iam_policy_document" "email_topic" {
  count = local.create_email_topic ? 1 : 0

  statement {
    sid       = "DenyPublishWithoutTls"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.email[0].arn]
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

resource "aws_sns_topic_policy" "email" {
  count  = local.create_email_topic ? 1 : 0
  arn    = aws_sns_topic.email[0].arn
  policy = data.aws_iam_policy_document.email_topic[0].json
}
