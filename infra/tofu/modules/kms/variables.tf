variable "compartment_id" {
  description = "OCID of the compartment that holds the vault."
  type        = string
}

variable "name" {
  description = "Display name of the vault and its key."
  type        = string
  default     = "data-platform"
}

variable "region" {
  description = "The region's identifier, e.g. eu-frankfurt-1 (Object Storage's service principal names it)."
  type        = string
}
