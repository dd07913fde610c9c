# The platform's vault: one key (AES-256, HSM-protected, within the free tier's key versions)
# that encrypts the buckets and auto-unseals OpenBao (its `ocikms` seal).
resource "oci_kms_vault" "main" {
  compartment_id = var.compartment_id
  display_name   = var.name
  vault_type     = "DEFAULT"
}

resource "oci_kms_key" "main" {
  compartment_id      = var.compartment_id
  display_name        = var.name
  management_endpoint = oci_kms_vault.main.management_endpoint
  protection_mode     = "HSM"

  key_shape {
    algorithm = "AES"
    length    = 32
  }
}

# Object Storage encrypts the buckets with the key.
resource "oci_identity_policy" "object_storage_uses_key" {
  compartment_id = var.compartment_id
  name           = "${var.name}-objectstorage-key"
  description    = "Object Storage may use the platform's key, and no other"
  statements = [
    "Allow service objectstorage-${var.region} to use keys in compartment id ${var.compartment_id} where target.key.id = '${oci_kms_key.main.id}'",
  ]
}
