// The Shadowsocks secret gateways use towards a node. Setting a new one keeps the previous
// one valid for an overlap window, so tunnels that use it are not cut.

#include <iostream>
#include <sstream>

#include "core/admin/resource_ops.hpp"
#include "core/crypto.hpp"
#include "core/keys/tokens.hpp"

namespace httvps::admin {

nlohmann::json node_set_secret(Context& ctx, const std::string& node_name, const std::optional<std::string>& given,
                               std::int64_t overlap_seconds) {
  if (overlap_seconds < 0 || overlap_seconds > 30 * 86400) {
    throw usage_error("--overlap must be between 0 and 30 days", "overlap");
  }
  const std::string& key = ctx.secrets_key();
  nlohmann::json node = get_record(ctx, resource("node"), node_name);
  if (node["kind"] == "vless") throw usage_error("node '" + node_name + "' is a vless node: it has no Shadowsocks secret", "node");
  std::string secret = given.value_or(keys::mint_ss_password());
  if (secret.size() < 8 || secret.size() > 256) throw usage_error("the secret must be 8 to 256 bytes", "secret");
  for (unsigned char c : secret) {
    if (c < 0x21 || c == 0x7f) throw usage_error("the secret must be printable, without spaces", "secret");
  }
  const long long id = node["id"].get<std::int64_t>();
  auto& db = ctx.db();
  db::Transaction tx(db);
  db.exec("node_secret_retire_current", {id, static_cast<long long>(overlap_seconds)});
  db.exec("node_secret_insert",
          {id, crypto::seal(key, secret, "node_secrets:" + std::to_string(id)), node["method"].get<std::string>()});
  audit_change(ctx, resource("node"), "set-secret", node, node);
  tx.commit();
  nlohmann::json out = {{"node", node_name}, {"method", node["method"]}, {"overlap_seconds", overlap_seconds}};
  if (!given) out["secret"] = secret;  // generated: shown once, for the node's own configuration
  return out;
}

}  // namespace httvps::admin
