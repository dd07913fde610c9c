# api: Redis as `reader`, Kafka as `api` (publishes predictions); Feast's SQL registry
# (postgres, read-only) and the offline engine's S3 keys, read at start, and its clients' keys
# (api-keys), re-read every minute.
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
path "secret/data/kafka/api" {
  capabilities = ["read"]
}
