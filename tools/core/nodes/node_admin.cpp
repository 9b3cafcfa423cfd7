#include "core/nodes/node_admin.hpp"

#include "core/admin/audit.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/admin/resources.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/nodes/outline.hpp"
#include "core/nodes/rotate.hpp"
#include "core/nodes/ss_manager.hpp"
#include "core/output.hpp"

namespace httvps::nodes {

nlohmann::json set_admin_state(Context& ctx, const std::string& node, const std::string& state) {
  return admin::update_record(ctx, admin::resource("node"), node, {{"admin_state", state}});
}

nlohmann::json set_manager(Context& ctx, const std::string& node, const std::optional<std::string>& address,
                           const std::optional<std::string>& cert_sha256) {
  const std::string& key = ctx.secrets_key();
  nlohmann::json rec = admin::get_record(ctx, admin::resource("node"), node);
  const std::int64_t id = rec["id"].get<std::int64_t>();
  const std::string kind = rec["kind"].get<std::string>();
  db::Param sealed(std::nullopt), cert(std::nullopt);
  nlohmann::json manager = nullptr;
  if (address) {
    if (kind == "shadowsocks") {
      if (cert_sha256) throw usage_error("--cert-sha256 is for Outline nodes only", "cert_sha256");
      SsManagerOptions o;
      o.address = *address;
      SsManagerClient check(o);  // throws a config error for a malformed address
      manager = "ss-manager";
    } else if (kind == "outline") {
      if (!cert_sha256) throw usage_error("an Outline node needs --cert-sha256 (Outline Manager shows it)", "cert_sha256");
      OutlineOptions o;
      o.api_url = *address;
      o.cert_sha256 = *cert_sha256;
      OutlineClient check(o);  // throws a config error for a malformed apiUrl or pin
      cert = normalize_cert_sha256(*cert_sha256);
      manager = "outline";
    } else {
      throw usage_error("node '" + node + "' is a vless node: rotate-nodes writes its config instead", "node");
    }
    sealed = crypto::seal(key, *address, manager_sealing_context(id));
  }
  auto& db = ctx.db();
  db::Transaction tx(db);
  db.exec("nodes_set_manager", {static_cast<long long>(id), sealed, cert});
  admin::AuditEntry e{ctx.actor(), "node.set-manager", "node", std::to_string(id), {{"node", node}},
                      {{"node", node}, {"manager", manager}}, log::request_id()};
  admin::audit(db, e);
  tx.commit();
  return {{"node", node}, {"manager", manager}};
}

nlohmann::json with_node_details(Context& ctx, const std::string& kind, nlohmann::json record) {
  auto& db = ctx.db();
  if (kind == "node") {
    record["assignments"] = db.exec("nodes_assignments", {record["id"].get<std::int64_t>()}).to_json();
  } else if (kind == "region") {
    admin::ListRequest lr;
    lr.filters["region"] = record["name"].get<std::string>();
    lr.limit = 1000;
    record["region_nodes"] = admin::list_records(ctx, admin::resource("node"), lr);
  }
  return record;
}

void print_node_details(Context& ctx, const std::string& kind, const nlohmann::json& record) {
  const OutputFormat out = ctx.output();
  if (out == OutputFormat::kJson) {
    print_result(out, record);
    return;
  }
  const char* list_key = kind == "node" ? "assignments" : "region_nodes";
  nlohmann::json head = record;
  head.erase(list_key);
  print_result(out, head);
  const nlohmann::json& rows = record[list_key];
  print_message(out, "");
  if (kind == "node") {
    print_message(out, rows.empty() ? "no devices assigned" : "devices assigned (" + std::to_string(rows.size()) + "):");
    if (!rows.empty()) print_result(out, rows, {{"user", "USER"}, {"device", "DEVICE"}, {"port", "PORT"}, {"assigned_at", "ASSIGNED"}});
  } else {
    print_message(out, rows.empty() ? "no nodes" : "nodes:");
    if (!rows.empty()) {
      print_result(out, rows,
                   {{"name", "NAME"}, {"kind", "KIND"}, {"address", "ADDRESS"}, {"health", "HEALTH"},
                    {"admin_state", "STATE"}, {"devices", "DEVICES"}, {"last_latency_ms", "LATENCY MS"}, {"weight", "WEIGHT"}});
    }
  }
}

}  // namespace httvps::nodes
