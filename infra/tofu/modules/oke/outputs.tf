output "cluster_id" {
  description = "The cluster's OCID (`oci ce cluster create-kubeconfig --cluster-id`; OKE workload identity policies name it)."
  value       = oci_containerengine_cluster.main.id
}

output "kubernetes_version" {
  description = "The cluster's Kubernetes version."
  value       = oci_containerengine_cluster.main.kubernetes_version
}
