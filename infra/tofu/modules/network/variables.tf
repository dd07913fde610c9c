variable "compartment_id" {
  description = "OCID of the compartment that holds the platform."
  type        = string
}

variable "name" {
  description = "Prefix of every resource's display name."
  type        = string
  default     = "data-platform"
}

variable "vcn_cidr" {
  description = "The VCN's address range; the subnets are carved from it."
  type        = string
  default     = "10.0.0.0/16"
}

variable "admin_cidrs" {
  description = "Addresses allowed to reach the Kubernetes API endpoint (kubectl, ArgoCD's CLI); never 0.0.0.0/0."
  type        = list(string)

  validation {
    condition     = length(var.admin_cidrs) > 0 && !contains(var.admin_cidrs, "0.0.0.0/0")
    error_message = "Name the administrators' addresses; the API endpoint is not open to the internet."
  }
}
