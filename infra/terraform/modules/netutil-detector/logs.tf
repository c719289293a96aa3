locals {
  destination_arn = local.use_kinesis ? aws_kinesis_stream.this[0].arn : aws_lambda_function.this.arn
  eks_watched     = local.account_wide ? [] : local.eks_log_groups
}

# EKS writes /aws/eks/<cluster>/cluster only once control-plane logging is on: check before subscribing.
data "aws_cloudwatch_log_groups" "eks" {
  count                 = length(local.eks_watched) > 0 ? 1 : 0
  log_group_name_prefix = "/aws/eks/"
}

# At most two subscription filters may exist per log group; this module uses one.
resource "aws_cloudwatch_log_subscription_filter" "this" {
  for_each        = toset(local.subscribed_log_groups)
  name            = var.name
  log_group_name  = each.value
  filter_pattern  = var.filter_pattern
  destination_arn = local.destination_arn
  role_arn        = local.use_kinesis ? aws_iam_role.logs_to_kinesis[0].arn : null
  distribution    = local.use_kinesis ? "Random" : null

  lifecycle {
    precondition {
      condition     = !contains(local.eks_watched, each.value) || contains(try(data.aws_cloudwatch_log_groups.eks[0].log_group_names, []), each.value)
      error_message = "Log group ${each.value} does not exist: enable audit logging on the EKS cluster first (enabled_cluster_log_types = [\"audit\"], or aws eks update-cluster-config --logging '{\"clusterLogging\":[{\"types\":[\"audit\"],\"enabled\":true}]}')."
    }
  }

  depends_on = [aws_lambda_permission.logs, aws_iam_role_policy.logs_to_kinesis]
}

locals {
  account_policy_exclusions = sort(distinct(concat([local.function_group], var.account_policy.excluded_log_groups)))
  account_policy_document = merge(
    { DestinationArn = local.destination_arn, FilterPattern = var.filter_pattern },
    local.use_kinesis ? { RoleArn = aws_iam_role.logs_to_kinesis[0].arn, Distribution = "Random" } : {},
  )
}

# Covers every log group of the account in this region, existing and future. The function's own log
# group is always excluded: otherwise each invocation's logs would invoke it again, forever.
resource "aws_cloudwatch_log_account_policy" "subscription" {
  count              = local.account_wide ? 1 : 0
  policy_name        = "${var.name}-subscription"
  policy_type        = "SUBSCRIPTION_FILTER_POLICY"
  scope              = "ALL"
  selection_criteria = "LogGroupName NOT IN ${jsonencode(local.account_policy_exclusions)}"
  policy_document    = jsonencode(local.account_policy_document)

  depends_on = [aws_lambda_permission.logs, aws_iam_role_policy.logs_to_kinesis]
}
