output "key_id" {
  description = "The key's OCID: OpenBao's seal \"ocikms\" key_id, and the buckets' encryption key."
  value       = oci_kms_key.main.id
}

output "crypto_endpoint" {
  description = "The vault's crypto endpoint: OpenBao's seal \"ocikms\" crypto_endpoint."
  value       = oci_kms_vault.main.crypto_endpoint
}

output "management_endpoint" {
  description = "The vault's management endpoint: OpenBao's seal \"ocikms\" management_endpoint."
  value       = oci_kms_vault.main.management_endpoint
}
