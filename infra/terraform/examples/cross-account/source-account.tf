# In the member account: one subscription filter per watched group, to the detector account's
# destination (no role: the destination's own role writes to the stream), or one account-level
# subscription policy covering every group of the account.
locals {
  source_filters = var.source_account_policy ? [] : var.source_log_group_names
}

resource "aws_cloudwatch_log_subscription_filter" "source" {
  provider        = aws.source
  for_each        = toset(local.source_filters)
  name            = var.name
  log_group_name  = each.value
  filter_pattern  = var.filter_pattern
  destination_arn = aws_cloudwatch_log_destination.this.arn

  depends_on = [aws_cloudwatch_log_destination_policy.this]
}

# Every log group of the member account and region, existing and future, except the excluded ones.
resource "aws_cloudwatch_log_account_policy" "source" {
  provider           = aws.source
  count              = var.source_account_policy ? 1 : 0
  policy_name        = "${var.name}-subscription"
  policy_type        = "SUBSCRIPTION_FILTER_POLICY"
  scope              = "ALL"
  selection_criteria = "LogGroupName NOT IN ${jsonencode(sort(var.source_excluded_log_groups))}"
  policy_document = jsonencode({
    DestinationArn = aws_cloudwatch_log_destination.this.arn
    FilterPattern  = var.filter_pattern
  })

  depends_on = [aws_cloudwatch_log_destination_policy.this]
}
