variable "region" {
  description = "Region of the destination and of the member log groups (a destination takes subscriptions from its own region only)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the function and prefix of every resource."
  type        = string
  default     = "netutil-detector"
}

variable "lambda_zip" {
  description = "Deployment package; defaults to dist/lambda.zip of this repository (npm run package)."
  type        = string
  default     = null
}

variable "lambda_runtime" {
  description = "nodejs24.x needs hashicorp/aws >= 6.19; set nodejs22.x when pinned to 5.x."
  type        = string
  default     = "nodejs24.x"
}

variable "organization_id" {
  description = "AWS Organizations id (o-...) whose accounts may subscribe to the destination; or null and source_account_ids."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-a1b2c3d4e5."
  }
}

variable "source_account_ids" {
  description = "Member accounts that may subscribe to the destination, when organization_id is null."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.source_account_ids : can(regex("^\\d{12}$", a))])
    error_message = "source_account_ids: each must be a 12-digit account id."
  }

  validation {
    condition     = (var.organization_id != null) != (length(var.source_account_ids) > 0)
    error_message = "Give either organization_id or source_account_ids, not both and not neither."
  }
}

variable "source_account_role_arn" {
  description = "Role in the member account that Terraform assumes to create its subscriptions; null = the default credentials."
  type        = string
  default     = null
}

variable "source_log_group_names" {
  description = "The member account's log groups to subscribe to the destination."
  type        = list(string)
  default     = []
}

variable "source_account_policy" {
  description = "Instead of per-group filters, one account-level subscription policy in the member account."
  type        = bool
  default     = false
}

variable "source_excluded_log_groups" {
  description = "Groups the member account's policy leaves out (other forwarders, noisy groups)."
  type        = list(string)
  default     = []
}

variable "filter_pattern" {
  description = "Subscription filter pattern of the member filters; empty sends everything."
  type        = string
  default     = ""
}

variable "detector_log_group_names" {
  description = "Log groups of the detector account itself, subscribed directly."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  type    = list(string)
  default = []
}

variable "permissions_boundary" {
  description = "Permissions boundary of the destination's role."
  type        = string
  default     = null
}
