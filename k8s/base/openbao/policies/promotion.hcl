# promotion: `dp promote`'s gates. The holdout (S3 zones, Feast's SQL registry in postgres,
# read-only), an API process of the challenger (Redis as `reader`, the clients' keys) and the
# load gate's key.
path "secret/data/s3" {
  capabilities = ["read"]
}
path "secret/data/postgres/feast-reader" {
  capabilities = ["read"]
}
path "secret/data/api-keys" {
  capabilities = ["read"]
}
path "secret/data/redis/reader" {
  capabilities = ["read"]
}
