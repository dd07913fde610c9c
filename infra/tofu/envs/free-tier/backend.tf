# Remote state in Object Storage through its S3-compatibility API, in a private bucket created
# once by hand (it cannot hold the state of the configuration that would create it). The
# endpoint, bucket and credentials are given at `tofu init` (docs/deployment/oci.md):
#   tofu init -backend-config=state.s3.tfbackend
terraform {
  backend "s3" {
    key                         = "data-platform/free-tier.tfstate"
    region                      = "us-east-1" # required by the backend, ignored by OCI
    use_path_style              = true
    skip_region_validation      = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
  }
}
