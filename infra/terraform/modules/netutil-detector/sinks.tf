# Permissions of the sinks beyond SNS (src/sinks/), one statement per configured sink:
# events:PutEvents on the bus, securityhub:BatchImportFindings on the account's default product,
# sns:Publish on the chat topic.
locals {
  event_bus_arn = var.event_bus_name == null ? null : (
    startswith(var.event_bus_name, "arn:") ? var.event_bus_name :
    "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${var.event_bus_name}"
  )
  security_hub_product_arn = "arn:${local.partition}:securityhub:${local.region}:${local.account_id}:product/${local.account_id}/default"
  sink_statements = concat(
    local.event_bus_arn == null ? [] : [{ sid = "PutSignalEvents", actions = ["events:PutEvents"], resources = [local.event_bus_arn] }],
    var.security_hub ? [{ sid = "ImportFindings", actions = ["securityhub:BatchImportFindings"], resources = [local.security_hub_product_arn] }] : [],
    var.chat_topic_arn == null ? [] : [{ sid = "PublishChatCards", actions = ["sns:Publish"], resources = [var.chat_topic_arn] }],
  )
}

data "aws_iam_policy_document" "sinks" {
  count = length(local.sink_statements) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = local.sink_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "sinks" {
  count  = length(local.sink_statements) > 0 ? 1 : 0
  name   = "netutil-detector-sinks"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.sinks[0].json
}
