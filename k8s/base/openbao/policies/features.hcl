# features: Redis as `writer`; the curated zone (S3) and Feast's SQL registry (postgres, as
# its owner: apply and materialize).
path "secret/data/s3" {
  capabilities = ["read"]
}
path "secret/data/postgres/feast" {
  capabilities = ["read"]
}
path "secret/data/redis/writer" {
  capabilities = ["read"]
}
