#include "core/nodes/rotate.hpp"

#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "core/admin/audit.hpp"
#include "core/crypto.hpp"
#include "core/domain/node_health.hpp"
#include "core/domain/rebalance.hpp"
#include "core/error.hpp"
#include "core/hostport.hpp"
#include "core/log.hpp"
#include "core/nodes/node_ports.hpp"
#include "core/nodes/probe.hpp"
#include "core/nodes/rotate_internal.hpp"

namespace httvps::nodes {

using detail::NodeRow;

std::string manager_sealing_context(std::int64_t node_id) { return "nodes.manager:" + std::to_string(node_id); }

std::string vless_probe_uuid(const std::string& secrets_key, std::int64_t node_id) {
  std::string mac = crypto::hmac_sha256(secrets_key, "vless-probe:" + std::to_string(node_id));
  unsigned char b[16];
  for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(mac[static_cast<std::size_t>(i)]);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

namespace detail {

NodeRow node_from_row(const db::Row& r, const std::string& secrets_key) {
  NodeRow n;
  n.id = r.int64("id");
  n.name = r.text("name");
  n.region_id = r.int64("region_id");
  n.region = r.text("region");
  n.kind = r.text("kind");
  n.host = r.text("host");
  n.port = static_cast<int>(r.int64("port"));
  n.method = r.opt_text("method").value_or("");
  n.weight = r.int64("weight");
  n.health = r.text("health");
  n.admin_state = r.text("admin_state");
  n.consecutive_failures = r.int64("consecutive_failures");
  n.consecutive_successes = r.int64("consecutive_successes");
  n.latency_ms = r.opt_int64("last_latency_ms");
  if (auto sealed = r.opt_text("manager_url_sealed")) {
    try {
      n.manager = crypto::open_stored(secrets_key, *sealed, manager_sealing_context(n.id), "a node's manager address");
    } catch (const Failure& f) {
      n.manager_error = f.what();  // the node is still probed and judged; its keys wait
    }
  }
  n.manager_cert = r.opt_text("manager_cert_sha256").value_or("");
  n.devices = r.int64("devices");
  return n;
}

void audit_job(jobs::JobRun& run, const std::string& action, const std::string& kind, std::int64_t id,
               const nlohmann::json& before, const nlohmann::json& after) {
  admin::AuditEntry e;
  e.actor = run.actor();
  e.action = action;
  e.target_kind = kind;
  e.target_id = std::to_string(id);
  e.before = before;
  e.after = after;
  e.request_id = log::request_id();
  admin::audit(run.db(), e);
}

}  // namespace detail

namespace {

std::vector<NodeRow> load_nodes(jobs::JobRun& run, nlohmann::json& errors) {
  const std::string& key = run.ctx().secrets_key();
  std::vector<NodeRow> out;
  for (const auto& r : run.db().exec("nodes_all")) {
    out.push_back(detail::node_from_row(r, key));
    if (!out.back().manager_error.empty()) {
      errors.push_back({{"step", "load"}, {"node", out.back().name}, {"error", out.back().manager_error}});
      log::warn("a node's manager address does not open", {{"node", out.back().name}, {"error", out.back().manager_error}});
    }
  }
  return out;
}

// What a node's probe looks like: a real request with its current gateway secret (or, for a
// vless node whose config rotate-nodes writes, its probe user); else a TCP connect.
ProbeTarget probe_target(jobs::JobRun& run, const NodeRow& n) {
  ProbeTarget t;
  t.host = n.host;
  t.port = n.port;
  if (n.kind == "vless") {
    if (!run.ctx().config().nodes_vless_config_dir.empty()) {
      t.kind = ProbeTarget::Kind::kVless;
      t.vless_uuid = vless_probe_uuid(run.ctx().secrets_key(), n.id);
    }
    return t;
  }
  auto rows = run.db().exec("nodes_current_secret", {static_cast<long long>(n.id)});
  if (rows.empty()) return t;
  try {
    t.password = crypto::open_stored(run.ctx().secrets_key(), rows[0].text("secret_sealed"),
                                     "node_secrets:" + std::to_string(n.id), "a node secret");
  } catch (const Failure& f) {
    // A secret that no longer opens (a changed secrets.key) fails this node's probe, not the run.
    t.kind = ProbeTarget::Kind::kUnusable;
    t.password = f.what();
    return t;
  }
  t.kind = ProbeTarget::Kind::kShadowsocks;
  t.method = rows[0].text("method");
  if (!rows[0].is_null("port")) t.port = static_cast<int>(rows[0].int64("port"));
  return t;
}

nlohmann::json health_json(const domain::HealthState& s) {
  return {{"health", s.health},
          {"consecutive_failures", s.consecutive_failures},
          {"consecutive_successes", s.consecutive_successes}};
}

// Step 1: probes and health. Updates NODES in place with the new health and latency.
nlohmann::json probe_and_judge(jobs::JobRun& run, std::vector<NodeRow>& nodes) {
  const Config& c = run.ctx().config();
  std::optional<HostPort> canary;
  if (!c.nodes_canary.empty()) canary = parse_host_port(c.nodes_canary);
  std::vector<ProbeTarget> targets;
  for (const auto& n : nodes) targets.push_back(probe_target(run, n));
  run.progress().set_total(static_cast<std::int64_t>(nodes.size()) * 2);
  auto results = run_probes(targets, canary, std::chrono::milliseconds(c.nodes_probe_timeout_ms));
  run.progress().advance(static_cast<std::int64_t>(nodes.size()));
  const domain::HealthPolicy policy{c.nodes_down_after, c.nodes_up_after};
  nlohmann::json changes = nlohmann::json::array();
  auto& db = run.db();
  // One transaction for every node's result and its audit row: a commit per node would make
  // a run over 1,000 nodes wait for 1,000 flushes of the WAL (bench/rotate_nodes.sh).
  std::optional<db::Transaction> tx;
  std::map<std::int64_t, domain::HealthState> stored;
  if (!run.dry_run()) {
    tx.emplace(db);
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& n : nodes) ids.push_back(n.id);
    for (const auto& r : db.exec("nodes_lock_for_probes", {ids.dump()})) {
      stored[r.int64("id")] = {r.text("health"), r.int64("consecutive_failures"), r.int64("consecutive_successes")};
    }
  }
  nlohmann::json records = nlohmann::json::array();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    NodeRow& n = nodes[i];
    const ProbeResult& res = results[i];
    domain::HealthState before{n.health, n.consecutive_failures, n.consecutive_successes};
    if (!run.dry_run()) {
      auto it = stored.find(n.id);
      if (it == stored.end()) continue;  // deleted since the run started
      before = it->second;
    }
    const domain::HealthState after = domain::next_health(before, res.ok, policy);
    const nlohmann::json evidence = {{"ok", res.ok},
                                     {"checked", res.checked},
                                     {"latency_ms", res.latency_ms},
                                     {"error", res.ok ? nlohmann::json(nullptr) : nlohmann::json(res.error)}};
    records.push_back({{"id", n.id},
                       {"health", after.health},
                       {"failures", after.consecutive_failures},
                       {"successes", after.consecutive_successes},
                       {"latency_ms", res.ok ? nlohmann::json(res.latency_ms) : nlohmann::json(nullptr)},
                       {"error", evidence["error"]}});
    if (after.health != before.health) {
      nlohmann::json after_json = health_json(after);
      after_json["probe"] = evidence;
      if (!run.dry_run()) detail::audit_job(run, "node.health", "node", n.id, health_json(before), after_json);
      changes.push_back({{"node", n.name}, {"region", n.region}, {"from", before.health}, {"to", after.health},
                         {"probe", evidence}});
      nlohmann::json fields = {{"node", n.name}, {"from", before.health}, {"to", after.health}};
      if (!res.ok) fields["error"] = res.error;
      if (after.health == "down") log::warn("node is down", fields);
      else log::info("node health changed", fields);
    }
    n.health = after.health;
    n.consecutive_failures = after.consecutive_failures;
    n.consecutive_successes = after.consecutive_successes;
    if (res.ok) n.latency_ms = res.latency_ms;
    run.progress().advance();
  }
  if (tx) {
    db.exec("nodes_record_probes", {records.dump(), static_cast<long long>(run.now())});
    tx->commit();
  }
  return changes;
}

struct RebalanceOutcome {
  nlohmann::json moves = nlohmann::json::array();
  nlohmann::json stranded = nlohmann::json::array();
  std::int64_t moved = 0;
};

// Step 2: moves.
RebalanceOutcome rebalance(jobs::JobRun& run, std::vector<NodeRow>& nodes, nlohmann::json& errors) {
  std::vector<domain::RegionNode> candidates;
  std::map<std::int64_t, const NodeRow*> by_id;
  std::map<std::int64_t, std::string> region_names;
  std::map<std::int64_t, std::int64_t> serving;  // region -> nodes that can serve
  for (const auto& n : nodes) {
    domain::RegionNode rn;
    rn.node = {n.id, n.health, n.admin_state, n.weight, n.devices, n.latency_ms};
    rn.region_id = n.region_id;
    rn.kind = n.kind;
    candidates.push_back(rn);
    by_id[n.id] = &n;
    region_names[n.region_id] = n.region;
    serving[n.region_id] += domain::can_serve(rn.node) ? 1 : 0;
  }
  std::vector<domain::DeviceAssignment> devices;
  auto& db = run.db();
  for (const auto& r : db.exec("nodes_active_devices")) {
    devices.push_back({r.int64("id"), r.int64("region_id"), r.opt_int64("node_id")});
    region_names[r.int64("region_id")] = r.text("region");
    serving.emplace(r.int64("region_id"), 0);  // a region of devices without any node counts too
  }
  const domain::RebalancePlan plan = domain::plan_rebalance(candidates, devices);
  RebalanceOutcome out;
  const std::int64_t span = run.ctx().config().nodes_port_span;
  for (const auto& m : plan.moves) {
    auto name_of = [&](std::optional<std::int64_t> id) -> nlohmann::json {
      if (!id) return nullptr;
      auto it = by_id.find(*id);
      return it == by_id.end() ? nlohmann::json(*id) : nlohmann::json(it->second->name);
    };
    nlohmann::json entry = {{"device_id", m.device_id}, {"region", region_names[m.region_id]},
                            {"from", name_of(m.from)}, {"to", name_of(m.to)}, {"reason", m.reason}};
    if (!run.dry_run()) {
      try {
        db::Transaction tx(db);
        auto moved = db.exec("nodes_device_move", {static_cast<long long>(m.device_id),
                                                   m.from ? db::Param(static_cast<long long>(*m.from)) : db::Param(std::nullopt),
                                                   static_cast<long long>(m.to)});
        if (moved.empty()) continue;  // moved or revoked by someone else meanwhile
        assign_device_port(db, m.device_id, span);
        detail::audit_job(run, "device.move", "device", m.device_id, {{"node", name_of(m.from)}},
                          {{"node", name_of(m.to)}, {"reason", m.reason}});
        tx.commit();
      } catch (const Failure& f) {
        errors.push_back({{"step", "move"}, {"device_id", m.device_id}, {"error", f.what()}});
        continue;
      }
    }
    out.moves.push_back(entry);
    ++out.moved;
  }
  std::map<std::int64_t, std::int64_t> stranded_devices;
  for (const auto& s : plan.stranded) stranded_devices[s.region_id] = s.devices;
  for (const auto& [region, count] : serving) {
    if (count > 0 && stranded_devices.count(region) == 0) continue;
    const std::int64_t waiting = stranded_devices.count(region) ? stranded_devices[region] : 0;
    nlohmann::json entry = {{"region", region_names[region]}, {"serving_nodes", count}, {"devices_without_node", waiting}};
    out.stranded.push_back(entry);
    std::fprintf(stderr, "rotate-nodes: warning: region '%s' has no node that can serve (%lld devices waiting)\n",
                 region_names[region].c_str(), static_cast<long long>(waiting));
    log::warn("region has no node that can serve", entry);
    if (!run.dry_run()) {
      db::Transaction tx(db);
      detail::audit_job(run, "region.no-healthy-node", "region", region, nullptr, entry);
      tx.commit();
    }
  }
  // Loads after the moves, for the later steps.
  for (auto& n : nodes) {
    std::int64_t delta = 0;
    for (const auto& m : plan.moves) {
      if (m.to == n.id) ++delta;
      if (m.from && *m.from == n.id) --delta;
    }
    n.devices += delta;
  }
  return out;
}

}  // namespace

nlohmann::json run_rotate_nodes(jobs::JobRun& run) {
  run.ctx().secrets_key();  // node secrets and manager addresses are sealed: fail early without it
  auto lock = run.try_lock_unit("all");
  if (!lock) run.skip("another rotate-nodes run is in progress");

  nlohmann::json errors = nlohmann::json::array();
  std::vector<NodeRow> nodes = load_nodes(run, errors);
  // Rotations come first, so this run's probe already goes through a new secret (and a
  // managed node that has none yet gets its first one before it is judged).
  detail::ReconcileReport report;
  for (const auto& n : nodes) detail::rotate_secret(run, n, report);
  nlohmann::json health_changes = probe_and_judge(run, nodes);
  RebalanceOutcome moves = rebalance(run, nodes, errors);
  for (const auto& n : nodes) detail::reconcile_keys(run, n, report);
  for (auto& e : report.errors) errors.push_back(e);
  run.progress().finish();

  std::map<std::string, std::int64_t> by_health{{"up", 0}, {"degraded", 0}, {"down", 0}, {"unknown", 0}};
  for (const auto& n : nodes) ++by_health[n.health];
  for (const auto& [h, count] : by_health) run.gauge("nodes_" + h, static_cast<double>(count), "Nodes whose health is " + h);
  run.gauge("devices_moved", static_cast<double>(moves.moved), "Devices moved to another node by the last run");
  run.gauge("regions_without_serving_node", static_cast<double>(moves.stranded.size()),
            "Regions in which no node can serve");
  run.gauge("secrets_rotated", static_cast<double>(report.rotations.size()), "Gateway secrets rotated by the last run");
  run.gauge("key_changes", static_cast<double>(report.key_changes), "Keys added to or removed from nodes by the last run");
  run.gauge("direct_usage_bytes", static_cast<double>(report.direct_bytes),
            "Bytes of direct connections the last run read from node counters and recorded as usage");
  run.gauge("node_errors", static_cast<double>(errors.size()), "Nodes or devices the last run could not handle");

  return {{"nodes", nodes.size()},
          {"health", by_health},
          {"health_changes", health_changes},
          {"moves", moves.moves},
          {"regions_without_serving_node", moves.stranded},
          {"rotations", report.rotations},
          {"not_rotatable", report.unrotatable},
          {"keys", report.keys},
          {"vless_configs", report.vless},
          {"direct_usage", report.direct_usage},
          {"errors", errors}};
}

}  // namespace httvps::nodes
