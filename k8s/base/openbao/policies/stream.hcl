# stream: Redis as `writer`, Kafka as `stream` (reads transactions, writes dead letters); the raw
# zone (S3) and Feast's SQL registry (postgres, read-only) for its pushes.
path "secret/data/s3" {
  capabilities = ["read"]
}
path "secret/data/postgres/feast-reader" {
  capabilities = ["read"]
}
path "secret/data/redis/writer" {
  capabilities = ["read"]
}
path "secret/data/kafka/stream" {
  capabilities = ["read"]
}
