data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  use_kinesis    = var.delivery == "kinesis"
  account_wide   = var.account_policy.enabled
  function_group = "/aws/lambda/${var.name}"
  has_vpc        = length(var.subnet_ids) > 0

  # Bring-your-own key and topics: what is given is used as is, the rest is created. Every reference
  # goes through these locals, never through the (counted) resources.
  create_kms_key = var.kms_key_arn == null
  kms_key_arn    = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn

  create_alert_topic = var.alert_topic_arn == null
  alert_topic_arn    = local.create_alert_topic ? aws_sns_topic.alerts[0].arn : var.alert_topic_arn

  has_pager          = var.pager_topic_arn != null || var.create_pager_topic || length(nonsensitive(keys(var.pager_https_endpoints))) > 0
  create_pager_topic = local.has_pager && var.pager_topic_arn == null
  pager_topic_arn    = var.pager_topic_arn != null ? var.pager_topic_arn : (local.create_pager_topic ? aws_sns_topic.pager[0].arn : null)

  has_email_topic    = var.email_topic_arn != null || var.create_email_topic || length(var.email_topic_subscribers) > 0
  create_email_topic = local.has_email_topic && var.email_topic_arn == null
  email_topic_arn    = var.email_topic_arn != null ? var.email_topic_arn : (local.create_email_topic ? aws_sns_topic.email[0].arn : null)

  # Every topic the function publishes to.
  publish_topic_arns = concat(
    [local.alert_topic_arn],
    local.has_pager ? [local.pager_topic_arn] : [],
    local.has_email_topic ? [local.email_topic_arn] : [],
  )

  eks_log_groups = [for c in var.eks_cluster_names : "/aws/eks/${c}/cluster"]
  named_groups   = distinct(concat(var.ecs_log_group_names, local.eks_log_groups, var.extra_log_group_names))
  prefix_groups  = flatten([for p in sort(keys(data.aws_cloudwatch_log_groups.by_prefix)) : sort(tolist(data.aws_cloudwatch_log_groups.by_prefix[p].log_group_names))])

  # The function's own group is never subscribed: it would invoke itself with its own logs.
  subscribed_log_groups = local.account_wide ? [] : sort(tolist(setsubtract(
    toset(concat(local.named_groups, local.prefix_groups)),
    [local.function_group],
  )))

  tags = merge(var.tags, { "netutil-detector:component" = var.name })
}

# Prefixes are resolved when planning; groups created later need a new apply (or the account policy).
data "aws_cloudwatch_log_groups" "by_prefix" {
  for_each              = local.account_wide ? toset([]) : toset(var.ecs_log_group_prefixes)
  log_group_name_prefix = each.value
}
