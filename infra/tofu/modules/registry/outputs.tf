output "ocir_prefix" {
  description = "Where the images live: <prefix>/<image> is the oci overlay's newName (k8s/overlays/oci/common/images)."
  value       = "${var.region_key}.ocir.io/${var.namespace}/data-platform"
}

output "repository_ids" {
  description = "The repositories' OCIDs by image."
  value       = { for name, repo in oci_artifacts_container_repository.image : name => repo.id }
}
