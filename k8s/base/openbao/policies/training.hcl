# training: the zones (S3) for the training set and Feast's SQL registry (postgres, read-only).
path "secret/data/s3" {
  capabilities = ["read"]
}
path "secret/data/postgres/feast-reader" {
  capabilities = ["read"]
}
