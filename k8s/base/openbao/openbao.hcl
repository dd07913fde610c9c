# Server mode (the oci overlay): file storage on the pod's volume, TLS terminated in the cluster.
ui            = false
disable_mlock = true
storage "file" {
  path = "/openbao/data"
}
listener "tcp" {
  address     = "0.0.0.0:18200"
  tls_disable = true
}
