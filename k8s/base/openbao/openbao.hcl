# Server mode (the oci overlay; kind runs the dev server): file storage on the pod's volume, TLS
# with cert-manager's certificate, which the oci overlay mounts (its tls.yaml). OpenBao reads it at
# start and on SIGHUP, which the oci pod's tls-reloader sends when the certificate is renewed.
ui            = false
disable_mlock = true
storage "file" {
  path = "/openbao/data"
}
listener "tcp" {
  address         = "0.0.0.0:18200"
  tls_cert_file   = "/openbao/tls/tls.crt"
  tls_key_file    = "/openbao/tls/tls.key"
  tls_min_version = "tls12"
}
