# OKE on the free tier: a basic cluster (no charge for the control plane) with its API endpoint
# in the endpoint subnet, and one node pool of Ampere A1 (arm64) nodes in the private subnet,
# within the free tier's 4 OCPU / 24 GB. Pods get their own addresses from the node subnet
# (VCN-native pod networking), so the NSGs govern them too.

data "oci_identity_availability_domains" "all" {
  compartment_id = var.compartment_id
}

resource "oci_containerengine_cluster" "main" {
  #checkov:skip=CKV2_OCI_6:PodSecurityPolicy was removed in Kubernetes 1.25; the platform's namespace enforces the restricted Pod Security Standard (k8s/base/platform/namespace.yaml)
  compartment_id     = var.compartment_id
  name               = var.name
  kubernetes_version = var.kubernetes_version
  vcn_id             = var.vcn_id
  type               = "BASIC_CLUSTER"

  endpoint_config {
    subnet_id            = var.endpoint_subnet_id
    is_public_ip_enabled = true
    nsg_ids              = [var.nsg_ids["endpoint"]]
  }

  cluster_pod_network_options {
    cni_type = "OCI_VCN_IP_NATIVE"
  }

  options {
    service_lb_subnet_ids = [var.lb_subnet_id]
  }
}

resource "oci_containerengine_node_pool" "main" {
  compartment_id     = var.compartment_id
  cluster_id         = oci_containerengine_cluster.main.id
  name               = "${var.name}-a1"
  kubernetes_version = var.kubernetes_version
  node_shape         = "VM.Standard.A1.Flex"

  node_shape_config {
    ocpus         = var.node_ocpus
    memory_in_gbs = var.node_memory_gbs
  }

  node_source_details {
    source_type             = "IMAGE"
    image_id                = var.node_image_id
    boot_volume_size_in_gbs = var.boot_volume_gbs
  }

  node_config_details {
    size    = var.node_count
    nsg_ids = [var.nsg_ids["nodes"]]

    dynamic "placement_configs" {
      for_each = data.oci_identity_availability_domains.all.availability_domains
      content {
        availability_domain = placement_configs.value.name
        subnet_id           = var.nodes_subnet_id
      }
    }

    node_pool_pod_network_option_details {
      cni_type       = "OCI_VCN_IP_NATIVE"
      pod_subnet_ids = [var.nodes_subnet_id]
      pod_nsg_ids    = [var.nsg_ids["nodes"]]
    }

    is_pv_encryption_in_transit_enabled = true
  }

  initial_node_labels {
    key   = "data-platform/pool"
    value = "a1"
  }
}
