# The platform's network: one VCN, a public subnet for the Kubernetes API endpoint and the load
# balancer, a private subnet for the worker nodes (egress through NAT, Oracle services through
# the service gateway), and network security groups that allow only the flows OKE and the
# platform need.

data "oci_core_services" "all" {
  filter {
    name   = "name"
    values = ["All .* Services In Oracle Services Network"]
    regex  = true
  }
}

locals {
  # /28 for the API endpoint (kind's policy CIDR in the oci overlay is this range), /24s for the
  # load balancer and the nodes.
  endpoint_cidr = cidrsubnet(var.vcn_cidr, 12, 0)
  lb_cidr       = cidrsubnet(var.vcn_cidr, 8, 1)
  nodes_cidr    = cidrsubnet(var.vcn_cidr, 8, 2)
  oracle_svcs   = data.oci_core_services.all.services[0]
}

resource "oci_core_vcn" "main" {
  compartment_id = var.compartment_id
  cidr_blocks    = [var.vcn_cidr]
  display_name   = var.name
  dns_label      = "dp"
}

resource "oci_core_internet_gateway" "main" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-igw"
}

resource "oci_core_nat_gateway" "main" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-nat"
}

resource "oci_core_service_gateway" "main" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-sgw"
  services {
    service_id = local.oracle_svcs.id
  }
}

resource "oci_core_route_table" "public" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-public"
  route_rules {
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_internet_gateway.main.id
  }
}

resource "oci_core_route_table" "private" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-private"
  route_rules {
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_nat_gateway.main.id
  }
  route_rules {
    destination       = local.oracle_svcs.cidr_block
    destination_type  = "SERVICE_CIDR_BLOCK"
    network_entity_id = oci_core_service_gateway.main.id
  }
}

# The subnets' security list holds one rule, ICMP "fragmentation needed" from inside the VCN
# (path MTU discovery); every other flow is an NSG rule below, attached to the endpoint, the
# load balancer or the nodes.
resource "oci_core_security_list" "path_mtu" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-path-mtu"

  ingress_security_rules {
    protocol    = "1"
    source      = var.vcn_cidr
    source_type = "CIDR_BLOCK"
    stateless   = true # an ICMP message, no connection to track
    description = "path MTU discovery"
    icmp_options {
      type = 3
      code = 4
    }
  }
}

resource "oci_core_subnet" "endpoint" {
  compartment_id             = var.compartment_id
  vcn_id                     = oci_core_vcn.main.id
  cidr_block                 = local.endpoint_cidr
  display_name               = "${var.name}-k8s-api"
  dns_label                  = "api"
  route_table_id             = oci_core_route_table.public.id
  security_list_ids          = [oci_core_security_list.path_mtu.id]
  prohibit_public_ip_on_vnic = false
}

resource "oci_core_subnet" "lb" {
  compartment_id             = var.compartment_id
  vcn_id                     = oci_core_vcn.main.id
  cidr_block                 = local.lb_cidr
  display_name               = "${var.name}-lb"
  dns_label                  = "lb"
  route_table_id             = oci_core_route_table.public.id
  security_list_ids          = [oci_core_security_list.path_mtu.id]
  prohibit_public_ip_on_vnic = false
}

resource "oci_core_subnet" "nodes" {
  compartment_id             = var.compartment_id
  vcn_id                     = oci_core_vcn.main.id
  cidr_block                 = local.nodes_cidr
  display_name               = "${var.name}-nodes"
  dns_label                  = "nodes"
  route_table_id             = oci_core_route_table.private.id
  security_list_ids          = [oci_core_security_list.path_mtu.id]
  prohibit_public_ip_on_vnic = true
}

resource "oci_core_network_security_group" "endpoint" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-k8s-api"
}

resource "oci_core_network_security_group" "lb" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-lb"
}

resource "oci_core_network_security_group" "nodes" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.main.id
  display_name   = "${var.name}-nodes"
}

locals {
  # Every allowed flow, once, as uniform rules: NSG, direction, peer kind and peer (a CIDR, an
  # NSG of this module, or Oracle's services), protocol (6 = TCP, "all") and ports.
  # Anything not listed is denied.
  flows = concat(
    [for cidr in var.admin_cidrs : { key = "admins-to-api-${cidr}", nsg = "endpoint", direction = "INGRESS", kind = "CIDR_BLOCK", peer = cidr, protocol = "6", min = 6443, max = 6443 }],
    [
      { key = "api-from-nodes", nsg = "endpoint", direction = "INGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "nodes", protocol = "6", min = 6443, max = 6443 },
      { key = "oke-from-nodes", nsg = "endpoint", direction = "INGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "nodes", protocol = "6", min = 12250, max = 12250 },
      { key = "api-to-kubelets", nsg = "endpoint", direction = "EGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "nodes", protocol = "6", min = 10250, max = 10250 },
      { key = "api-to-oracle", nsg = "endpoint", direction = "EGRESS", kind = "SERVICE_CIDR_BLOCK", peer = "oracle", protocol = "6", min = 443, max = 443 },
      { key = "users-to-lb", nsg = "lb", direction = "INGRESS", kind = "CIDR_BLOCK", peer = "0.0.0.0/0", protocol = "6", min = 443, max = 443 },
      # Plain HTTP only for Let's Encrypt's HTTP-01 challenges; every other request is redirected
      # to HTTPS by the ingress controller (force-ssl-redirect).
      { key = "users-to-lb-http", nsg = "lb", direction = "INGRESS", kind = "CIDR_BLOCK", peer = "0.0.0.0/0", protocol = "6", min = 80, max = 80 },
      { key = "lb-to-nodeports", nsg = "lb", direction = "EGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "nodes", protocol = "6", min = 30000, max = 32767 },
      { key = "nodeports-from-lb", nsg = "nodes", direction = "INGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "lb", protocol = "6", min = 30000, max = 32767 },
      { key = "kubelet-from-api", nsg = "nodes", direction = "INGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "endpoint", protocol = "6", min = 10250, max = 10250 },
      { key = "pods-from-pods", nsg = "nodes", direction = "INGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "nodes", protocol = "all", min = 0, max = 0 },
      { key = "pods-to-pods", nsg = "nodes", direction = "EGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "nodes", protocol = "all", min = 0, max = 0 },
      { key = "nodes-to-api", nsg = "nodes", direction = "EGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "endpoint", protocol = "6", min = 6443, max = 6443 },
      { key = "nodes-to-oke", nsg = "nodes", direction = "EGRESS", kind = "NETWORK_SECURITY_GROUP", peer = "endpoint", protocol = "6", min = 12250, max = 12250 },
      { key = "nodes-to-oracle", nsg = "nodes", direction = "EGRESS", kind = "SERVICE_CIDR_BLOCK", peer = "oracle", protocol = "6", min = 443, max = 443 },
      # Images from OCIR and the DAGs repository over HTTPS (through the NAT gateway).
      { key = "nodes-to-https", nsg = "nodes", direction = "EGRESS", kind = "CIDR_BLOCK", peer = "0.0.0.0/0", protocol = "6", min = 443, max = 443 },
    ],
  )
  nsg_ids = {
    endpoint = oci_core_network_security_group.endpoint.id
    lb       = oci_core_network_security_group.lb.id
    nodes    = oci_core_network_security_group.nodes.id
  }
  peers = { for f in local.flows : f.key => (
    f.kind == "NETWORK_SECURITY_GROUP" ? local.nsg_ids[f.peer] :
    f.kind == "SERVICE_CIDR_BLOCK" ? local.oracle_svcs.cidr_block : f.peer
  ) }
}

resource "oci_core_network_security_group_security_rule" "flow" {
  for_each                  = { for f in local.flows : f.key => f }
  network_security_group_id = local.nsg_ids[each.value.nsg]
  direction                 = each.value.direction
  protocol                  = each.value.protocol
  description               = each.key
  stateless                 = false
  source                    = each.value.direction == "INGRESS" ? local.peers[each.key] : null
  source_type               = each.value.direction == "INGRESS" ? each.value.kind : null
  destination               = each.value.direction == "EGRESS" ? local.peers[each.key] : null
  destination_type          = each.value.direction == "EGRESS" ? each.value.kind : null

  dynamic "tcp_options" {
    for_each = each.value.protocol == "6" ? [each.value] : []
    content {
      destination_port_range {
        min = tcp_options.value.min
        max = tcp_options.value.max
      }
    }
  }
}
