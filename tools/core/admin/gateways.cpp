// Gateways: `httvps gateway add NAME` mints the credential a gateway presents to the
// control plane ("Authorization: Bearer htg_…"). It is shown once; only its hash is kept.

#include "core/admin/resource_ops.hpp"
#include "core/keys/tokens.hpp"

namespace httvps::admin {

nlohmann::json gateway_create(Context& ctx, const ResourceSpec& spec, const std::map<std::string, std::string>& inputs) {
  nlohmann::json record = apply_inputs(spec, {}, inputs, true);
  keys::MintedToken token = keys::mint_token(keys::kGatewayToken);
  auto& db = ctx.db();
  db::Transaction tx(db);
  try {
    db.exec("gateway_insert", {to_param(record["name"]), token.prefix, token.hash, to_param(record["disabled"])});
  } catch (const db::DbError& e) {
    rethrow_write_failure(spec, record, e);
  }
  nlohmann::json after = get_record(ctx, spec, record["name"].get<std::string>());
  audit_change(ctx, spec, "create", nullptr, after);
  tx.commit();
  after["credential"] = token.token;  // the only time it is shown
  return after;
}

}  // namespace httvps::admin
