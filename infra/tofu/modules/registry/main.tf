# OCIR: one private repository per image, immutable (a tag is never re-pushed, so a digest and
# its tag always agree; the overlays pin digests anyway).
resource "oci_artifacts_container_repository" "image" {
  for_each       = toset(var.images)
  compartment_id = var.compartment_id
  display_name   = "data-platform/${each.key}"
  is_public      = false
  is_immutable   = true
}
