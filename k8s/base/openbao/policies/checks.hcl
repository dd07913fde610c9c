# checks: the release checks the orchestrator runs after training (`dp check serving|api`): the
# curated zone (S3) for sample customers, and the API's client keys to call /v1/predict as a client.
path "secret/data/s3" {
  capabilities = ["read"]
}
path "secret/data/api-keys" {
  capabilities = ["read"]
}
