#pragma once
// Ports on nodes run by ss-manager. shadowsocks-libev serves one password per port, so on a
// managed node (nodes.manager_url_sealed set, kind shadowsocks) every device key and every
// gateway secret gets a port of its own in (nodes.port, nodes.port + nodes.port_span]
// (devices.node_port, node_secrets.port; migration 0005). A device on an unmanaged node, or
// an Outline or vless node, uses nodes.port (node_port NULL). issue-key and rotate-nodes both
// allocate, under a row lock on the node, so two allocations never pick the same port.

#include <cstdint>
#include <optional>

#include "core/db.hpp"

namespace httvps::nodes {

// Gives DEVICE_ID the port its node's ss:// key is served on: keeps a port it already has on
// its managed node, allocates the lowest free one when it has none, clears it when the node
// is not managed. Call inside the transaction that assigned the node. Throws
// Failure(kConflict) when the node's span is full.
void assign_device_port(db::Connection& db, std::int64_t device_id, std::int64_t span);

// The lowest free port of NODE_ID for a new gateway secret; the node row must be locked by
// the caller's transaction (nodes_port_lock). Throws Failure(kConflict) when the span is full.
int allocate_secret_port(db::Connection& db, std::int64_t node_id, int node_port, std::int64_t span);

}  // namespace httvps::nodes
