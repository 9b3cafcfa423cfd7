#include "core/keys/issue.hpp"

#include "core/admin/audit.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/crypto.hpp"
#include "core/domain/node_choice.hpp"
#include "core/keys/tokens.hpp"
#include "core/links.hpp"
#include "core/log.hpp"
#include "core/nodes/node_ports.hpp"

namespace httvps::keys {
namespace {

// The region a new device goes to: the one asked for, else the user's, else the only one.
std::int64_t resolve_region(Context& ctx, const IssueRequest& r) {
  auto& db = ctx.db();
  if (r.region) {
    auto rows = db.exec("region_id_by_name", {*r.region});
    if (rows.empty()) throw Failure(ExitCode::kNotFound, "no region named '" + *r.region + "'", "region");
    return rows[0].int64("id");
  }
  auto user = db.exec("user_region_of", {r.user});
  if (user.empty()) throw Failure(ExitCode::kNotFound, "no user named '" + r.user + "'", "user");
  if (auto id = user[0].opt_int64("region_id")) return *id;
  auto regions = db.exec("region_sole");
  if (regions.size() == 1) return regions[0].int64("id");
  if (regions.empty()) throw Failure(ExitCode::kConflict, "there is no region yet: create one first", "region");
  throw usage_error("user '" + r.user + "' has no region and there are several: give --region", "region");
}

std::optional<std::int64_t> best_node(Context& ctx, std::int64_t region_id) {
  std::vector<domain::NodeCandidate> candidates;
  for (auto row : ctx.db().exec("region_node_candidates", {static_cast<long long>(region_id)})) {
    domain::NodeCandidate c;
    c.id = row.int64("id");
    c.health = row.text("health");
    c.admin_state = row.text("admin_state");
    c.weight = row.int64("weight");
    c.devices = row.int64("devices");
    c.latency_ms = row.opt_int64("last_latency_ms");
    candidates.push_back(c);
  }
  return domain::choose_node(candidates);
}

// Mints the four credentials of DEVICE_ID and stores them (hashes, sealed, uuid).
IssuedKeys mint_all(Context& ctx, std::int64_t device_id, const std::optional<NodeInfo>& node) {
  auto& db = ctx.db();
  IssuedKeys k;
  const long long id = device_id;
  MintedToken gw = mint_token(kDeviceToken);
  db.exec("credential_insert", {id, "gateway_token", gw.prefix, gw.hash, std::nullopt, std::nullopt, std::nullopt});
  MintedToken sub = mint_token(kSubscriptionToken);
  db.exec("credential_insert", {id, "subscription_token", sub.prefix, sub.hash, std::nullopt, std::nullopt, std::nullopt});
  k.ss_password = mint_ss_password();
  k.ss_method = node && !node->method.empty() ? node->method : "chacha20-ietf-poly1305";
  std::string sealed = crypto::seal(ctx.secrets_key(), k.ss_password, sealing_context(id, "shadowsocks"));
  db.exec("credential_insert", {id, "shadowsocks", std::nullopt, std::nullopt, sealed, k.ss_method, std::nullopt});
  k.vless_uuid = links::random_uuid_v4();
  db.exec("credential_insert", {id, "vless", std::nullopt, std::nullopt, std::nullopt, std::nullopt, k.vless_uuid});
  k.gateway_token = gw.token;
  k.subscription_token = sub.token;
  k.node = node;
  return k;
}

void audit_keys(Context& ctx, const std::string& verb, const nlohmann::json& before, const nlohmann::json& after) {
  admin::AuditEntry e;
  e.actor = ctx.actor();
  e.action = "device." + verb;
  e.target_kind = "device";
  e.target_id = std::to_string((after.is_null() ? before : after)["id"].get<std::int64_t>());
  e.before = before;
  e.after = after;
  e.request_id = log::request_id();
  admin::audit(ctx.db(), e);
}

}  // namespace

std::optional<NodeInfo> node_info(Context& ctx, const nlohmann::json& device) {
  auto rows = ctx.db().exec("device_get", {device["id"].get<std::int64_t>()});
  if (rows.empty() || rows[0].is_null("node")) return std::nullopt;
  auto node_rows = ctx.db().exec("node_get", {rows[0].text("node")});
  if (node_rows.empty()) return std::nullopt;
  auto n = node_rows[0];
  NodeInfo info{n.text("name"), n.text("kind"), n.text("host"), static_cast<int>(n.int64("port")),
                n.opt_text("method").value_or(""), n.text("region")};
  auto port = ctx.db().exec("nodes_device_port_of", {device["id"].get<std::int64_t>()});
  if (!port.empty() && !port[0].is_null("node_port")) info.port = static_cast<int>(port[0].int64("node_port"));
  return info;
}

IssuedKeys issue_device(Context& ctx, const IssueRequest& request) {
  ctx.secrets_key();  // fail on a missing key before anything is written
  auto& db = ctx.db();
  db::Transaction tx(db);
  const std::int64_t region_id = resolve_region(ctx, request);
  const std::int64_t device_id =
      admin::insert_device(ctx, request.user, request.device, db::Param(std::nullopt));
  std::optional<std::int64_t> node_id = best_node(ctx, region_id);
  db.exec("device_assign_node", {static_cast<long long>(device_id),
                                 node_id ? db::Param(static_cast<long long>(*node_id)) : db::Param(std::nullopt),
                                 static_cast<long long>(region_id)});
  nodes::assign_device_port(db, device_id, ctx.config().nodes_port_span);  // its own port on an ss-manager node
  nlohmann::json device = admin::device_get(ctx, std::to_string(device_id));
  IssuedKeys keys = mint_all(ctx, device_id, node_info(ctx, device));
  keys.device = device;
  audit_keys(ctx, "issue", nullptr, device);
  tx.commit();
  if (!keys.node) log::warn("the device's region has no node that can serve it: no ss:// or vless:// link", {{"device_id", device_id}});
  return keys;
}

IssuedKeys rotate_device(Context& ctx, const std::string& device_key) {
  ctx.secrets_key();
  auto& db = ctx.db();
  db::Transaction tx(db);
  nlohmann::json device = admin::device_get(ctx, device_key);
  if (device["status"] != "active") throw conflict("device '" + device_key + "' is revoked; issue a new one");
  const long long id = device["id"].get<std::int64_t>();
  if (device["node"].is_null()) {
    // A device made without credentials (httvps device create) gets its node now.
    IssueRequest where{device["user"].get<std::string>(), device["name"].get<std::string>(),
                       device["region"].is_null() ? std::nullopt
                                                  : std::optional<std::string>(device["region"].get<std::string>())};
    const std::int64_t region_id = resolve_region(ctx, where);
    std::optional<std::int64_t> node_id = best_node(ctx, region_id);
    db.exec("device_assign_node", {id, node_id ? db::Param(static_cast<long long>(*node_id)) : db::Param(std::nullopt),
                                   static_cast<long long>(region_id)});
    device = admin::device_get(ctx, std::to_string(id));
  }
  nodes::assign_device_port(db, id, ctx.config().nodes_port_span);
  db.exec("credentials_revoke_live", {id});
  IssuedKeys keys = mint_all(ctx, id, node_info(ctx, device));
  keys.device = device;
  audit_keys(ctx, "rotate", device, device);
  tx.commit();
  return keys;
}

nlohmann::json revoke_device(Context& ctx, const std::string& device_key) {
  auto& db = ctx.db();
  db::Transaction tx(db);
  nlohmann::json before = admin::device_get(ctx, device_key);
  if (before["status"] != "active") throw conflict("device '" + device_key + "' is already revoked");
  const long long id = before["id"].get<std::int64_t>();
  db.exec("device_revoke", {id});
  db.exec("credentials_revoke_live", {id});
  nlohmann::json after = admin::device_get(ctx, std::to_string(id));
  audit_keys(ctx, "revoke", before, after);
  tx.commit();
  return after;
}

nlohmann::json share_links(const Context& ctx, const IssuedKeys& keys) {
  const std::string label = keys.device.value("user", "") + "/" + keys.device.value("name", "");
  links::HttvpsUri uri = links::gateway_from_url(ctx.config().public_gateway_url);
  uri.token = keys.gateway_token;
  uri.label = label;
  std::string api = ctx.config().public_api_url;
  while (!api.empty() && api.back() == '/') api.pop_back();
  const std::string sub_url = api + "/api/v1/sub/" + keys.subscription_token;
  nlohmann::json out = {{"httvps_uri", links::build_httvps(uri)}, {"subscription_url", sub_url}};
  if (keys.node && keys.node->kind != "vless") {
    links::SsLink ss{keys.ss_method, keys.ss_password, {keys.node->host, keys.node->port}, label};
    out["ss_link"] = links::build_ss(ss);
    // Outline clients fetch the access key document over HTTPS from an ssconf:// URL.
    std::string ssconf = sub_url + "?format=outline";
    if (ssconf.starts_with("https://")) ssconf = "ssconf://" + ssconf.substr(8);
    out["outline_url"] = ssconf;
  }
  if (keys.node && keys.node->kind == "vless") {
    links::VlessLink v;
    v.uuid = keys.vless_uuid;
    v.server = {keys.node->host, keys.node->port};
    v.tag = label;
    out["vless_link"] = links::build_vless(v);
  }
  return out;
}

}  // namespace httvps::keys
