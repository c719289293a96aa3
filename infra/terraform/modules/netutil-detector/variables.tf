variable "name" {
  description = "Name of the function; also the prefix of every resource this module creates."
  type        = string
  default     = "netutil-detector"

  validation {
    # Lambda allows 64 characters; the longest derived name ("-logs-to-kinesis") must fit IAM's 64 too.
    condition     = can(regex("^[A-Za-z0-9_-]{1,40}$", var.name))
    error_message = "name must be 1-40 characters of letters, digits, '-' or '_'."
  }
}

variable "lambda_zip" {
  description = "Path of the deployment package (dist/lambda.zip of `npm run package`, or a downloaded netutil-detector-<version>.zip). Or give lambda_s3_bucket and lambda_s3_key instead."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip == null || try(endswith(var.lambda_zip, ".zip"), false)
    error_message = "lambda_zip must be the path of a .zip file (run `npm run package` to build dist/lambda.zip)."
  }

  validation {
    condition     = (var.lambda_zip != null) != (var.lambda_s3_bucket != null && var.lambda_s3_key != null)
    error_message = "Give exactly one deployment package: lambda_zip (a local file), or lambda_s3_bucket with lambda_s3_key (an uploaded release artifact)."
  }
}

variable "lambda_s3_bucket" {
  description = "S3 bucket holding the release artifact (netutil-detector-<version>.zip), in the function's region; with lambda_s3_key, instead of lambda_zip. Nothing is built or read locally then."
  type        = string
  default     = null

  validation {
    condition     = (var.lambda_s3_bucket == null) == (var.lambda_s3_key == null)
    error_message = "lambda_s3_bucket and lambda_s3_key go together."
  }
}

variable "lambda_s3_key" {
  description = "Key of the release artifact in lambda_s3_bucket (e.g. \"netutil-detector/netutil-detector-0.1.0.zip\")."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_s3_key == null || try(endswith(var.lambda_s3_key, ".zip"), false)
    error_message = "lambda_s3_key must name a .zip object."
  }
}

variable "lambda_s3_object_version" {
  description = "Version of the S3 object (versioned buckets), so a re-upload under the same key updates the function."
  type        = string
  default     = null
}

variable "lambda_source_code_hash" {
  description = "Base64 SHA-256 of the S3 artifact (sha256Base64 in its manifest); a change redeploys the code. Ignored with lambda_zip, whose hash is computed."
  type        = string
  default     = null
}

variable "runtime" {
  description = "Lambda runtime. nodejs24.x needs hashicorp/aws >= 6.19; with 5.x use nodejs22.x."
  type        = string
  default     = "nodejs24.x"

  validation {
    condition     = contains(["nodejs22.x", "nodejs24.x"], var.runtime)
    error_message = "runtime must be nodejs24.x (preferred) or nodejs22.x."
  }
}

variable "delivery" {
  description = "How log events reach the function: \"lambda\" (subscription filters invoke it directly) or \"kinesis\" (through an on-demand Kinesis stream, for high volume)."
  type        = string
  default     = "lambda"

  validation {
    condition     = contains(["lambda", "kinesis"], var.delivery)
    error_message = "delivery must be \"lambda\" or \"kinesis\"."
  }
}

variable "ecs_log_group_names" {
  description = "ECS task (awslogs driver) or FireLens log groups to watch, by exact name."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.ecs_log_group_names : can(regex("^[A-Za-z0-9_./#-]{1,512}$", n))])
    error_message = "ecs_log_group_names: each must be a valid log group name (letters, digits, _ - / . #, at most 512)."
  }
}

variable "ecs_log_group_prefixes" {
  description = "Name prefixes (e.g. \"/ecs/\"): every log group that exists at plan time with the prefix is subscribed. Re-apply to pick up new groups, or use the account policy."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.ecs_log_group_prefixes : can(regex("^/?[A-Za-z0-9_./#-]{1,511}$", p)) && !startswith(p, "/aws/lambda")])
    error_message = "ecs_log_group_prefixes: each must be a log group name prefix, and never /aws/lambda (the function would subscribe to its own logs)."
  }
}

variable "eks_cluster_names" {
  description = "EKS clusters whose control-plane log group /aws/eks/<cluster>/cluster is watched. The cluster must have audit logging enabled."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.eks_cluster_names : can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", c))])
    error_message = "eks_cluster_names: each must be an EKS cluster name (letters, digits, - and _, starting with a letter or digit)."
  }
}

variable "extra_log_group_names" {
  description = "Any other log groups that carry Tetragon, Falco, Datadog-style or CloudTrail records."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.extra_log_group_names : can(regex("^[A-Za-z0-9_./#-]{1,512}$", n))])
    error_message = "extra_log_group_names: each must be a valid log group name."
  }
}

variable "account_policy" {
  description = <<-EOT
    Account-level subscription filter policy instead of per-group filters: covers every log group of the
    account and region, existing and future, except the excluded ones (the function's own log group is
    always excluded). One such policy per account.
  EOT
  type = object({
    enabled             = bool
    excluded_log_groups = optional(list(string), [])
  })
  default = { enabled = false }

  validation {
    # The selection criteria string may be 25 KB; leave room for the quoting.
    condition     = length(jsonencode(var.account_policy.excluded_log_groups)) < 24000
    error_message = "account_policy.excluded_log_groups is too long for the 25 KB selection criteria."
  }
}

variable "filter_pattern" {
  description = "Subscription filter pattern. Empty sends every event; the function prefilters cheaply itself."
  type        = string
  default     = ""

  validation {
    condition     = length(var.filter_pattern) <= 1024
    error_message = "filter_pattern must be at most 1024 characters."
  }
}

variable "alert_emails" {
  description = "Email addresses subscribed to the alert topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails: each must be an email address."
  }
}

variable "pager_https_endpoints" {
  description = "HTTPS pager endpoints subscribed to the pager topic, by a stable label (e.g. { oncall = \"https://events.example/...\" }). URLs often embed integration keys, hence sensitive."
  type        = map(string)
  default     = {}
  sensitive   = true

  validation {
    condition     = alltrue([for u in values(var.pager_https_endpoints) : startswith(u, "https://")])
    error_message = "pager_https_endpoints: each URL must start with https://."
  }
}

variable "pager_endpoints_auto_confirm" {
  description = "Whether the pager endpoints confirm SNS subscriptions themselves (PagerDuty, Opsgenie do); Terraform then waits for the confirmation."
  type        = bool
  default     = true
}

variable "create_pager_topic" {
  description = "Create the pager topic even without pager_https_endpoints (to subscribe endpoints elsewhere)."
  type        = bool
  default     = false
}

variable "min_severity" {
  description = "Lowest severity published to the alert topic."
  type        = string
  default     = "medium"

  validation {
    condition     = contains(["low", "medium", "high", "critical"], var.min_severity)
    error_message = "min_severity must be one of low, medium, high, critical."
  }
}

variable "pager_min_severity" {
  description = "Lowest severity published to the pager topic."
  type        = string
  default     = "high"

  validation {
    condition     = contains(["low", "medium", "high", "critical"], var.pager_min_severity)
    error_message = "pager_min_severity must be one of low, medium, high, critical."
  }
}

variable "allowlist" {
  description = "Allowlist entries (see the README's ALLOWLIST), passed to the function as JSON."
  type        = any
  default     = []

  validation {
    # Lambda's environment is 4 KB in total; keep the list well below it.
    condition     = startswith(jsonencode(var.allowlist), "[") && length(jsonencode(var.allowlist)) <= 2500
    error_message = "allowlist must be a list whose JSON form is at most 2500 characters."
  }
}

variable "dedup_ttl_seconds" {
  description = "How long a signal id is remembered within a warm container to drop duplicates (0 disables)."
  type        = number
  default     = 3600

  validation {
    condition     = var.dedup_ttl_seconds >= 0 && var.dedup_ttl_seconds <= 604800 && floor(var.dedup_ttl_seconds) == var.dedup_ttl_seconds
    error_message = "dedup_ttl_seconds must be a whole number from 0 to 604800."
  }
}

variable "max_decoded_bytes" {
  description = "Upper bound of one gunzipped payload (defence against gzip bombs)."
  type        = number
  default     = 33554432

  validation {
    condition     = var.max_decoded_bytes >= 1024 && var.max_decoded_bytes <= 268435456 && floor(var.max_decoded_bytes) == var.max_decoded_bytes
    error_message = "max_decoded_bytes must be a whole number from 1024 to 268435456."
  }
}

variable "log_level" {
  description = "Powertools log level of the function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARN or ERROR."
  }
}

variable "memory_size" {
  description = "Function memory in MB (CPU scales with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout >= 3 && var.timeout <= 900
    error_message = "timeout must be from 3 to 900 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; null leaves the function on the unreserved pool."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1, false)
    error_message = "reserved_concurrency must be null or at least 1 (0 would throttle every invocation)."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's own log group."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "dlq_retention_seconds" {
  description = "How long failed invocations stay in the dead-letter queue."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_retention_seconds >= 60 && var.dlq_retention_seconds <= 1209600
    error_message = "dlq_retention_seconds must be from 60 to 1209600 (14 days)."
  }
}

variable "async_max_event_age_seconds" {
  description = "Age after which an undelivered asynchronous invocation goes to the DLQ instead of being retried."
  type        = number
  default     = 21600

  validation {
    condition     = var.async_max_event_age_seconds >= 60 && var.async_max_event_age_seconds <= 21600
    error_message = "async_max_event_age_seconds must be from 60 to 21600."
  }
}

variable "kinesis" {
  description = "Settings of the Kinesis path (used when delivery = \"kinesis\")."
  type = object({
    retention_hours                    = optional(number, 24)
    batch_size                         = optional(number, 100)
    maximum_batching_window_in_seconds = optional(number, 5)
    maximum_retry_attempts             = optional(number, 5)
    maximum_record_age_in_seconds      = optional(number, 21600)
    parallelization_factor             = optional(number, 1)
    iterator_age_alarm_ms              = optional(number, 300000)
  })
  default = {}

  validation {
    condition = (
      var.kinesis.retention_hours >= 24 && var.kinesis.retention_hours <= 8760 &&
      var.kinesis.batch_size >= 1 && var.kinesis.batch_size <= 10000 &&
      var.kinesis.maximum_batching_window_in_seconds >= 0 && var.kinesis.maximum_batching_window_in_seconds <= 300 &&
      var.kinesis.maximum_retry_attempts >= 0 && var.kinesis.maximum_retry_attempts <= 100 &&
      var.kinesis.maximum_record_age_in_seconds >= 60 && var.kinesis.maximum_record_age_in_seconds <= 604800 &&
      var.kinesis.parallelization_factor >= 1 && var.kinesis.parallelization_factor <= 10
    )
    error_message = "kinesis: retention_hours 24-8760, batch_size 1-10000, batching window 0-300 s, retries 0-100 (bounded: a poison batch must not block a shard forever), record age 60-604800 s, parallelization 1-10."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the error, throttle and DLQ alarms."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_seconds)
    error_message = "alarm_period_seconds must be 60, 300, 900 or 3600."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags (with the provider's default_tags, if any)."
  type        = map(string)
  default     = {}
}

# --- Enterprise accounts: network, IAM boundary, own key, own topics ---

variable "subnet_ids" {
  description = "Subnets to run the function in (a VPC without internet access needs SNS, KMS, DynamoDB, logs endpoints); [] = no VPC. With security_group_ids."
  type        = list(string)
  default     = []

  validation {
    condition     = (length(var.subnet_ids) == 0) == (length(var.security_group_ids) == 0)
    error_message = "subnet_ids and security_group_ids go together: give both or neither."
  }
}

variable "security_group_ids" {
  description = "Security groups of the function's network interfaces (egress to HTTPS is all it needs)."
  type        = list(string)
  default     = []
}

variable "permissions_boundary" {
  description = "ARN of the IAM policy set as permissions boundary on every role the module creates; null = none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::(\\d{12}|aws):policy/", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)."
  }
}

variable "kms_key_arn" {
  description = "Your own KMS key for the topics, queue and ledger; null = the module creates one. Its policy must allow what the module's key policy allows (README)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "alert_topic_arn" {
  description = "Existing SNS topic to use as the alert topic instead of creating one (its policy and encryption are yours); alert_emails still subscribe to it."
  type        = string
  default     = null

  validation {
    condition     = var.alert_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", var.alert_topic_arn))
    error_message = "alert_topic_arn must be an SNS topic ARN."
  }
}

variable "pager_topic_arn" {
  description = "Existing SNS topic to use as the pager topic instead of creating one; pager_https_endpoints still subscribe to it."
  type        = string
  default     = null

  validation {
    condition     = var.pager_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", var.pager_topic_arn))
    error_message = "pager_topic_arn must be an SNS topic ARN."
  }
}

# --- Email topic: people read it, so bursts are sent as digests (EMAIL_TOPIC_ARN) ---

variable "create_email_topic" {
  description = "Create an email topic (EMAIL_TOPIC_ARN): above email_digest_per_minute signals a minute it gets one digest instead of each signal."
  type        = bool
  default     = false
}

variable "email_topic_arn" {
  description = "Existing SNS topic to use as the email topic instead of creating one; null = none (unless create_email_topic or email_topic_subscribers)."
  type        = string
  default     = null

  validation {
    condition     = var.email_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", var.email_topic_arn))
    error_message = "email_topic_arn must be an SNS topic ARN."
  }

  validation {
    # The alert and pager topics' machine subscribers would get the email text and digests.
    condition     = var.email_topic_arn == null || (var.email_topic_arn != var.alert_topic_arn && var.email_topic_arn != var.pager_topic_arn)
    error_message = "email_topic_arn must be a topic of its own, not the alert or pager topic."
  }
}

variable "email_topic_subscribers" {
  description = "Email addresses subscribed to the email topic (created unless email_topic_arn is given); each must confirm."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.email_topic_subscribers : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "email_topic_subscribers: each must be an email address."
  }
}

variable "email_digest_per_minute" {
  description = "EMAIL_DIGEST_PER_MINUTE: above this many signals in a minute the email topic gets one digest (SNS delivers about 10 emails a second per subscription)."
  type        = number
  default     = 10

  validation {
    # src/config.ts's bound: SNS delivers about 10 emails a second, 600 a minute; 0 = always digests.
    condition     = var.email_digest_per_minute >= 0 && var.email_digest_per_minute <= 600 && floor(var.email_digest_per_minute) == var.email_digest_per_minute
    error_message = "email_digest_per_minute must be a whole number from 0 (always digests) to 600."
  }
}

# Signal ledger (ledger.tf)

variable "ledger_enabled" {
  description = "Create the signal ledger (a DynamoDB table) so each signal group alerts once per window across all instances; false keeps per-container deduplication only."
  type        = bool
  default     = true
}

variable "dedup_window_seconds" {
  description = "DEDUP_WINDOW_SECONDS: how long a signal group stays claimed in the ledger; repeats inside it are counted, not sent."
  type        = number
  default     = 3600

  validation {
    condition     = var.dedup_window_seconds >= 60 && var.dedup_window_seconds <= 604800 && floor(var.dedup_window_seconds) == var.dedup_window_seconds
    error_message = "dedup_window_seconds must be a whole number from 60 to 604800."
  }
}

variable "pager_max_per_window" {
  description = "PAGER_MAX_PER_WINDOW: pages per workload per window; further signals only go to the alert topic."
  type        = number
  default     = 5

  validation {
    condition     = var.pager_max_per_window >= 1 && var.pager_max_per_window <= 10000 && floor(var.pager_max_per_window) == var.pager_max_per_window
    error_message = "pager_max_per_window must be a whole number from 1 to 10000."
  }
}

variable "ledger_point_in_time_recovery" {
  description = "Point-in-time recovery on the ledger table (off: it holds only what was already sent)."
  type        = bool
  default     = false
}
# Channel rule families (issue 14: the "Network channel opened in container" rule).
variable "channel_families" {
  description = "CHANNEL_FAMILIES: channel rule families judged beside the seed rule, comma-separated (dev-tcp, openssl, tunnel, saas-tunnel), or none, or all."
  type        = string
  default     = "dev-tcp,openssl,tunnel"

  validation {
    condition     = can(regex("^(none|all|(dev-tcp|openssl|tunnel|saas-tunnel)(,(dev-tcp|openssl|tunnel|saas-tunnel))*)$", var.channel_families))
    error_message = "channel_families must be none, all, or a comma-separated list of dev-tcp, openssl, tunnel, saas-tunnel."
  }
}

# Source trust (issue 13): which log streams may speak for which format.
variable "trusted_sources" {
  description = "TRUSTED_SOURCES: \"any\" (every stream), or comma-separated \"default\" and <format>=<log group glob>[:<log stream glob>] entries (see the README's Trust section)."
  type        = string
  default     = "any"

  validation {
    condition     = length(trimspace(var.trusted_sources)) > 0 && length(var.trusted_sources) <= 8192
    error_message = "trusted_sources must be \"any\" or a non-empty list of entries (at most 8192 characters)."
  }
}

# --- Sinks beyond SNS (src/sinks/): EventBridge, Security Hub, chat, PagerDuty through the bus ---

variable "event_bus_name" {
  description = "EventBridge bus (name or ARN, e.g. \"default\") that receives every signal >= eventbridge_min_severity; null = off."
  type        = string
  default     = null
}

variable "eventbridge_min_severity" {
  description = "Lowest severity put on the event bus."
  type        = string
  default     = "medium"

  validation {
    condition     = contains(["low", "medium", "high", "critical"], var.eventbridge_min_severity)
    error_message = "eventbridge_min_severity must be low, medium, high or critical."
  }
}

variable "security_hub" {
  description = "Import signals >= security_hub_min_severity into Security Hub as ASFF findings (Security Hub must be enabled)."
  type        = bool
  default     = false
}

variable "security_hub_min_severity" {
  description = "Lowest severity imported into Security Hub."
  type        = string
  default     = "medium"

  validation {
    condition     = contains(["low", "medium", "high", "critical"], var.security_hub_min_severity)
    error_message = "security_hub_min_severity must be low, medium, high or critical."
  }
}

variable "chat_topic_arn" {
  description = "SNS topic subscribed by AWS Chatbot (Slack/Teams); gets Chatbot custom notifications for signals >= chat_min_severity. null = off."
  type        = string
  default     = null
}

variable "chat_min_severity" {
  description = "Lowest severity posted to chat."
  type        = string
  default     = "high"

  validation {
    condition     = contains(["low", "medium", "high", "critical"], var.chat_min_severity)
    error_message = "chat_min_severity must be low, medium, high or critical."
  }
}

variable "pagerduty_routing_key" {
  description = "PagerDuty Events API v2 integration (routing) key; with event_bus_name set, an EventBridge rule + API destination pages PagerDuty with no code in the function. null = off."
  type        = string
  default     = null
  sensitive   = true
}

variable "pagerduty_min_severity" {
  description = "Lowest severity that triggers a PagerDuty incident."
  type        = string
  default     = "high"

  validation {
    condition     = contains(["low", "medium", "high", "critical"], var.pagerduty_min_severity)
    error_message = "pagerduty_min_severity must be low, medium, high or critical."
  }
}

variable "pagerduty_events_url" {
  description = "PagerDuty Events API v2 endpoint (EU service region: https://events.eu.pagerduty.com/v2/enqueue)."
  type        = string
  default     = "https://events.pagerduty.com/v2/enqueue"
}
