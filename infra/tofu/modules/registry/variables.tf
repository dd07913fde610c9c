variable "compartment_id" {
  description = "OCID of the compartment that holds the repositories."
  type        = string
}

variable "region_key" {
  description = "The region's short key for OCIR's host, e.g. fra (fra.ocir.io)."
  type        = string
}

variable "namespace" {
  description = "The tenancy's Object Storage namespace (storage module)."
  type        = string
}

variable "images" {
  description = "The project's images: data-platform/<image> (make images builds them)."
  type        = list(string)
  default     = ["pipeline", "features", "training", "promotion", "serving", "api", "airflow"]
}
