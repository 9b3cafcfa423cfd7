#pragma once
// Shared between rotate.cpp (probes, health, moves) and reconcile.cpp (secret rotation and
// keys on nodes). Not a public interface.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/db.hpp"
#include "core/domain/port_usage.hpp"
#include "core/jobs/job.hpp"

namespace httvps::nodes {
class SsManagerClient;
}

namespace httvps::nodes::detail {

struct NodeRow {
  std::int64_t id = 0;
  std::string name;
  std::int64_t region_id = 0;
  std::string region;
  std::string kind;
  std::string host;
  int port = 0;
  std::string method;
  std::int64_t weight = 100;
  std::string health;
  std::string admin_state;
  std::int64_t consecutive_failures = 0;
  std::int64_t consecutive_successes = 0;
  std::optional<std::int64_t> latency_ms;
  std::optional<std::string> manager;  // unsealed ss-manager address or Outline apiUrl
  std::string manager_cert;            // Outline certSha256
  std::string manager_error;           // why the sealed manager address did not open
  std::int64_t devices = 0;
};

NodeRow node_from_row(const db::Row& r, const std::string& secrets_key);

// What reconcile adds to the summary.
struct ReconcileReport {
  nlohmann::json rotations = nlohmann::json::array();
  nlohmann::json unrotatable = nlohmann::json::array();
  nlohmann::json keys = nlohmann::json::array();
  nlohmann::json vless = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  nlohmann::json direct_usage = nlohmann::json::array();  // per node, when something was counted
  std::int64_t key_changes = 0;
  std::uint64_t direct_bytes = 0;
};

// Steps 3 and 4 for one node; errors of the node go to REPORT.errors, not up.
void rotate_secret(jobs::JobRun& run, const NodeRow& node, ReconcileReport& report);
void reconcile_keys(jobs::JobRun& run, const NodeRow& node, ReconcileReport& report);

// Reads the per-port traffic counters of N (run by ss-manager, through CLIENT) and stores the
// change since the last read as a usage batch of the node for the ports' owners, with the
// counters moved on to OWNERS, in one transaction (domain/port_usage.hpp; with --dry-run only
// reported). Throws Failure when the counters cannot be read.
void account_direct_usage(jobs::JobRun& run, const NodeRow& n, SsManagerClient& client,
                          const std::vector<domain::PortOwner>& owners, ReconcileReport& report);

// An audit row from the job, in the caller's transaction.
void audit_job(jobs::JobRun& run, const std::string& action, const std::string& kind, std::int64_t id,
               const nlohmann::json& before, const nlohmann::json& after);

}  // namespace httvps::nodes::detail
