variable "compartment_id" {
  description = "OCID of the compartment that holds the cluster."
  type        = string
}

variable "name" {
  description = "The cluster's name and the prefix of its node pool's."
  type        = string
  default     = "data-platform"
}

variable "kubernetes_version" {
  description = "OKE's Kubernetes version (the manifests are validated for 1.32)."
  type        = string
  default     = "v1.32.1"
}

variable "vcn_id" {
  description = "The VCN (network module)."
  type        = string
}

variable "endpoint_subnet_id" {
  description = "Subnet of the Kubernetes API endpoint (network module)."
  type        = string
}

variable "lb_subnet_id" {
  description = "Subnet for the load balancers Services create (network module)."
  type        = string
}

variable "nodes_subnet_id" {
  description = "Subnet of the worker nodes (network module)."
  type        = string
}

variable "nsg_ids" {
  description = "Network security groups by role: endpoint, lb, nodes (network module)."
  type        = map(string)
}

variable "node_count" {
  description = "Worker nodes; with ocpus and memory per node they must fit the free tier (4 OCPU, 24 GB in total). One node: each node's boot volume takes from the 200 GB of block storage the platform's volumes need (ADR 0019)."
  type        = number
  default     = 1
}

variable "node_ocpus" {
  description = "OCPUs per node (VM.Standard.A1.Flex)."
  type        = number
  default     = 4
}

variable "node_memory_gbs" {
  description = "Memory per node in GB (VM.Standard.A1.Flex)."
  type        = number
  default     = 24
}

variable "boot_volume_gbs" {
  description = "Boot volume per node; the free tier's 200 GB of block storage also holds the platform's volumes."
  type        = number
  default     = 50
}

variable "node_image_id" {
  description = "OCID of an Oracle Linux image for aarch64 matching kubernetes_version (`oci ce node-pool-options get --node-pool-option-id all`)."
  type        = string
}
