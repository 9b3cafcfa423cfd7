// Direct-connection usage on nodes run by ss-manager (domain/port_usage.hpp,
// docs/usage-accounting.md "Direct connections"): one read of the node's per-port counters,
// turned into a usage batch of the node with the counters moved on, in one transaction.

#include <chrono>
#include <limits>

#include "core/domain/port_usage.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/nodes/rotate_internal.hpp"
#include "core/nodes/ss_manager.hpp"

namespace httvps::nodes::detail {

namespace {

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void account_direct_usage(jobs::JobRun& run, const NodeRow& n, SsManagerClient& client,
                          const std::vector<domain::PortOwner>& owners, ReconcileReport& report) {
  auto& db = run.db();
  const auto node = static_cast<long long>(n.id);
  // The stored counters stay locked until the usage and the new counters are committed, so a
  // read is stored whole or not at all (and a later run reads again from the same counters).
  db::Transaction tx(db);
  std::vector<domain::PortCounter> stored;
  for (const auto& r : db.exec("node_port_counters_lock", {node})) {
    const std::int64_t bytes = r.int64("bytes");
    const std::int64_t port = r.int64("port");
    if (bytes < 0 || port < 1 || port > 65535) {
      throw Failure(ExitCode::kInternal, "node_port_counters of node '" + n.name + "' holds an invalid row (port " +
                                             std::to_string(port) + ")");
    }
    stored.push_back({static_cast<int>(port), r.int64("device_id"), static_cast<std::uint64_t>(bytes)});
  }
  const std::map<int, std::uint64_t> read = client.ping();
  for (const auto& [port, bytes] : read) {
    if (bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw Failure(ExitCode::kTempFail,
                    "ss-manager: the counter of port " + std::to_string(port) + " is beyond any plausible value");
    }
  }
  const domain::PortUsageUpdate u = domain::account_port_counters(stored, read, owners);

  nlohmann::json usage = nlohmann::json::array();
  std::uint64_t total = 0;
  for (const auto& d : u.usage) {
    usage.push_back({{"device_id", d.device_id}, {"bytes", d.bytes}});
    total += d.bytes;
  }
  if (!run.dry_run()) {
    if (!usage.empty()) {
      auto batch = db.exec("node_usage_batch_insert", {node, usage.dump(), static_cast<long long>(now_micros())});
      db.exec("node_usage_records_insert", {batch[0].text("id"), node, usage.dump()});
    }
    nlohmann::json counters = nlohmann::json::array();
    for (const auto& c : u.counters) counters.push_back({{"port", c.port}, {"device_id", c.device_id}, {"bytes", c.bytes}});
    db.exec("node_port_counters_replace", {node, counters.dump()});
    tx.commit();
  }
  report.direct_bytes += total;
  if (usage.empty() && u.restarted.empty() && u.baselined.empty() && u.implausible.empty()) return;
  nlohmann::json entry = {{"node", n.name}, {"bytes", total}, {"devices", usage}, {"recorded", !run.dry_run()}};
  if (!u.restarted.empty()) entry["restarted_ports"] = u.restarted;
  if (!u.baselined.empty()) entry["baselined_ports"] = u.baselined;
  if (!u.implausible.empty()) {
    entry["implausible_ports"] = u.implausible;
    log::warn("a node's traffic counter jumped further than any port can move; not counted",
              {{"node", n.name}, {"ports", entry["implausible_ports"]}});
  }
  report.direct_usage.push_back(std::move(entry));
}

}  // namespace httvps::nodes::detail
