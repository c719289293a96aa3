# Signal ledger (src/signals/ledger.ts): one item per signal group, shared by every instance of the
# function, so an incident alerts once per DEDUP_WINDOW_SECONDS instead of once per container.
# On-demand (a few writes per distinct group and window), items expire through the TTL attribute a
# week after their window, encrypted with the module's key. Point-in-time recovery is off by default:
# the ledger holds no evidence, only what was already sent.

resource "aws_dynamodb_table" "ledger" {
  count = var.ledger_enabled ? 1 : 0

  name         = "${var.name}-ledger"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  # Must match LEDGER_TTL_ATTRIBUTE in src/signals/ledger.ts.
  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.ledger_point_in_time_recovery
  }

  tags = local.tags
}

# Least privilege: the three item writes the ledger makes, on its own table only (it never reads:
# a failed conditional write returns the current item), and the key only through DynamoDB.
data "aws_iam_policy_document" "ledger" {
  count = var.ledger_enabled ? 1 : 0

  statement {
    sid       = "WriteOwnLedger"
    actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.ledger[0].arn]
  }

  statement {
    sid       = "UseKeyOnlyThroughDynamoDb"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey", "kms:CreateGrant"]
    resources = [local.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "ledger" {
  count = var.ledger_enabled ? 1 : 0

  name   = "netutil-detector-ledger"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.ledger[0].json
}
