# What the oci overlay and the operator need (docs/deployment/oci.md uses each one).

output "cluster_id" {
  description = "`oci ce cluster create-kubeconfig --cluster-id $(tofu output -raw cluster_id)`."
  value       = module.oke.cluster_id
}

output "endpoint_cidr" {
  description = "The API endpoint's subnet: the oci overlay's egress-kube-api CIDR (k8s/overlays/oci/apps/platform)."
  value       = module.network.endpoint_cidr
}

output "s3_endpoint" {
  description = "The platform's storage.endpoint_url on oci (DP_STORAGE__ENDPOINT_URL in platform-settings)."
  value       = module.storage.s3_endpoint
}

output "s3_access_key_id" {
  description = "The `s3` secret's access_key (OpenBao) and platform-credentials' s3-access-key."
  value       = module.storage.s3_access_key_id
}

output "s3_secret_key" {
  description = "The `s3` secret's secret_key (OpenBao) and platform-credentials' s3-secret-key."
  value       = module.storage.s3_secret_key
  sensitive   = true
}

output "ocir_prefix" {
  description = "The images' prefix: the oci overlay's newName for data-platform/<image> and Airflow's DP_IMAGE_PREFIX."
  value       = module.registry.ocir_prefix
}

output "kms_key_id" {
  description = "OpenBao's seal \"ocikms\" key_id."
  value       = module.kms.key_id
}

output "kms_crypto_endpoint" {
  description = "OpenBao's seal \"ocikms\" crypto_endpoint."
  value       = module.kms.crypto_endpoint
}

output "kms_management_endpoint" {
  description = "OpenBao's seal \"ocikms\" management_endpoint."
  value       = module.kms.management_endpoint
}
