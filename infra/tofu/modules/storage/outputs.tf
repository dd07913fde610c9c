output "namespace" {
  description = "The tenancy's Object Storage namespace (OCIR paths name it too)."
  value       = data.oci_objectstorage_namespace.this.namespace
}

output "s3_endpoint" {
  description = "The S3-compatibility endpoint: the platform's storage.endpoint_url (DP_STORAGE__ENDPOINT_URL)."
  value       = "https://${data.oci_objectstorage_namespace.this.namespace}.compat.objectstorage.${var.region}.oraclecloud.com"
}

output "s3_access_key_id" {
  description = "Access key of the platform's S3 user (the `s3` secret's access_key)."
  value       = oci_identity_customer_secret_key.s3.id
}

output "s3_secret_key" {
  description = "Secret key of the platform's S3 user (the `s3` secret's secret_key)."
  value       = oci_identity_customer_secret_key.s3.key
  sensitive   = true
}

output "buckets" {
  description = "The buckets' names."
  value       = [for b in oci_objectstorage_bucket.zone : b.name]
}
