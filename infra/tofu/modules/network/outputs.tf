output "vcn_id" {
  description = "The VCN's OCID."
  value       = oci_core_vcn.main.id
}

output "endpoint_subnet_id" {
  description = "Subnet of the Kubernetes API endpoint."
  value       = oci_core_subnet.endpoint.id
}

output "endpoint_cidr" {
  description = "Address range of the API endpoint: the oci overlay's egress-kube-api policy allows it."
  value       = oci_core_subnet.endpoint.cidr_block
}

output "lb_subnet_id" {
  description = "Subnet of the load balancers Kubernetes Services create."
  value       = oci_core_subnet.lb.id
}

output "nodes_subnet_id" {
  description = "Subnet of the worker nodes (private)."
  value       = oci_core_subnet.nodes.id
}

output "nsg_ids" {
  description = "Network security groups by role: endpoint, lb, nodes."
  value = {
    endpoint = oci_core_network_security_group.endpoint.id
    lb       = oci_core_network_security_group.lb.id
    nodes    = oci_core_network_security_group.nodes.id
  }
}
