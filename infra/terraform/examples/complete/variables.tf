variable "region" {
  description = "Region of the log groups (subscriptions do not cross regions)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the function and prefix of its resources."
  type        = string
  default     = "netutil-detector"
}

variable "lambda_zip" {
  description = "Deployment package; defaults to dist/lambda.zip of this repository (npm run package)."
  type        = string
  default     = null
}

variable "lambda_s3_bucket" {
  description = "Bucket of the uploaded release artifact (netutil-detector-<version>.zip); replaces lambda_zip."
  type        = string
  default     = null
}

variable "lambda_s3_key" {
  type    = string
  default = null
}

variable "lambda_s3_object_version" {
  type    = string
  default = null
}

variable "lambda_source_code_hash" {
  description = "sha256Base64 from the artifact's manifest (S3 artifacts only)."
  type        = string
  default     = null
}

variable "lambda_runtime" {
  description = "nodejs24.x needs hashicorp/aws >= 6.19; set nodejs22.x when pinned to 5.x."
  type        = string
  default     = "nodejs24.x"
}

variable "delivery" {
  description = "\"lambda\" (direct subscriptions) or \"kinesis\" (high volume)."
  type        = string
  default     = "lambda"
}

variable "ecs_log_group_names" {
  type    = list(string)
  default = ["/ecs/payments-api", "/ecs/checkout-worker"]
}

variable "ecs_log_group_prefixes" {
  type    = list(string)
  default = ["/ecs/batch/"]
}

variable "eks_cluster_names" {
  type    = list(string)
  default = ["prod-eu"]
}

variable "extra_log_group_names" {
  description = "E.g. the group where Tetragon or Falco exports land, or the CloudTrail group for ECS Exec."
  type        = list(string)
  default     = ["/security/falco"]
}

variable "account_policy" {
  type = object({
    enabled             = bool
    excluded_log_groups = optional(list(string), [])
  })
  default = { enabled = false }
}

variable "alert_emails" {
  type    = list(string)
  default = ["secops@example.com"]
}

variable "pager_https_endpoints" {
  type      = map(string)
  default   = {}
  sensitive = true
}

variable "min_severity" {
  type    = string
  default = "medium"
}

variable "pager_min_severity" {
  type    = string
  default = "high"
}

variable "reserved_concurrency" {
  type    = number
  default = null
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "tags" {
  description = "Tags on every resource, beside owner and the provider's default_tags."
  type        = map(string)
  default     = {}
}

# --- Enterprise accounts ---

variable "subnet_ids" {
  type    = list(string)
  default = []
}

variable "security_group_ids" {
  type    = list(string)
  default = []
}

variable "permissions_boundary" {
  type    = string
  default = null
}

variable "kms_key_arn" {
  type    = string
  default = null
}

variable "alert_topic_arn" {
  type    = string
  default = null
}

variable "pager_topic_arn" {
  type    = string
  default = null
}

# --- Email topic (digests under bursts) ---

variable "create_email_topic" {
  type    = bool
  default = false
}

variable "email_topic_arn" {
  type    = string
  default = null
}

variable "email_topic_subscribers" {
  type    = list(string)
  default = []
}

variable "email_digest_per_minute" {
  type    = number
  default = 10
}

# --- Sinks beyond SNS ---

variable "event_bus_name" {
  description = "EventBridge bus for signals (e.g. \"default\"); null = off."
  type        = string
  default     = null
}

variable "security_hub" {
  description = "Import signals into Security Hub."
  type        = bool
  default     = false
}

variable "chat_topic_arn" {
  description = "SNS topic subscribed by AWS Chatbot; null = off."
  type        = string
  default     = null
}

variable "pagerduty_routing_key" {
  description = "PagerDuty Events API v2 routing key (needs event_bus_name); null = off."
  type        = string
  default     = null
  sensitive   = true
}
