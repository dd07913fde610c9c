# The lake on Object Storage: one private bucket per zone, encrypted with the platform's vault
# key, versioned, emitting object events; reached through the S3-compatibility API with a
# customer secret key of an IAM user that may touch these buckets and nothing else.

data "oci_objectstorage_namespace" "this" {
  compartment_id = var.compartment_id
}

resource "oci_objectstorage_bucket" "zone" {
  for_each              = toset(var.buckets)
  compartment_id        = var.compartment_id
  namespace             = data.oci_objectstorage_namespace.this.namespace
  name                  = each.key
  access_type           = "NoPublicAccess"
  kms_key_id            = var.kms_key_id
  versioning            = "Enabled"
  object_events_enabled = true
  storage_tier          = "Standard"
}

# The platform's S3 identity: a user without console access, in a group whose policy names the
# buckets.
resource "oci_identity_user" "s3" {
  compartment_id = var.tenancy_id
  name           = "${var.name}-s3"
  description    = "The data platform's S3-compatible access to its buckets"
  email          = "${var.name}-s3@invalid.example"
}

resource "oci_identity_user_capabilities_management" "s3" {
  user_id                      = oci_identity_user.s3.id
  can_use_api_keys             = false
  can_use_auth_tokens          = false
  can_use_console_password     = false
  can_use_customer_secret_keys = true
  can_use_smtp_credentials     = false
}

resource "oci_identity_group" "s3" {
  compartment_id = var.tenancy_id
  name           = "${var.name}-s3"
  description    = "Members read and write the data platform's buckets only"
}

resource "oci_identity_user_group_membership" "s3" {
  group_id = oci_identity_group.s3.id
  user_id  = oci_identity_user.s3.id
}

locals {
  bucket_names = join(", ", [for b in var.buckets : "target.bucket.name = '${b}'"])
}

resource "oci_identity_policy" "s3" {
  compartment_id = var.compartment_id
  name           = "${var.name}-s3"
  description    = "The platform's S3 user: its buckets' objects, nothing else"
  statements = [
    "Allow group ${oci_identity_group.s3.name} to read buckets in compartment id ${var.compartment_id} where any {${local.bucket_names}}",
    "Allow group ${oci_identity_group.s3.name} to manage objects in compartment id ${var.compartment_id} where any {${local.bucket_names}}",
  ]
}

# The access key and secret the platform's S3 settings need (the `s3` secret in OpenBao, and
# `platform-credentials` for third-party images). The secret is in the state: keep the state in
# the encrypted, private state bucket (docs/deployment/oci.md).
resource "oci_identity_customer_secret_key" "s3" {
  user_id      = oci_identity_user.s3.id
  display_name = "${var.name}-s3"
}
