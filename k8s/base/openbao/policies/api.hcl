# api: Feast's SQL registry (postgres) and the offline engine's S3 keys, read at start.
path "secret/data/s3" {
  capabilities = ["read"]
}
path "secret/data/postgres" {
  capabilities = ["read"]
}
