terraform {
  # 1.9: input validations may refer to other variables; provider functions need 1.8.
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # nodejs24.x is accepted from 6.19 on; 5.100 works with runtime = "nodejs22.x" (see README).
      version = ">= 5.100.0, < 7.0.0"
    }
  }
}
