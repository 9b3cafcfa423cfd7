// Steps 3 and 4 of rotate-nodes: gateway secret rotation on nodes run by ss-manager, and the
// per-device keys on every node (ss-manager ports, vless configs, Outline access keys).

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <fstream>
#include <sstream>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/hostport.hpp"
#include "core/keys/tokens.hpp"
#include "core/log.hpp"
#include "core/nodes/node_ports.hpp"
#include "core/nodes/outline.hpp"
#include "core/nodes/outline_sync.hpp"
#include "core/nodes/probe.hpp"
#include "core/nodes/rotate.hpp"
#include "core/nodes/rotate_internal.hpp"
#include "core/nodes/ss_manager.hpp"
#include "core/nodes/vless_config.hpp"

namespace fs = std::filesystem;

namespace httvps::nodes::detail {
namespace {

bool ss_managed(const NodeRow& n) { return n.kind == "shadowsocks" && n.manager.has_value(); }

SsManagerOptions manager_options(jobs::JobRun& run, const NodeRow& n) {
  SsManagerOptions o;
  o.address = *n.manager;
  o.timeout = std::chrono::milliseconds(run.ctx().config().nodes_manager_timeout_ms);
  return o;
}

void node_error(ReconcileReport& report, const NodeRow& n, const std::string& step, const std::string& message) {
  report.errors.push_back({{"step", step}, {"node", n.name}, {"error", message}});
  log::warn("rotate-nodes could not finish a step on a node", {{"node", n.name}, {"step", step}, {"error", message}});
}

std::string executable_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return fs::path(std::string(buf, static_cast<std::size_t>(n))).parent_path().string();
}

std::string vless_template_path(const Config& c) {
  if (!c.nodes_vless_template.empty()) return c.nodes_vless_template;
  std::vector<std::string> candidates;
  if (std::string exe = executable_dir(); !exe.empty()) candidates.push_back(exe + "/../share/httvps/v2ray/vless-node.json.in");
  candidates.push_back(HTTVPS_SOURCE_V2RAY_TEMPLATE);
  for (const auto& p : candidates) {
    if (fs::is_regular_file(p)) return p;
  }
  throw config_error("no v2ray template found: set nodes.vless_template");
}

std::string read_if_exists(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json emails(const std::vector<VlessUser>& users) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : users) out.push_back(u.email);
  return out;
}

void reconcile_ss_manager(jobs::JobRun& run, const NodeRow& n, ReconcileReport& report) {
  auto& db = run.db();
  const std::string& key = run.ctx().secrets_key();
  const std::int64_t span = run.ctx().config().nodes_port_span;
  std::int64_t waiting_for_port = 0;
  for (const auto& r : db.exec("nodes_managed_without_port", {static_cast<long long>(n.id)})) {
    if (run.dry_run()) {
      ++waiting_for_port;
      continue;
    }
    db::Transaction tx(db);
    assign_device_port(db, r.int64("id"), span);
    tx.commit();
  }
  std::vector<SsManagerKey> desired;
  std::vector<domain::PortOwner> owners;
  for (const auto& r : db.exec("nodes_ss_keys", {static_cast<long long>(n.id)})) {
    if (r.is_null("node_port")) continue;  // dry run: no port yet
    SsManagerKey k;
    k.port = static_cast<int>(r.int64("node_port"));
    owners.push_back({k.port, r.int64("device_id")});
    k.password = crypto::open_stored(key, r.text("secret_sealed"), keys::sealing_context(r.int64("device_id"), "shadowsocks"),
                                     "a device's Shadowsocks password");
    k.method = r.opt_text("method").value_or(n.method);
    desired.push_back(std::move(k));
  }
  for (const auto& r : db.exec("nodes_live_secrets", {static_cast<long long>(n.id)})) {
    SsManagerKey k;
    k.port = r.is_null("port") ? n.port : static_cast<int>(r.int64("port"));
    k.password = crypto::open_stored(key, r.text("secret_sealed"), "node_secrets:" + std::to_string(n.id), "a node secret");
    k.method = r.text("method");
    desired.push_back(std::move(k));
  }
  SsManagerClient client(manager_options(run, n));
  // Usage of direct connections up to now, counted for the ports' owners before any port
  // changes hands; a failed read is reported and does not hold up the keys.
  auto count_direct_usage = [&] {
    try {
      account_direct_usage(run, n, client, owners, report);
    } catch (const Failure& f) {
      node_error(report, n, "direct-usage", f.what());
    }
  };
  count_direct_usage();
  const SsManagerPlan plan = plan_ss_manager_changes(desired, client.list());
  if (plan.empty() && waiting_for_port == 0) return;
  nlohmann::json adds = nlohmann::json::array();
  for (const auto& a : plan.adds) adds.push_back(a.port);
  nlohmann::json entry = {{"node", n.name}, {"via", "ss-manager"}, {"add_ports", adds}, {"remove_ports", plan.removes}};
  if (waiting_for_port > 0) entry["devices_to_get_a_port"] = waiting_for_port;
  if (!run.dry_run()) {
    client.apply(plan);
    // Ports just added or given to another device start over at 0: store that now, so that
    // the next read counts the new owner's traffic from there.
    if (!plan.empty()) count_direct_usage();
  }
  report.key_changes += static_cast<std::int64_t>(plan.adds.size() + plan.removes.size());
  report.keys.push_back(entry);
}

void reconcile_vless(jobs::JobRun& run, const NodeRow& n, ReconcileReport& report) {
  const Config& c = run.ctx().config();
  if (c.nodes_vless_config_dir.empty()) return;
  VlessNodeConfig cfg;
  cfg.listen = c.nodes_vless_listen;
  cfg.port = n.port;
  cfg.users.push_back({vless_probe_uuid(run.ctx().secrets_key(), n.id), "probe@rotate-nodes"});
  for (const auto& r : run.db().exec("nodes_vless_users", {static_cast<long long>(n.id)})) {
    cfg.users.push_back({r.text("uuid"), "device-" + std::to_string(r.int64("device_id")) + "@" + r.text("username")});
  }
  const std::string rendered = render_vless_config(read_vless_template(vless_template_path(c)), cfg);
  const fs::path path = fs::path(c.nodes_vless_config_dir) / (n.name + ".json");
  const std::string old = read_if_exists(path);
  VlessChanges changes = what_changed(old, rendered);
  if (changes.empty() && !old.empty()) return;
  if (!run.dry_run()) {
    // The config holds device credentials: owner-only (the probe threads are done, so the
    // process-wide umask is ours for the moment).
    const mode_t old_mask = ::umask(077);
    try {
      std::error_code ec;
      fs::create_directories(c.nodes_vless_config_dir, ec);
      jobs::write_file_atomically(path.string(), rendered);
    } catch (const Failure&) {
      ::umask(old_mask);
      throw Failure(ExitCode::kTempFail, "cannot write the v2ray config '" + path.string() + "'");
    }
    ::umask(old_mask);
  }
  report.key_changes += static_cast<std::int64_t>(changes.added.size() + changes.removed.size() + changes.renamed.size());
  report.vless.push_back({{"node", n.name},
                          {"path", path.string()},
                          {"added", emails(changes.added)},
                          {"removed", emails(changes.removed)},
                          {"renamed", emails(changes.renamed)},
                          {"settings_changed", changes.settings_changed},
                          {"first_config", old.empty()},
                          {"written", !run.dry_run()}});
}

// Outline: one access key per device (outline_sync.hpp), created with the device's own
// password on the node's port so the ss:// link issue-key printed works, with the plan's data
// limit.
void reconcile_outline(jobs::JobRun& run, const NodeRow& n, ReconcileReport& report) {
  std::vector<OutlineWantedKey> wanted;
  const std::string& key = run.ctx().secrets_key();
  for (const auto& r : run.db().exec("nodes_ss_keys", {static_cast<long long>(n.id)})) {
    OutlineWantedKey w;
    w.name = kOutlineKeyPrefix + std::to_string(r.int64("device_id"));
    w.password = crypto::open_stored(key, r.text("secret_sealed"), keys::sealing_context(r.int64("device_id"), "shadowsocks"),
                                     "a device's Shadowsocks password");
    w.method = r.opt_text("method").value_or(n.method);
    w.port = n.port;
    if (auto l = r.opt_int64("data_limit_bytes")) w.data_limit_bytes = static_cast<std::uint64_t>(*l);
    wanted.push_back(std::move(w));
  }
  OutlineOptions o;
  o.api_url = *n.manager;
  o.cert_sha256 = n.manager_cert;
  o.timeout = std::chrono::milliseconds(run.ctx().config().nodes_manager_timeout_ms);
  OutlineClient client(o);
  const OutlinePlan plan = plan_outline_changes(wanted, client.list_keys());
  if (plan.empty()) return;
  nlohmann::json created = nlohmann::json::array(), deleted = nlohmann::json::array();
  for (const auto& k : plan.remove) deleted.push_back(k.name);
  for (const auto& w : plan.create) created.push_back(w.name);
  if (!run.dry_run()) {
    for (const auto& k : plan.remove) client.delete_key(k.id);
    for (const auto& [id, limit] : plan.limits) {
      if (limit) client.set_data_limit(id, *limit);
      else client.remove_data_limit(id);
    }
    for (const auto& w : plan.create) {
      OutlineAccessKey made = client.create_key(w.name, w.method, w.password, w.port);
      if (made.password != w.password || made.port != w.port) {
        client.delete_key(made.id);
        throw Failure(ExitCode::kTempFail, "outline: the server did not take the device's password and port "
                                           "(it predates them in POST /access-keys)");
      }
      if (w.data_limit_bytes) client.set_data_limit(made.id, *w.data_limit_bytes);
    }
  }
  report.key_changes += static_cast<std::int64_t>(plan.create.size() + plan.remove.size());
  report.keys.push_back({{"node", n.name}, {"via", "outline"}, {"created", created}, {"deleted", deleted},
                         {"data_limit_set", plan.limit_names}});
}

// Probes NODE through SECRET on PORT until it answers or 5 seconds pass; "" when it does, else
// the last probe's error.
std::string wait_until_served(jobs::JobRun& run, const NodeRow& n, int port, const std::string& secret) {
  const Config& c = run.ctx().config();
  std::optional<HostPort> canary;
  if (!c.nodes_canary.empty()) canary = parse_host_port(c.nodes_canary);
  std::vector<ProbeTarget> target(1);
  target[0] = {ProbeTarget::Kind::kShadowsocks, n.host, port, n.method, secret, ""};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string error;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return error;
    ProbeResult r = run_probes(target, canary, std::min(left, std::chrono::milliseconds(c.nodes_probe_timeout_ms)))[0];
    if (r.ok) return "";
    error = r.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

void rotate_secret(jobs::JobRun& run, const NodeRow& n, ReconcileReport& report) {
  const Config& c = run.ctx().config();
  if (c.nodes_secret_rotation_days == 0 || n.kind == "vless" || !n.manager_error.empty()) return;
  auto& db = run.db();
  auto current = db.exec("nodes_current_secret", {static_cast<long long>(n.id)});
  const std::int64_t max_age = c.nodes_secret_rotation_days * 86400;
  const bool due = current.empty() ? ss_managed(n) : run.now() - current[0].int64("created_at") >= max_age;
  if (!ss_managed(n)) {
    // Reported on every run while rotation is on, so the operator sees which nodes it skips.
    report.unrotatable.push_back(
        {{"node", n.name},
         {"secret_overdue", due || current.empty()},
         {"reason", n.kind == "outline" ? "an Outline node: its gateway secret is set by hand (httvps node set-secret)"
                                        : "no ss-manager (httvps node set-manager): set its secret by hand"}});
    return;
  }
  if (!due) return;
  // Not while the node is in trouble (the next run after it recovers does it), except its
  // first secret: without one a managed node cannot even be probed properly.
  if (n.health == "down" && !current.empty()) return;
  const std::int64_t overlap = c.nodes_secret_overlap_seconds;
  nlohmann::json entry = {{"node", n.name}, {"overlap_seconds", overlap}};
  if (!current.empty()) entry["old_port"] = current[0].is_null("port") ? n.port : current[0].int64("port");
  if (run.dry_run()) {
    report.rotations.push_back(entry);
    return;
  }
  try {
    // The node must accept the new secret before validate-device hands it out: the port is
    // opened on ss-manager inside the transaction that records it, under the node's row lock.
    db::Transaction tx(db);
    db.exec("nodes_port_lock", {static_cast<long long>(n.id)});
    const int port = allocate_secret_port(db, n.id, n.port, c.nodes_port_span);
    const std::string secret = keys::mint_ss_password();
    SsManagerClient client(manager_options(run, n));
    client.add({port, secret, n.method});
    // ss-manager answers "ok" before its ss-server for the port listens: wait until the node
    // really serves the new secret (a request through it to the canary, or a TCP connect).
    if (std::string why = wait_until_served(run, n, port, secret); !why.empty()) {
      throw Failure(ExitCode::kTempFail, "the node does not serve its new secret on port " + std::to_string(port) + ": " + why);
    }
    db.exec("node_secret_retire_current", {static_cast<long long>(n.id), static_cast<long long>(overlap)});
    db.exec("nodes_secret_insert", {static_cast<long long>(n.id),
                                    crypto::seal(run.ctx().secrets_key(), secret, "node_secrets:" + std::to_string(n.id)),
                                    n.method, port});
    entry["new_port"] = port;
    audit_job(run, "node.rotate-secret", "node", n.id,
              {{"secret_port", entry.contains("old_port") ? entry["old_port"] : nlohmann::json(nullptr)}},
              {{"secret_port", port}, {"overlap_seconds", overlap}});
    tx.commit();
    log::info("rotated a node's gateway secret", {{"node", n.name}, {"port", port}});
    report.rotations.push_back(entry);
  } catch (const Failure& f) {
    node_error(report, n, "rotate-secret", f.what());
  }
}

void reconcile_keys(jobs::JobRun& run, const NodeRow& n, ReconcileReport& report) {
  if (!n.manager_error.empty()) return;  // reported when the nodes were loaded
  try {
    if (ss_managed(n)) reconcile_ss_manager(run, n, report);
    else if (n.kind == "vless") reconcile_vless(run, n, report);
    else if (n.kind == "outline" && n.manager) reconcile_outline(run, n, report);
  } catch (const Failure& f) {
    node_error(report, n, "keys", f.what());
  }
}

}  // namespace httvps::nodes::detail
