#pragma once
// The node commands of `httvps` that belong to rotate-nodes (docs/cli/httvps.md#node):
// drain, disable and enable (admin_state), set-manager (the sealed ss-manager address or
// Outline apiUrl that key reconciliation and secret rotation use), and `node show` /
// `region show` with health, load, latency and the devices assigned.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/app.hpp"

namespace httvps::nodes {

// Sets NODE's admin_state to "draining", "disabled" or "active" (audited like an update) and
// returns the record after.
nlohmann::json set_admin_state(Context& ctx, const std::string& node, const std::string& state);

// Seals ADDRESS (an ss-manager "host:port" or socket path for shadowsocks nodes, an Outline
// apiUrl with CERT_SHA256 for outline nodes) into the node; nullopt clears it. Validates the
// address before storing it; never prints it. Returns {node, manager: "ss-manager"|"outline"|null}.
nlohmann::json set_manager(Context& ctx, const std::string& node, const std::optional<std::string>& address,
                           const std::optional<std::string>& cert_sha256);

// RECORD (from `node show` or `region show`) with what rotate-nodes knows: for a node, the
// devices assigned to it and whether it has a manager; for a region, its nodes with health,
// load and latency.
nlohmann::json with_node_details(Context& ctx, const std::string& kind, nlohmann::json record);

// Prints a record from with_node_details: JSON as is, or text as a record and a table.
void print_node_details(Context& ctx, const std::string& kind, const nlohmann::json& record);

}  // namespace httvps::nodes
