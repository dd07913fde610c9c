variable "tenancy_id" {
  description = "OCID of the tenancy."
  type        = string
}

variable "compartment_id" {
  description = "OCID of the compartment that holds the platform (create one; not the root)."
  type        = string
}

variable "region" {
  description = "The region's identifier, e.g. eu-frankfurt-1 (your home region for the free tier)."
  type        = string
}

variable "region_key" {
  description = "The region's short key, e.g. fra (OCIR's host is <key>.ocir.io)."
  type        = string
}

variable "admin_cidrs" {
  description = "Addresses allowed to reach the Kubernetes API (yours, CI's); never 0.0.0.0/0."
  type        = list(string)
}

variable "node_image_id" {
  description = "OCID of the Oracle Linux aarch64 node image for the cluster's Kubernetes version."
  type        = string
}
