//! okapi-lab: containerlab topologies realized with network namespaces (being written).
