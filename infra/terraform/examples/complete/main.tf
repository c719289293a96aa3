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

  name = var.name
  # The local build by default; the release artifact in S3 when lambda_s3_bucket is set.
  lambda_zip               = var.lambda_s3_bucket != null ? null : coalesce(var.lambda_zip, "${path.module}/../../../../dist/lambda.zip")
  lambda_s3_bucket         = var.lambda_s3_bucket
  lambda_s3_key            = var.lambda_s3_key
  lambda_s3_object_version = var.lambda_s3_object_version
  lambda_source_code_hash  = var.lambda_source_code_hash
  runtime                  = var.lambda_runtime
  delivery                 = var.delivery

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
  log_retention_days   = var.log_retention_days

  # Enterprise accounts: all optional.
  subnet_ids           = var.subnet_ids
  security_group_ids   = var.security_group_ids
  permissions_boundary = var.permissions_boundary
  kms_key_arn          = var.kms_key_arn
  alert_topic_arn      = var.alert_topic_arn
  pager_topic_arn      = var.pager_topic_arn

  create_email_topic      = var.create_email_topic
  email_topic_arn         = var.email_topic_arn
  email_topic_subscribers = var.email_topic_subscribers
  email_digest_per_minute = var.email_digest_per_minute

  event_bus_name        = var.event_bus_name
  security_hub          = var.security_hub
  chat_topic_arn        = var.chat_topic_arn
  pagerduty_routing_key = var.pagerduty_routing_key

  tags = merge({ owner = "platform-security" }, var.tags)
}
