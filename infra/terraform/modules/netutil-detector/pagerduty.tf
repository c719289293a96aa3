# PagerDuty Events API v2 through the event bus, with no code in the function: one rule per
# severity at or above pagerduty_min_severity matches our events (source netutil-detector), and
# its target, an API destination to the Events v2 endpoint, gets the body an input transformer
# builds from the signal (pagerduty-input.json; the unit test applies it to sample events).
# The connection holds the routing key and adds it to every body as `routing_key`. PagerDuty's
# severities are critical/error/warning/info, so each rule's template carries its own.
locals {
  pagerduty_enabled  = var.event_bus_name != null && nonsensitive(var.pagerduty_routing_key != null)
  severity_levels    = ["low", "medium", "high", "critical"]
  pagerduty_severity = { low = "info", medium = "warning", high = "error", critical = "critical" }
  pagerduty_levels = local.pagerduty_enabled ? slice(
    local.severity_levels, index(local.severity_levels, var.pagerduty_min_severity), length(local.severity_levels)
  ) : []
  pagerduty_input = jsondecode(file("${path.module}/pagerduty-input.json"))
}

resource "aws_cloudwatch_event_connection" "pagerduty" {
  count              = local.pagerduty_enabled ? 1 : 0
  name               = "${var.name}-pagerduty"
  description        = "PagerDuty Events API v2 routing key for netutil-detector"
  authorization_type = "API_KEY"

  auth_parameters {
    # Events v2 reads the key from the body; API_KEY auth needs a header, so it carries it too.
    api_key {
      key   = "X-Routing-Key"
      value = var.pagerduty_routing_key
    }
    invocation_http_parameters {
      body {
        key             = "routing_key"
        value           = var.pagerduty_routing_key
        is_value_secret = true
      }
    }
  }
}

resource "aws_cloudwatch_event_api_destination" "pagerduty" {
  count                            = local.pagerduty_enabled ? 1 : 0
  name                             = "${var.name}-pagerduty"
  description                      = "PagerDuty Events API v2"
  invocation_endpoint              = var.pagerduty_events_url
  http_method                      = "POST"
  invocation_rate_limit_per_second = 10
  connection_arn                   = aws_cloudwatch_event_connection.pagerduty[0].arn
}

data "aws_iam_policy_document" "pagerduty_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "pagerduty" {
  count                = local.pagerduty_enabled ? 1 : 0
  name                 = "${var.name}-pagerduty"
  assume_role_policy   = data.aws_iam_policy_document.pagerduty_assume.json
  permissions_boundary = var.permissions_boundary
  tags                 = local.tags
}

resource "aws_iam_role_policy" "pagerduty" {
  count = local.pagerduty_enabled ? 1 : 0
  name  = "invoke-pagerduty"
  role  = aws_iam_role.pagerduty[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokePagerDuty"
      Effect   = "Allow"
      Action   = "events:InvokeApiDestination"
      Resource = aws_cloudwatch_event_api_destination.pagerduty[0].arn
    }]
  })
}

resource "aws_cloudwatch_event_rule" "pagerduty" {
  for_each       = toset(local.pagerduty_levels)
  name           = "${var.name}-pagerduty-${each.key}"
  description    = "netutil-detector signals of severity ${each.key} to PagerDuty"
  event_bus_name = var.event_bus_name
  event_pattern = jsonencode({
    source        = ["netutil-detector"]
    "detail-type" = ["Network utility executed in container"]
    detail        = { severity = [each.key] }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "pagerduty" {
  for_each       = toset(local.pagerduty_levels)
  rule           = aws_cloudwatch_event_rule.pagerduty[each.key].name
  event_bus_name = var.event_bus_name
  target_id      = "pagerduty"
  arn            = aws_cloudwatch_event_api_destination.pagerduty[0].arn
  role_arn       = aws_iam_role.pagerduty[0].arn

  input_transformer {
    input_paths    = local.pagerduty_input.input_paths
    input_template = replace(local.pagerduty_input.input_template, "%SEVERITY%", local.pagerduty_severity[each.key])
  }

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }
}
