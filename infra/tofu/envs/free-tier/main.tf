# The free-tier environment: everything the oci overlay runs on, within Oracle Cloud's Always
# Free limits (4 Ampere OCPU and 24 GB, 200 GB of block volumes, one flexible load balancer —
# created by the API's Service, not here — and the vault's free key versions).

provider "oci" {
  region = var.region
  # Credentials from ~/.oci/config (`oci setup config`), never from this repository.
}

module "network" {
  source         = "../../modules/network"
  compartment_id = var.compartment_id
  admin_cidrs    = var.admin_cidrs
}

module "kms" {
  source         = "../../modules/kms"
  compartment_id = var.compartment_id
  region         = var.region
}

module "oke" {
  source             = "../../modules/oke"
  compartment_id     = var.compartment_id
  vcn_id             = module.network.vcn_id
  endpoint_subnet_id = module.network.endpoint_subnet_id
  lb_subnet_id       = module.network.lb_subnet_id
  nodes_subnet_id    = module.network.nodes_subnet_id
  nsg_ids            = module.network.nsg_ids
  node_image_id      = var.node_image_id
}

module "storage" {
  source         = "../../modules/storage"
  compartment_id = var.compartment_id
  tenancy_id     = var.tenancy_id
  region         = var.region
  kms_key_id     = module.kms.key_id
}

module "registry" {
  source         = "../../modules/registry"
  compartment_id = var.compartment_id
  region_key     = var.region_key
  namespace      = module.storage.namespace
}

# The cluster's nodes pull the project's images from OCIR with their instance principal, and
# OpenBao (its service account, OKE workload identity) uses the vault key to unseal: each
# policy names exactly that principal and that resource.
resource "oci_identity_dynamic_group" "nodes" {
  compartment_id = var.tenancy_id
  name           = "data-platform-nodes"
  description    = "The data platform's worker nodes"
  matching_rule  = "ALL {instance.compartment.id = '${var.compartment_id}', tag.oke.cluster.value = '${module.oke.cluster_id}'}"
}

resource "oci_identity_policy" "platform" {
  compartment_id = var.compartment_id
  name           = "data-platform"
  description    = "The nodes read the project's images; OpenBao uses the vault key"
  statements = [
    "Allow dynamic-group ${oci_identity_dynamic_group.nodes.name} to read repos in compartment id ${var.compartment_id}",
    "Allow any-user to use keys in compartment id ${var.compartment_id} where all {request.principal.type = 'workload', request.principal.namespace = 'data-platform', request.principal.service_account = 'openbao', request.principal.cluster_id = '${module.oke.cluster_id}', target.key.id = '${module.kms.key_id}'}",
  ]
}
