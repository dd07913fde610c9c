variable "compartment_id" {
  description = "OCID of the compartment that holds the buckets."
  type        = string
}

variable "tenancy_id" {
  description = "OCID of the tenancy (IAM users and groups live there)."
  type        = string
}

variable "region" {
  description = "The region's identifier, e.g. eu-frankfurt-1 (the S3 endpoint names it)."
  type        = string
}

variable "name" {
  description = "Prefix of the IAM user and group."
  type        = string
  default     = "data-platform"
}

variable "buckets" {
  description = "The zones' buckets and MLflow's artifacts (the platform's storage.zone_uri is s3://dp-{zone})."
  type        = list(string)
  default     = ["dp-raw", "dp-staging", "dp-curated", "dp-quarantine", "dp-mlflow"]
}

variable "kms_key_id" {
  description = "The vault key that encrypts the buckets (kms module)."
  type        = string
}
