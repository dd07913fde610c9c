# serving: no secret. It reads the model through the MLflow server, which holds the
# artifact store's keys; its token only proves who it is.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
