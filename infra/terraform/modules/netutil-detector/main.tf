data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  use_kinesis    = var.delivery == "kinesis"
  account_wide   = var.account_policy.enabled
  pager_enabled  = var.create_pager_topic || length(nonsensitive(keys(var.pager_https_endpoints))) > 0
  function_group = "/aws/lambda/${var.name}"

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
