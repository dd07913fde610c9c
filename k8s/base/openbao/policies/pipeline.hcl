# pipeline: the zones (S3); the batch steps use nothing else.
path "secret/data/s3" {
  capabilities = ["read"]
}
