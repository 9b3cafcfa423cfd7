#include "core/nodes/node_ports.hpp"

#include <string>

#include "core/error.hpp"

namespace httvps::nodes {
namespace {

int free_port(db::Connection& db, std::int64_t node_id, int node_port, std::int64_t span) {
  auto rows = db.exec("nodes_free_port", {static_cast<long long>(node_id), node_port, static_cast<long long>(span)});
  if (rows.empty()) {
    throw Failure(ExitCode::kConflict, "node " + std::to_string(node_id) + " has no free port left in its span of " +
                                           std::to_string(span) + " (nodes.port_span)");
  }
  return static_cast<int>(rows[0].int64("port"));
}

}  // namespace

void assign_device_port(db::Connection& db, std::int64_t device_id, std::int64_t span) {
  auto dev = db.exec("nodes_device_port_of", {static_cast<long long>(device_id)});
  if (dev.empty()) return;
  auto node_id = dev[0].opt_int64("node_id");
  const bool active = dev[0].text("status") == "active";
  if (!node_id || !active) {
    if (!dev[0].is_null("node_port")) db.exec("nodes_device_set_port", {static_cast<long long>(device_id), std::nullopt});
    return;
  }
  auto node = db.exec("nodes_port_lock", {static_cast<long long>(*node_id)});
  const bool managed = !node.empty() && node[0].boolean("managed") && node[0].text("kind") == "shadowsocks";
  if (!managed) {
    if (!dev[0].is_null("node_port")) db.exec("nodes_device_set_port", {static_cast<long long>(device_id), std::nullopt});
    return;
  }
  if (!dev[0].is_null("node_port")) return;
  const int port = free_port(db, *node_id, static_cast<int>(node[0].int64("port")), span);
  db.exec("nodes_device_set_port", {static_cast<long long>(device_id), port});
}

int allocate_secret_port(db::Connection& db, std::int64_t node_id, int node_port, std::int64_t span) {
  return free_port(db, node_id, node_port, span);
}

}  // namespace httvps::nodes
