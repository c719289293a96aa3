terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = { project = "netutil-detector" }
  }
}

module "netutil_detector" {
  source = "../../modules/netutil-detector"

  name       = var.name
  lambda_zip = coalesce(var.lambda_zip, "${path.module}/../../../../dist/lambda.zip")
  runtime    = var.lambda_runtime
  delivery   = var.delivery

  ecs_log_group_names    = var.ecs_log_group_names
  ecs_log_group_prefixes = var.ecs_log_group_prefixes
  eks_cluster_names      = var.eks_cluster_names
  extra_log_group_names  = var.extra_log_group_names
  account_policy         = var.account_policy

  alert_emails          = var.alert_emails
  pager_https_endpoints = var.pager_https_endpoints
  min_severity          = var.min_severity
  pager_min_severity    = var.pager_min_severity

  reserved_concurrency = var.reserved_concurrency

  event_bus_name        = var.event_bus_name
  security_hub          = var.security_hub
  chat_topic_arn        = var.chat_topic_arn
  pagerduty_routing_key = var.pagerduty_routing_key

  tags = { owner = "platform-security" }
}
